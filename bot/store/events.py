"""What one bot process tells the others through PostgreSQL's LISTEN/NOTIFY: a server's settings changed, a
channel's watch mode changed, the knowledge was reloaded.

The store sends settings and watch events in the same transaction as the change (NOTIFY is delivered at
commit, so no process hears of a change it cannot read yet); `/kb reload` sends its own. SQLite has one
process and nobody to tell: there the store sends nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

log = logging.getLogger(__name__)

CHANNEL = "knownfix_events"
SETTINGS = "settings"  # a server's /config values changed: re-read them
WATCH = "watch"  # a channel's watch mode changed (mode None: no longer watched)
RELOAD = "reload"  # the knowledge was reloaded: reload it too
# Sent by no one: the listener's connection came back after a loss, so events may have been missed; re-read
# everything the other events would have told.
RESYNC = "resync"
KINDS = (SETTINGS, WATCH, RELOAD, RESYNC)


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    origin: str = ""  # the process that sent it (Store.process): a process skips its own
    guild_id: int | None = None
    channel_id: int | None = None
    mode: str | None = None


def encode(event: Event) -> str:
    return json.dumps({k: v for k, v in asdict(event).items() if v is not None}, separators=(",", ":"))


def decode(payload: str) -> Event | None:
    """The event in a NOTIFY payload; None (logged) for one this version does not read."""
    try:
        data = json.loads(payload)
        event = Event(
            kind=str(data["kind"]),
            origin=str(data.get("origin", "")),
            guild_id=_optional_int(data.get("guild_id")),
            channel_id=_optional_int(data.get("channel_id")),
            mode=None if data.get("mode") is None else str(data["mode"]),
        )
    except (ValueError, TypeError, KeyError):
        log.warning("ignored a malformed event on %s: %.200r", CHANNEL, payload)
        return None
    if event.kind not in KINDS:
        log.warning("ignored an event of unknown kind on %s: %.200r", CHANNEL, payload)
        return None
    return event


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))
