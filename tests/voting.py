"""End-to-end support for the vote buttons: a running bot with one answered paste, and pressing its buttons.

Shared by the tests of the buttons, of their deadline under a busy store, of the metrics and of the logs, so each
says only what it checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.payloads import EPHEMERAL as EPHEMERAL_FLAG
from tests.fakediscord.server import buttons_of

from .test_e2e_discord import ENTRY, bot_env, pasted, wait_stored


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Label -> custom id of every button a message shows."""
    return {b["label"]: b["custom_id"] for b in buttons_of(message.get("components") or [])}


async def votes_of(database: Path, reply_id: int, user_id: int) -> tuple[str, ...]:
    async with Store(database) as store:
        return await store.votes_of(reply_id, user_id)


async def press(fake: FakeDiscord, reply: dict[str, Any], label: str, user: dict[str, Any]) -> str:
    """Press the button labelled `label`; the private acknowledgement the voter sees. The press is answered at
    once with a private "is thinking...", which the acknowledgement replaces once the vote is written."""
    pressed = await fake.press_button(reply, buttons(reply)[label], user)
    call = await fake.wait_for_callback(pressed)
    assert call.ok, call.response
    assert call.body["data"]["flags"] & EPHEMERAL_FLAG, "the acknowledgement is for the voter's eyes only"
    edited = await fake.wait_for(
        lambda c: c.name == "edit_webhook_message" and c.params.get("token") == pressed.token, what="what the vote did"
    )
    assert edited.ok, edited.response
    return str(edited.body["content"])


async def answered(fake: FakeDiscord, database: Path) -> dict[str, Any]:
    """Paste the known traceback in the help channel; the bot's reply once the store has recorded it."""
    source = await fake.post_message(fake.help_channel, pasted(), fake.user("asker"))
    reply = (await fake.wait_for_reply(source)).message
    assert reply is not None
    await wait_stored(database, int(reply["id"]), ENTRY)
    return fake.messages[int(reply["id"])].payload


@dataclass(frozen=True)
class Answered:
    """A running bot, its database, and a reply of its with vote buttons."""

    fake: FakeDiscord
    bot: BotProcess
    database: Path
    reply: dict[str, Any]

    @property
    def reply_id(self) -> int:
        return int(self.reply["id"])

    async def votes(self, user: dict[str, Any]) -> tuple[str, ...]:
        return await votes_of(self.database, self.reply_id, int(user["id"]))

    async def shown_workarounds(self) -> tuple[str, ...]:
        return tuple((await wait_stored(self.database, self.reply_id, ENTRY)).shown_workarounds)


@asynccontextmanager
async def bot_with_a_reply(tmp_path: Path, log_name: str = "bot.log") -> AsyncIterator[Answered]:
    """A bot watching the help channel that has answered one paste; it must exit cleanly when the test is done
    (a bot the test already stopped is not signalled again)."""
    async with FakeDiscord() as fake:
        database = tmp_path / "knownfix.sqlite3"
        bot = BotProcess(fake, bot_env(fake, database, [fake.help_channel]), tmp_path / log_name)
        try:
            await bot.start()
            yield Answered(fake, bot, database, await answered(fake, database))
        finally:
            assert await bot.stop() == 0
