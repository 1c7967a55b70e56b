"""End to end: vote buttons under replies (issue 11, item 3), pressed through the fake Discord.

The buttons are persistent: their custom ids say what they vote for, so a reply posted before the bot
restarted still takes votes from its buttons afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.chat.buttons import CUSTOM_ID_PREFIX
from bot.feedback.votes import NONE_FIXED, WRONG_MATCH, workaround_option
from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.payloads import EPHEMERAL as EPHEMERAL_FLAG
from tests.fakediscord.server import buttons_of

from .test_e2e_discord import ENTRY, bot_env, pasted, wait_stored

pytestmark = [pytest.mark.e2e]


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
    source = await fake.post_message(fake.help_channel, pasted(), fake.user("asker"))
    reply = (await fake.wait_for_reply(source)).message
    assert reply is not None
    await wait_stored(database, int(reply["id"]), ENTRY)
    return fake.messages[int(reply["id"])].payload


async def test_a_reply_has_vote_buttons_and_a_press_records_the_vote_privately(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        database = tmp_path / "knownfix.sqlite3"
        bot = BotProcess(fake, bot_env(fake, database, [fake.help_channel]), tmp_path / "bot.log")
        try:
            await bot.start()
            reply = await answered(fake, database)
            shown = (await wait_stored(database, int(reply["id"]), ENTRY)).shown_workarounds
            labels = list(buttons(reply))
            assert labels == [f"Fixed it: {n}" for n in range(1, len(shown) + 1)] + ["None worked", "Wrong match"]
            assert all(c.startswith(CUSTOM_ID_PREFIX) for c in buttons(reply).values())
            voter, reply_id = fake.user("voter"), int(reply["id"])

            said = await press(fake, reply, "Fixed it: 2", voter)
            assert "Your vote on this reply: **Fixed it: 2**" in said
            assert await votes_of(database, reply_id, int(voter["id"])) == (workaround_option(shown[1]),)

            said = await press(fake, reply, "None worked", voter)  # a change of mind replaces the vote
            assert "**None worked**" in said and "Fixed it" not in said.split("\n")[0]
            assert await votes_of(database, reply_id, int(voter["id"])) == (NONE_FIXED,)

            said = await press(fake, reply, "None worked", voter)  # the same button again takes it back
            assert "Took back your vote: **None worked**" in said and "no vote on this reply now" in said
            assert await votes_of(database, reply_id, int(voter["id"])) == ()

            other = fake.user("other")
            await press(fake, reply, "Wrong match", other)
            assert await votes_of(database, reply_id, int(other["id"])) == (WRONG_MATCH,)
        finally:
            assert await bot.stop() == 0
        assert not bot.problems(), "\n".join(bot.problems())


async def test_buttons_on_a_reply_from_before_a_restart_still_record_votes(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        database = tmp_path / "knownfix.sqlite3"
        settings = bot_env(fake, database, [fake.help_channel])
        first = BotProcess(fake, settings, tmp_path / "first.log")
        try:
            await first.start()
            reply = await answered(fake, database)
        finally:
            assert await first.stop() == 0

        second = BotProcess(fake, settings, tmp_path / "second.log")
        try:
            await second.start()
            voter = fake.user("late-voter")
            said = await press(fake, reply, "Fixed it: 1", voter)
            assert "Your vote on this reply: **Fixed it: 1**" in said
            shown = (await wait_stored(database, int(reply["id"]), ENTRY)).shown_workarounds
            assert await votes_of(database, int(reply["id"]), int(voter["id"])) == (workaround_option(shown[0]),)
        finally:
            assert await second.stop() == 0
        assert not second.problems(), "\n".join(second.problems())


async def test_a_button_on_a_reply_no_longer_tracked_says_so_and_records_nothing(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        database = tmp_path / "knownfix.sqlite3"
        bot = BotProcess(fake, bot_env(fake, database, [fake.help_channel]), tmp_path / "bot.log")
        try:
            await bot.start()
            reply = await answered(fake, database)
            async with Store(database) as store:
                await store.mark_deleted(int(reply["id"]))
            voter = fake.user("voter")
            said = await press(fake, reply, "Fixed it: 1", voter)
            assert "no longer tracked" in said
            assert await votes_of(database, int(reply["id"]), int(voter["id"])) == ()
        finally:
            assert await bot.stop() == 0
