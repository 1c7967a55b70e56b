"""Per-server settings: what a server's managers change with `/config`, over the deployment's defaults.

The environment and the TOML file (bot.settings) give every server its defaults; a server may override the
settings named in SERVER_SETTINGS, and those overrides live in the database as the canonical text of their
value. Text from `/config set` and text read back from the database are both checked by
`bot.settings.parse_setting`, the same function that checks the environment and the TOML file, so there is
one place that says what a valid value is. Discord-free: the `/config` cog and the bot's cache use it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.matching.matcher import PASSIVE_LEVELS, Thresholds
from bot.settings import NO_ROLES, REPLY_IN, ROLE_SETTINGS, Settings, SettingsError, parse_setting

log = logging.getLogger(__name__)

# Setting name -> what it does, as `/config` shows it (one line each; the names are Settings' own).
SERVER_SETTINGS: dict[str, str] = {
    "helper_roles": "members with these roles are never answered unprompted (they explain errors)",
    "curator_roles": "besides Manage Server, these roles may use /kb gaps and Save as fix",
    "passive_level": "how sure the bot must be to answer unprompted: strict (about 1% false replies) or normal (3%)",
    "channel_cooldown": "seconds between unprompted answers in one channel",
    "user_cooldown": "seconds between unprompted answers to one person",
    "find_fix_cooldown": "seconds between one person's public Find a fix answers",
    "packs_answer": "whether entries from imported packs may answer unprompted",
    "reply_in": "inline: reply under the message; thread: open a thread on it and answer there",
    "record_gaps": "count the errors the bot could not answer (the masked error line only)",
}
BOOLEAN_CHOICES = ("true", "false")
# The values a setting takes from a fixed list: offered as they are by /config's autocomplete.
CHOICES: dict[str, tuple[str, ...]] = {
    "passive_level": PASSIVE_LEVELS,
    "packs_answer": BOOLEAN_CHOICES,
    "reply_in": REPLY_IN,
    "record_gaps": BOOLEAN_CHOICES,
}
SECONDS_SETTINGS = ("channel_cooldown", "user_cooldown", "find_fix_cooldown")
# Roles one setting may list: a server's helper or curator roles are a handful; the cap keeps one setting's
# stored text, and the line /config show prints for it, small.
MAX_ROLES = 25
# Characters of value text accepted from /config set: 25 role mentions of 20-digit ids with separators fit.
MAX_VALUE_CHARS = 1000


@dataclass(frozen=True)
class ServerSettings:
    """One server's effective settings: its overrides where it has them, the deployment's defaults elsewhere."""

    helper_roles: frozenset[int]
    curator_roles: frozenset[int]
    passive_level: str
    channel_cooldown: float
    user_cooldown: float
    find_fix_cooldown: float
    packs_answer: bool
    reply_in: str
    record_gaps: bool
    thresholds: Thresholds  # what passive mode decides with in this server
    overridden: frozenset[str] = frozenset()  # the settings this server set; the rest are the defaults

    def value(self, name: str) -> Any:
        return getattr(self, name)


def parse_value(name: str, text: str) -> Any:
    """A server setting's value from text, checked; SettingsError says in one line what is wrong."""
    if name not in SERVER_SETTINGS:
        raise SettingsError(f"unknown setting {name!r}: one of {', '.join(SERVER_SETTINGS)}")
    if len(text) > MAX_VALUE_CHARS:
        raise SettingsError(f"{name}: at most {MAX_VALUE_CHARS} characters")
    value = parse_setting(name, text)
    if name in ROLE_SETTINGS and len(value) > MAX_ROLES:
        raise SettingsError(f"{name}: at most {MAX_ROLES} roles")
    return value


def to_text(name: str, value: Any) -> str:
    """The canonical text of a value: what the database stores, and what parse_value reads back to it."""
    if name in ROLE_SETTINGS:
        return " ".join(str(role) for role in sorted(value)) or NO_ROLES
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def shown(name: str, value: Any) -> str:
    """A value as /config shows it: roles as role mentions (sent without pings), seconds with their unit."""
    if name in ROLE_SETTINGS:
        return ", ".join(f"<@&{role}>" for role in sorted(value)) or NO_ROLES
    if name in SECONDS_SETTINGS:
        return f"{value:g} s"
    return to_text(name, value)


def server_settings(defaults: Settings, stored: Mapping[str, str] | None = None) -> ServerSettings:
    """The effective settings of a server whose database rows are `stored` (name -> canonical text).

    A stored value this version no longer accepts (a setting renamed or removed, a stricter check) is
    logged and skipped: the server falls back to the default for it rather than the bot failing to start."""
    values = {name: getattr(defaults, name) for name in SERVER_SETTINGS}
    overridden: set[str] = set()
    for name, text in (stored or {}).items():
        try:
            values[name] = parse_value(name, text)
        except SettingsError as exc:
            log.warning("server setting ignored, the default applies: %s", exc)
            continue
        overridden.add(name)
    thresholds = dataclasses.replace(defaults.thresholds, packs_answer=values["packs_answer"])
    if "passive_level" in overridden:
        # A server that picks a level gets the calibrated thresholds fitted for it, whatever the deployment's
        # decision mode: the level names an operating point of the calibrated probability only.
        thresholds = dataclasses.replace(thresholds, decisions="calibrated", passive_level=values["passive_level"])
    return ServerSettings(**values, thresholds=thresholds, overridden=frozenset(overridden))


def decided_by(settings: ServerSettings) -> str:
    """How passive mode decides in a server, in words: the level's calibrated thresholds, or the score rules."""
    if settings.thresholds.decisions == "calibrated":
        return f"calibrated thresholds, {settings.thresholds.passive_level}"
    return (
        "the hand-set score rules and the normal level's sure answers (KNOWNFIX_DECISIONS=score); "
        "set strict or normal for calibrated thresholds alone"
    )


class ServerSettingsCache:
    """Every server's effective settings, kept in memory so a message costs no database read; `/config`
    replaces a server's entry whenever it changes one, so a change applies at once."""

    def __init__(self, defaults: Settings) -> None:
        self.defaults = defaults
        self._default = server_settings(defaults)
        self._by_guild: dict[int, ServerSettings] = {}

    def get(self, guild_id: int | None) -> ServerSettings:
        """A server's settings; outside a server (a DM) or for one with no overrides, the defaults."""
        if guild_id is None:
            return self._default
        return self._by_guild.get(guild_id, self._default)

    def put(self, guild_id: int, stored: Mapping[str, str]) -> ServerSettings:
        """Replace a server's settings with those its database rows `stored` give."""
        if stored:
            self._by_guild[guild_id] = server_settings(self.defaults, stored)
        else:
            self._by_guild.pop(guild_id, None)
        return self.get(guild_id)

    def load(self, stored: Mapping[int, Mapping[str, str]]) -> None:
        """Every server's rows at once (at start)."""
        for guild_id, rows in stored.items():
            self.put(guild_id, rows)
