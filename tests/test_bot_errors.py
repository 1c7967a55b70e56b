"""The bot's event error handler: a store that lost its database says so in one line per event."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.chat.app import KnownfixBot
from bot.settings import Settings
from bot.store.store import StoreUnavailableError


async def test_a_lost_database_logs_one_line_per_event_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = KnownfixBot(Settings(token="x", database=tmp_path / "db.sqlite3"))
    caplog.set_level(logging.ERROR)
    try:
        raise StoreUnavailableError(f"database {tmp_path / 'db.sqlite3'} was deleted while open")
    except StoreUnavailableError:
        await bot.on_error("on_raw_reaction_add")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is None
    assert "on_raw_reaction_add: not recorded: database" in errors[0].getMessage()


async def test_other_event_errors_keep_their_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bot = KnownfixBot(Settings(token="x", database=tmp_path / "db.sqlite3"))
    caplog.set_level(logging.ERROR)
    try:
        raise ValueError("a bug")
    except ValueError:
        await bot.on_error("on_message")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
