"""End to end: vote buttons under replies (issue 11, item 3), pressed through the fake Discord.

The buttons are persistent: their custom ids say what they vote for, so a reply posted before the bot
restarted still takes votes from its buttons afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat.buttons import CUSTOM_ID_PREFIX
from bot.feedback.votes import NONE_FIXED, WRONG_MATCH, workaround_option
from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord

from .test_e2e_discord import ENTRY, bot_env, wait_stored
from .voting import answered, bot_with_a_reply, buttons, press, votes_of

pytestmark = [pytest.mark.e2e]


async def test_a_reply_has_vote_buttons_and_a_press_records_the_vote_privately(tmp_path: Path) -> None:
    async with bot_with_a_reply(tmp_path) as run:
        fake, reply = run.fake, run.reply
        shown = await run.shown_workarounds()
        labels = list(buttons(reply))
        assert labels == [f"Fixed it: {n}" for n in range(1, len(shown) + 1)] + ["None worked", "Wrong match"]
        assert all(c.startswith(CUSTOM_ID_PREFIX) for c in buttons(reply).values())
        voter = fake.user("voter")

        said = await press(fake, reply, "Fixed it: 2", voter)
        assert "Your vote on this reply: **Fixed it: 2**" in said
        assert await run.votes(voter) == (workaround_option(shown[1]),)

        said = await press(fake, reply, "None worked", voter)  # a change of mind replaces the vote
        assert "**None worked**" in said and "Fixed it" not in said.split("\n")[0]
        assert await run.votes(voter) == (NONE_FIXED,)

        said = await press(fake, reply, "None worked", voter)  # the same button again takes it back
        assert "Took back your vote: **None worked**" in said and "no vote on this reply now" in said
        assert await run.votes(voter) == ()

        other = fake.user("other")
        await press(fake, reply, "Wrong match", other)
        assert await run.votes(other) == (WRONG_MATCH,)
    assert not run.bot.problems(), "\n".join(run.bot.problems())


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
    async with bot_with_a_reply(tmp_path) as run:
        async with Store(run.database) as store:
            await store.mark_deleted(run.reply_id)
        voter = run.fake.user("voter")
        said = await press(run.fake, run.reply, "Fixed it: 1", voter)
        assert "no longer tracked" in said
        assert await run.votes(voter) == ()
