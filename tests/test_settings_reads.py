"""Configuration is read in one place, bot/settings.py: the other modules ask it for a setting rather than
reading the environment themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.settings import BUNDLED_KNOWLEDGE, SettingsError, default_knowledge_dirs, env_setting

BOT = Path(__file__).resolve().parent.parent / "bot"
# Reading one of knownfix's own variables, the way a module that does not go through bot.settings would.
READS_OWN_VARIABLE = re.compile(r"""(environ\.get\(|environ\[|getenv\()\s*["']KNOWNFIX_""")
# Modules that read a variable of their own on purpose, and why.
READS_ON_PURPOSE = {
    "settings.py": "the one place",
    # Where any process that loads knowledge (the command line, benchmarks, tests, the bot) keeps its index
    # cache: a property of the machine, not a setting of the bot.
    "cache.py": "KNOWNFIX_CACHE_DIR",
}


def test_only_bot_settings_reads_knownfix_variables() -> None:
    readers = {
        str(path.relative_to(BOT))
        for path in BOT.rglob("*.py")
        if READS_OWN_VARIABLE.search(path.read_text(encoding="utf-8"))
    }
    assert readers - set(READS_ON_PURPOSE) == set()


def test_one_setting_is_read_and_checked_as_the_bot_reads_it() -> None:
    assert env_setting("knowledge", {"KNOWNFIX_KNOWLEDGE": "kb:packs/x:"}) == (Path("kb"), Path("packs/x"))
    assert env_setting("knowledge", {"KNOWNFIX_KNOWLEDGE": ""}) is None  # empty is unset, as for the bot
    assert env_setting("database", {}) is None
    with pytest.raises(SettingsError, match="channel_cooldown"):
        env_setting("channel_cooldown", {"KNOWNFIX_CHANNEL_COOLDOWN": "soon"})


def test_the_engine_and_the_command_line_take_their_defaults_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KNOWNFIX_KNOWLEDGE", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    monkeypatch.setenv("KNOWNFIX_DATABASE", str(tmp_path / "bot.sqlite3"))
    monkeypatch.setenv("KNOWNFIX_DRAFTS_DIR", str(tmp_path / "drafts"))
    assert default_knowledge_dirs() == [tmp_path / "a", tmp_path / "b"]
    parser = build_parser()
    assert parser.parse_args(["stats"]).database == str(tmp_path / "bot.sqlite3")
    assert parser.parse_args(["kb", "drafts"]).drafts == str(tmp_path / "drafts")
    monkeypatch.delenv("KNOWNFIX_KNOWLEDGE")
    monkeypatch.delenv("KNOWNFIX_DATABASE")
    assert default_knowledge_dirs() == [BUNDLED_KNOWLEDGE]
    assert build_parser().parse_args(["stats"]).database == str(Path("data/knownfix.sqlite3"))
