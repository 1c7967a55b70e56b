"""The shared wait for a bot's log line (tests/botlog.py) sees a line written while Discord is quiet."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakediscord import BotProcess, FakeDiscord

from .botlog import logged

LINE = "shutting down: no new events after gateway event 42"


def quiet_bot(tmp_path: Path, fake: FakeDiscord) -> BotProcess:
    """A bot process never started: its log is written by the test, and no Discord traffic happens at all."""
    return BotProcess(fake, {}, tmp_path / "bot.log")


async def write_line_soon(log: Path) -> None:
    await asyncio.sleep(0.1)  # after the wait has begun: the line appears between looks
    log.write_text(f"2026-12-03 08:00:00,000 INFO    bot.chat.app: {LINE}\n", encoding="utf-8")


async def test_a_line_written_with_no_discord_traffic_is_seen(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        bot = quiet_bot(tmp_path, fake)
        writer = asyncio.create_task(write_line_soon(bot.log_path))
        await logged(bot, "shutting down", timeout=15)
        await writer


async def test_a_line_that_never_comes_fails_with_the_log_tail(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        bot = quiet_bot(tmp_path, fake)
        bot.log_path.write_text("connected as knownfix\n", encoding="utf-8")
        with pytest.raises(AssertionError, match=r"(?s)'shutting down' not in the log.*connected as knownfix"):
            await logged(bot, "shutting down", timeout=0.3)
