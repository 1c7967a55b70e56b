"""End to end: two bot processes on one SQLite database. The second refuses to start, in one line that
names the database and the first one's pid, so no message is answered twice (issue 8, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.server import FakeDiscordError

from .test_e2e_discord import bot_env
from .test_e2e_shutdown import entry_reply

pytestmark = [pytest.mark.e2e]


async def test_a_second_bot_on_the_same_database_refuses_to_start(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        database = tmp_path / "data" / "knownfix.sqlite3"
        settings = bot_env(fake, database, [fake.help_channel])
        first = BotProcess(fake, settings, tmp_path / "first.log")
        second = BotProcess(fake, settings, tmp_path / "second.log")
        try:
            await first.start()
            assert first.proc is not None
            connections = fake.connections
            with pytest.raises(FakeDiscordError, match="did not connect"):
                await second.start()
            assert second.proc is not None and second.proc.returncode not in (0, None)
            assert fake.connections == connections  # it never reached the gateway
            said = second.log().strip().splitlines()
            assert len(said) == 1, said
            assert str(database) in said[0] and f"pid {first.proc.pid}" in said[0], said[0]

            # The first bot is unaffected and answers once.
            await entry_reply(fake, fake.user("ana"))
            assert len(fake.bot_messages()) == 1
            assert not first.problems() and not fake.errors
        finally:
            await second.stop()
            assert await first.stop() == 0


async def test_the_database_is_free_again_once_the_first_bot_stopped(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        settings = bot_env(fake, tmp_path / "knownfix.sqlite3", [fake.help_channel])
        for number in (1, 2):
            bot = BotProcess(fake, settings, tmp_path / f"bot{number}.log")
            try:
                await bot.start()
                assert not bot.problems()
            finally:
                assert await bot.stop() == 0
