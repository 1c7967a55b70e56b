"""KNOWNFIX_LOG_FORMAT=json (issue 12, item 4): the real bot's log is one JSON object a line, with time, level,
logger and message, and an exception's traceback as one string; plain text stays the default."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.logformat import JsonFormatter
from tests.fakediscord import BotProcess, FakeDiscord

from .test_e2e_discord import bot_env
from .voting import answered

KEYS = {"time", "level", "logger", "message"}


def records(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    assert lines, "the bot logged nothing"
    parsed = [json.loads(line) for line in lines]  # any line that is not JSON fails here, naming it
    assert all(set(record) >= KEYS for record in parsed)
    return parsed


@pytest.mark.e2e
async def test_the_bot_logs_json_lines_from_start_through_a_reply_to_a_clean_stop(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        database = tmp_path / "knownfix.sqlite3"
        settings = bot_env(fake, database, [fake.help_channel], KNOWNFIX_LOG_FORMAT="json")
        bot = BotProcess(fake, settings, tmp_path / "bot.log")
        try:
            await bot.start()
            await answered(fake, database)
        finally:
            assert await bot.stop() == 0
    logged = records(bot.log())
    messages = [r["message"] for r in logged]
    assert any(m.startswith("knowledge: ") for m in messages)  # the bot's own lines
    assert any(r["logger"].startswith("discord.") for r in logged)  # and discord.py's
    assert any(m.startswith("shutting down") for m in messages)


@pytest.mark.e2e
async def test_logs_stay_plain_text_by_default(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        bot = BotProcess(fake, bot_env(fake, tmp_path / "k.sqlite3", [fake.help_channel]), tmp_path / "bot.log")
        try:
            await bot.start()
        finally:
            assert await bot.stop() == 0
    assert " INFO    bot.chat.app: knowledge: " in bot.log()


def test_an_exception_and_hostile_text_stay_inside_one_line() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("knownfix.test-json-logs")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            logger.error("paste said %s", 'line one\nline two\u2028"quoted" <@123>', exc_info=True)
    finally:
        logger.removeHandler(handler)
    (record,) = records(out.getvalue())
    assert record["level"] == "ERROR" and record["logger"] == "knownfix.test-json-logs"
    assert record["message"] == 'paste said line one\nline two\u2028"quoted" <@123>'
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert record["exception"].endswith("ValueError: bad\nvalue")
    assert record["time"].endswith("+00:00")
