"""Per-server settings (issue 11, item 2): checked in one place with the environment's rules, stored per
server in the database (a migration that keeps an older database's rows), and steering the decisions."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.server_settings import (
    MAX_ROLES,
    SERVER_SETTINGS,
    ServerSettingsCache,
    parse_value,
    server_settings,
    to_text,
)
from bot.settings import Settings, SettingsError, load_settings
from bot.store import Store
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION

# A one-line error the calibrated normal level answers unprompted and the strict level does not (its
# probability sits between the two levels' thresholds for a crisp paste); the score rules answer it too.


def between_levels(engine: Engine) -> str:
    """A bare error line from the bundled knowledge that the normal passive level answers and the strict one
    leaves alone. Found, not fixed: which lines fall between the levels moves each time the weights are refitted,
    and what is tested is that the level decides, not where one line's probability lands."""
    strict = server_settings(defaults(), {"passive_level": "strict"}).thresholds
    normal = server_settings(defaults(), {"passive_level": "normal"}).thresholds
    for entry in engine.kb.entries:
        for line in entry.signatures:
            if "\n" in line or not _BARE_ERROR_LINE.match(line):
                continue
            if engine.match(line, thresholds=normal).reply and not engine.match(line, thresholds=strict).reply:
                return line
    raise AssertionError("no bundled signature falls between the strict and the normal passive level")


_BARE_ERROR_LINE = re.compile(r"[A-Za-z_.]*(?:Error|Exception): \S")


def defaults(**changes: object) -> Settings:
    return Settings(token="t", **changes)  # type: ignore[arg-type]


# -- one place that checks a value ----------------------------------------------------------------------------


def test_values_from_config_set_are_read_like_the_environments() -> None:
    assert parse_value("user_cooldown", "5") == 5.0
    assert parse_value("helper_roles", "<@&12> 34, 56") == {12, 34, 56}  # role mentions, as a client writes them
    assert parse_value("curator_roles", "None") == frozenset()
    assert parse_value("passive_level", "Strict") == "strict"
    assert parse_value("reply_in", "thread") == "thread"
    assert parse_value("packs_answer", "yes") is True


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("user_cooldown", "soon", "user_cooldown"),
        ("user_cooldown", "nan", "must be seconds from 0 to 86400"),
        ("channel_cooldown", "-1", "must be seconds from 0 to 86400"),
        ("find_fix_cooldown", "1e9", "must be seconds from 0 to 86400"),
        ("reply_in", "sideways", "reply_in: must be one of inline, thread"),
        ("passive_level", "chatty", "passive_level: must be one of strict, normal"),
        ("helper_roles", "@Helpers", "helper_roles: must be Discord ids"),
        ("record_gaps", "maybe", "record_gaps: must be true or false"),
        ("token", "abc", "unknown setting 'token'"),  # deployment settings are not a server's to change
        ("helper_roles", " ".join(str(n) for n in range(MAX_ROLES + 1)), f"at most {MAX_ROLES} roles"),
        ("helper_roles", "1" * 5000, "at most 1000 characters"),
    ],
)
def test_a_bad_value_is_one_clear_line(name: str, text: str, says: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_value(name, text)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_the_environment_sets_the_new_defaults_and_is_checked_the_same_way() -> None:
    settings = load_settings(environ={"DISCORD_TOKEN": "x", "KNOWNFIX_REPLY_IN": "thread"})
    assert settings.reply_in == "thread"
    with pytest.raises(SettingsError, match="user_cooldown: must be seconds"):
        load_settings(environ={"DISCORD_TOKEN": "x", "KNOWNFIX_USER_COOLDOWN": "inf"})


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("helper_roles", "<@&9> 3"),
        ("curator_roles", "none"),
        ("passive_level", "normal"),
        ("channel_cooldown", "2.5"),
        ("user_cooldown", "0"),
        ("find_fix_cooldown", "600"),
        ("packs_answer", "no"),
        ("reply_in", "THREAD"),
        ("record_gaps", "false"),
    ],
)
def test_the_stored_text_reads_back_to_the_same_value(name: str, text: str) -> None:
    value = parse_value(name, text)
    assert parse_value(name, to_text(name, value)) == value


def test_every_server_setting_has_a_default_among_the_deployment_settings() -> None:
    assert all(hasattr(defaults(), name) for name in SERVER_SETTINGS)


# -- effective settings ---------------------------------------------------------------------------------------


def test_a_server_without_overrides_gets_the_deployments_values() -> None:
    base = defaults(helper_roles=frozenset({7}), user_cooldown=5.0, decisions="score")
    effective = server_settings(base)
    assert effective.helper_roles == {7} and effective.user_cooldown == 5.0 and effective.overridden == frozenset()
    assert effective.thresholds == base.thresholds


def test_overrides_replace_only_what_the_server_set() -> None:
    effective = server_settings(defaults(helper_roles=frozenset({7})), {"user_cooldown": "3", "packs_answer": "true"})
    assert effective.user_cooldown == 3.0 and effective.helper_roles == {7}
    assert effective.overridden == {"user_cooldown", "packs_answer"}
    assert effective.thresholds.packs_answer  # the pre-filter and the matcher's gate read it from there


def test_a_server_that_picks_a_level_decides_with_that_levels_calibrated_thresholds() -> None:
    effective = server_settings(defaults(decisions="score"), {"passive_level": "strict"})
    assert effective.thresholds.decisions == "calibrated" and effective.thresholds.passive_level == "strict"


def test_a_stored_value_this_version_refuses_falls_back_to_the_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        effective = server_settings(defaults(), {"reply_in": "sideways", "retired_setting": "1", "user_cooldown": "4"})
    assert effective.reply_in == "inline" and effective.user_cooldown == 4.0
    assert effective.overridden == {"user_cooldown"}
    assert "reply_in" in caplog.text and "retired_setting" in caplog.text


def test_the_cache_answers_per_server_and_forgets_a_server_reset_to_the_defaults() -> None:
    cache = ServerSettingsCache(defaults(record_gaps=True))
    cache.put(1, {"record_gaps": "false"})
    assert cache.get(1).record_gaps is False and cache.get(2).record_gaps is True and cache.get(None).record_gaps
    cache.put(1, {})
    assert cache.get(1).record_gaps is True


def test_the_passive_level_changes_what_is_answered_unprompted(bundled_engine: Engine) -> None:
    strict = server_settings(defaults(), {"passive_level": "strict"}).thresholds
    normal = server_settings(defaults(), {"passive_level": "normal"}).thresholds
    line = between_levels(bundled_engine)
    assert bundled_engine.match(line, thresholds=normal).reply
    assert not bundled_engine.match(line, thresholds=strict).reply
    assert bundled_engine.match(line).reply  # the engine's own thresholds are untouched


# -- the store ------------------------------------------------------------------------------------------------


async def test_server_settings_are_stored_per_server_and_reset(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    async with Store(path) as store:
        await store.set_server_setting(1, "user_cooldown", "3", set_by=9)
        await store.set_server_setting(1, "user_cooldown", "4", set_by=9)  # a second set replaces the first
        await store.set_server_setting(1, "reply_in", "thread", set_by=9)
        await store.set_server_setting(2, "record_gaps", "false", set_by=8)
    async with Store(path) as store:
        assert await store.server_settings() == {
            1: {"reply_in": "thread", "user_cooldown": "4"},
            2: {"record_gaps": "false"},
        }
        assert await store.reset_server_setting(1, "reply_in")
        assert not await store.reset_server_setting(1, "reply_in")
        assert await store.server_settings(1) == {1: {"user_cooldown": "4"}}


async def test_a_database_from_the_previous_version_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    # The database as the version before per-server settings left it, migrated to today's schema.
    previous = next(i for i, migration in enumerate(MIGRATIONS) if "server_settings" in migration)
    assert previous < SCHEMA_VERSION
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for migration in MIGRATIONS[:previous]:
        if migration.lstrip().startswith("--"):
            continue  # the data migration (votes by workaround id) has nothing to move in an empty database
        db.executescript(migration)
    db.executescript(f"PRAGMA user_version = {previous};")
    db.execute(
        "INSERT INTO replies (message_id, channel_id, guild_id, source_message_id, asker_id, entry_id,"
        " shown_workarounds, score, confidence, matched_at)"
        " VALUES (5, 1, 1, 6, 7, 'demo/x', '[\"a\"]', 0.9, 'high', 'now')"
    )
    db.execute("INSERT INTO votes (reply_message_id, user_id, option, voted_at) VALUES (5, 7, 'w:a', 'now')")
    db.execute(
        "INSERT INTO watched_channels (channel_id, guild_id, added_by, added_at, mode)"
        " VALUES (3, 1, 7, 'now', 'suggest')"
    )
    db.commit()
    db.close()
    async with Store(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        stored = await store.reply(5)
        assert stored is not None and stored.shown_workarounds == ("a",)
        assert await store.votes_of(5, 7) == ("w:a",)
        assert await store.watched_channels() == {3: "suggest"}
        assert await store.server_settings() == {}
        await store.set_server_setting(1, "helper_roles", "42", set_by=7)
        assert await store.server_settings() == {1: {"helper_roles": "42"}}
