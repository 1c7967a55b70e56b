"""All of the bot's settings in one place: an optional TOML file, overridden by environment variables.

A bad setting stops the bot at start with one line that names it (SettingsError), never a traceback.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.matching.matcher import DECISION_MODES, PASSIVE_LEVELS, Thresholds
from bot.matching.weights import default_weights
from bot.paste import check_base_url

# What the bot does in a watched channel: answer a confident report in full, suggest it in one line with
# a "Show fix" button (for busy servers that keep helpers in charge), or stay silent there.
WATCH_MODES = ("answer", "suggest", "off")
# Where an unprompted answer goes: under the message (inline), or in a thread the bot opens on a message in a
# text channel (thread), which keeps a busy channel readable; in a thread or forum post it is always inline.
REPLY_IN = ("inline", "thread")
# Longest cooldown accepted: a day. Longer is a way of saying "never", which /watch's mode off says plainly.
MAX_COOLDOWN_S = 86_400.0
ROLE_SETTINGS = ("curator_roles", "helper_roles")
NO_ROLES = "none"  # the text that sets a role list to empty (an empty option is not something Discord sends)
# Role mention markup (`<@&123>`), which Discord's client writes when someone picks a role in a text option.
_ROLE_MENTION = re.compile(r"<@&([0-9]+)>")


BUNDLED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and why, in one line."""


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)  # a repr ends up in logs and tracebacks: the token must not
    database: Path | str = Path("data/knownfix.sqlite3")  # a SQLite file, or a postgresql:// URL (a str)
    knowledge: tuple[Path, ...] = ()
    watch_channels: frozenset[int] = frozenset()  # watched from the start, besides those added with /watch
    watch_mode: str = "answer"  # the mode of the channels in watch_channels (WATCH_MODES)
    # Members with one of these roles are helpers: passive mode never answers them (they explain errors).
    helper_roles: frozenset[int] = frozenset()
    owner_ids: frozenset[int] = frozenset()
    dev_guild: int | None = None  # slash commands sync here instantly; globally otherwise
    # "calibrated" (the fitted probability and thresholds) or "score" (the hand-set score rules).
    decisions: str = Thresholds.decisions
    # Passive mode's operating point: "strict" (at most 1% false unprompted replies in cross-validation) or
    # "normal" (3%, for channels that want more answers).
    passive_level: str = Thresholds.passive_level
    reply_threshold: float = default_weights().decisions.reply
    reply_margin: float = default_weights().decisions.reply_margin
    channel_cooldown: float = 10.0  # seconds between passive replies in one channel
    user_cooldown: float = 30.0  # seconds between passive replies to one person
    # Seconds between one person's public "Find a fix" answers: ten uses in a row must not post ten replies.
    find_fix_cooldown: float = 60.0
    reply_in: str = "inline"  # where unprompted answers go (REPLY_IN)
    # Number reactions the bot adds under a reply as vote prompts (0 to 5). Off by default: the vote buttons
    # under every reply do the same with one request; reactions people add themselves still count as votes.
    reaction_prompts: int = 0
    # Ask for the privileged Message Content intent (needed by passive mode; see the README for what works
    # without it: Discord requires approval for it once an app is in 100 servers / seen by 10,000 users).
    message_content: bool = True
    packs_answer: bool = False  # may entries from imported packs (knowledge dirs after the first) answer unprompted
    max_attachment_bytes: int = 1_000_000
    # Count error reports the bot could not answer (masked error line and counts only; see bot.gaps).
    record_gaps: bool = True
    curator_roles: frozenset[int] = frozenset()  # besides Manage Server: roles that may use /kb gaps and Save as fix
    drafts_dir: Path = Path("data/drafts")  # where "Save as fix" writes draft entries; never loaded
    # Paste provider -> the base URL its raw text is read from instead of the real host (tests point every
    # provider at a loopback fake); the links people post keep naming the real hosts. See bot.paste.
    paste_base_urls: Mapping[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    log_format: str = "text"  # LOG_FORMATS: "json" writes one JSON object a line, for log collectors
    # /metrics and /healthz (bot.chat.health) on this port; None serves nothing. Loopback by default: the
    # figures are for the operator, not the internet (a container sets 0.0.0.0 and publishes the port).
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # Several processes (README "Several processes"): the total number of shards, and the ones this process
    # runs (all of them when only the count is given). None: one process, discord.py's plain Bot.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    sync_commands: str = "auto"  # SYNC_COMMANDS
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            reply=self.reply_threshold,
            reply_margin=self.reply_margin,
            packs_answer=self.packs_answer,
            decisions=self.decisions,
            passive_level=self.passive_level,
        )


# Environment variable -> setting name. DISCORD_TOKEN is the name most hosting guides use.
ENV = {
    "DISCORD_TOKEN": "token",
    "KNOWNFIX_TOKEN": "token",
    "KNOWNFIX_DATABASE": "database",
    "KNOWNFIX_KNOWLEDGE": "knowledge",
    "KNOWNFIX_WATCH_CHANNELS": "watch_channels",
    "KNOWNFIX_WATCH_MODE": "watch_mode",
    "KNOWNFIX_HELPER_ROLES": "helper_roles",
    "KNOWNFIX_OWNER_IDS": "owner_ids",
    "KNOWNFIX_DEV_GUILD": "dev_guild",
    "KNOWNFIX_DECISIONS": "decisions",
    "KNOWNFIX_PASSIVE_LEVEL": "passive_level",
    "KNOWNFIX_REPLY_THRESHOLD": "reply_threshold",
    "KNOWNFIX_REPLY_MARGIN": "reply_margin",
    "KNOWNFIX_CHANNEL_COOLDOWN": "channel_cooldown",
    "KNOWNFIX_USER_COOLDOWN": "user_cooldown",
    "KNOWNFIX_FIND_FIX_COOLDOWN": "find_fix_cooldown",
    "KNOWNFIX_REPLY_IN": "reply_in",
    "KNOWNFIX_REACTION_PROMPTS": "reaction_prompts",
    "KNOWNFIX_MAX_ATTACHMENT_BYTES": "max_attachment_bytes",
    "KNOWNFIX_LOG_LEVEL": "log_level",
    "KNOWNFIX_LOG_FORMAT": "log_format",
    "KNOWNFIX_METRICS_PORT": "metrics_port",
    "KNOWNFIX_METRICS_HOST": "metrics_host",
    "KNOWNFIX_PACKS_ANSWER": "packs_answer",
    "KNOWNFIX_MESSAGE_CONTENT": "message_content",
    "KNOWNFIX_RECORD_GAPS": "record_gaps",
    "KNOWNFIX_CURATOR_ROLES": "curator_roles",
    "KNOWNFIX_DRAFTS_DIR": "drafts_dir",
    "KNOWNFIX_PASTE_BASE_URLS": "paste_base_urls",
    "KNOWNFIX_SHARD_COUNT": "shard_count",
    "KNOWNFIX_SHARD_IDS": "shard_ids",
    "KNOWNFIX_SYNC_COMMANDS": "sync_commands",
}
BOOLEAN_SETTINGS = ("packs_answer", "record_gaps", "message_content")
LOG_FORMATS = ("text", "json")
# Who registers the slash commands with Discord at start: `auto` is the process holding shard 0 (or the only
# process), so that several processes do not each overwrite the commands on every start.
SYNC_COMMANDS = ("auto", "always", "never")


def _ids(name: str, value: Any) -> frozenset[int]:
    text = "" if isinstance(value, list) else _ROLE_MENTION.sub(r"\1", str(value)).strip()
    if name in ROLE_SETTINGS and text.lower() == NO_ROLES:
        return frozenset()
    items = value if isinstance(value, list) else text.replace(",", " ").split()
    try:
        return frozenset(int(v) for v in items)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}: must be Discord ids (numbers), got {value!r}") from None


def _paste_base_urls(value: Any) -> dict[str, str]:
    """`provider=url,provider=url` (environment) or a table of provider = url (TOML), each checked."""
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    else:
        items = [item.strip() for item in str(value).split(",") if item.strip()]
        if any("=" not in item for item in items):
            raise SettingsError(f"paste_base_urls: must be provider=url pairs joined with commas, got {value!r}")
        pairs = [(k.strip(), v.strip()) for k, v in (item.split("=", 1) for item in items)]
    try:
        return {provider: check_base_url(provider, url) for provider, url in pairs}
    except ValueError as exc:
        raise SettingsError(f"paste_base_urls: {exc}") from None


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise SettingsError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
    return text


def _metrics_port(value: Any) -> int | None:
    """A TCP port, or off ("", "off", 0) to serve no metrics."""
    text = str(value).strip().lower()
    if text in ("", "off", "0"):
        return None
    port = int(text)
    if not 1 <= port <= 65_535:
        raise SettingsError(f"metrics_port: must be a port from 1 to 65535 (or off), got {value!r}")
    return port


def _metrics_host(value: Any) -> str:
    host = str(value).strip()
    if not host or any(c.isspace() for c in host):
        raise SettingsError(f"metrics_host: must be an address to listen on, such as 127.0.0.1, got {value!r}")
    return host


def _shard_count(value: Any) -> int | None:
    text = str(value).strip()
    if not text:
        return None
    count = int(text)
    if count < 1:
        raise SettingsError(f"shard_count: must be 1 or more, got {value!r}")
    return count


def _shard_ids(value: Any) -> tuple[int, ...] | None:
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    ids = tuple(sorted({int(str(v)) for v in items}))
    if any(i < 0 for i in ids):
        raise SettingsError(f"shard_ids: must be shard numbers from 0, got {value!r}")
    return ids or None


def check_shards(settings: Settings) -> None:
    """The shard settings together: ids need a count, and each id is below it."""
    if settings.shard_ids is None:
        return
    if settings.shard_count is None:
        raise SettingsError("shard_ids: needs shard_count (KNOWNFIX_SHARD_COUNT, or --shard-count)")
    beyond = [i for i in settings.shard_ids if i >= settings.shard_count]
    if beyond:
        shown = ", ".join(map(str, beyond))
        raise SettingsError(f"shard_ids: {shown} not below shard_count {settings.shard_count} (shards count from 0)")


def _convert(name: str, value: Any) -> Any:
    try:
        if name == "token":
            return str(value).strip()
        if name == "database" and str(value).startswith(("postgresql://", "postgres://")):
            return str(value).strip()  # a URL: Path would fold its '//'
        if name in ("database", "drafts_dir"):
            return Path(str(value))
        if name == "knowledge":
            items = value if isinstance(value, list) else str(value).split(os.pathsep)
            return tuple(Path(str(v)) for v in items if str(v))
        if name in ("watch_channels", "owner_ids", "curator_roles", "helper_roles"):
            return _ids(name, value)
        if name in ("watch_mode", "reply_in"):
            choices = WATCH_MODES if name == "watch_mode" else REPLY_IN
            mode = str(value).strip().lower()
            if mode not in choices:
                raise SettingsError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
            return mode
        if name == "dev_guild":
            return int(value) if str(value).strip() else None
        if name in ("decisions", "passive_level"):
            choices = DECISION_MODES if name == "decisions" else PASSIVE_LEVELS
            text = str(value).strip().lower()
            if text not in choices:
                raise SettingsError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
            return text
        if name in ("reply_threshold", "reply_margin"):
            number = float(value)
            if not 0.0 <= number <= 1.0:
                raise SettingsError(f"{name}: must be from 0 to 1, got {value!r}")
            return number
        if name in ("channel_cooldown", "user_cooldown", "find_fix_cooldown"):
            number = float(value)
            if not (math.isfinite(number) and 0 <= number <= MAX_COOLDOWN_S):
                raise SettingsError(f"{name}: must be seconds from 0 to {MAX_COOLDOWN_S:g}, got {value!r}")
            return number
        if name in ("reaction_prompts", "max_attachment_bytes"):
            number = int(value)
            if number < 0 or (name == "reaction_prompts" and number > 5):
                raise SettingsError(f"{name}: out of range, got {value!r}")
            return number
        if name in BOOLEAN_SETTINGS:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in {"true", "false", "1", "0", "yes", "no"}:
                raise SettingsError(f"{name}: must be true or false, got {value!r}")
            return text in {"true", "1", "yes"}
        if name == "paste_base_urls":
            return _paste_base_urls(value)
        if name == "log_format":
            return _choice(name, value, LOG_FORMATS)
        if name == "metrics_port":
            return _metrics_port(value)
        if name == "metrics_host":
            return _metrics_host(value)
        if name == "shard_count":
            return _shard_count(value)
        if name == "shard_ids":
            return _shard_ids(value)
        if name == "sync_commands":
            return _choice(name, value, SYNC_COMMANDS)
        if name == "log_level":
            level = str(value).upper()
            if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
                raise SettingsError(f"log_level: must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
            return level
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SettingsError):
            raise
        raise SettingsError(f"{name}: {value!r} is not valid ({exc})") from None
    raise SettingsError(f"unknown setting {name!r}")


def parse_setting(name: str, value: Any) -> Any:
    """One setting's value, from the environment, the TOML file or `/config set`, checked the same way for all
    three: a SettingsError says in one line what is wrong."""
    return _convert(name, value)


def env_setting(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One setting as the environment sets it (its variable in ENV, checked as load_settings checks it), or None
    where it is not set: for the code that needs one setting without the bot's whole settings (a token), such as
    the command line's defaults and the engine's knowledge directories."""
    environ = os.environ if environ is None else environ
    value = None
    for env_name, setting in ENV.items():  # the last variable set wins, as in load_settings
        if setting == name and environ.get(env_name, "") != "":
            value = _convert(name, environ[env_name])
    return value


def default_knowledge_dirs() -> list[Path]:
    """`KNOWNFIX_KNOWLEDGE` (paths separated by the OS path separator), else the bundled knowledge/."""
    configured: tuple[Path, ...] | None = env_setting("knowledge")
    if configured:
        return list(configured)
    if BUNDLED_KNOWLEDGE.is_dir():
        return [BUNDLED_KNOWLEDGE]
    return [Path.cwd() / "knowledge"]


def load_settings(config_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)} - {"extra"}
    values: dict[str, Any] = {}
    config_file = config_file or environ.get("KNOWNFIX_CONFIG")
    if config_file:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"config file {path}: cannot read ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path}: invalid TOML ({exc})") from None
        section = data.get("knownfix", data)
        for key, value in section.items():
            if key not in known:
                raise SettingsError(f"config file {path}: unknown setting {key!r}")
            values[key] = _convert(key, value)
    for env_name, name in ENV.items():
        if env_name in environ and environ[env_name] != "":
            values[name] = _convert(name, environ[env_name])
    if not values.get("token"):
        raise SettingsError("no Discord token: set DISCORD_TOKEN (or token in the config file)")
    values.setdefault("knowledge", tuple(default_knowledge_dirs()))
    settings = Settings(**values)
    check_shards(settings)
    return settings
