"""End to end: SIGTERM in the middle of a flood of votes loses none the bot received (issue 8, item 5).

"Received" is told by discord.py, not by the bot's code: the test launcher (FAKEDISCORD_TRACE_RECEIVED)
prints the sequence number of every gateway event once the library has taken it in and scheduled its
handlers. A vote the fake Discord sent after the bot stopped reading was never received and is not
counted; every vote received before must be in the database when the bot is started again.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

import pytest

from bot.feedback.votes import NUMBER_EMOJI, workaround_option
from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.launch import RECEIVED

from .botlog import logged
from .test_e2e_discord import ENTRY, bot_env, wait_prompts, wait_stored

pytestmark = [pytest.mark.e2e]

PROMPTED = 3  # KNOWNFIX_REACTION_PROMPTS in bot_env: the workarounds people vote for
VOTERS = 500  # each votes for the three workarounds shown: 1,500 votes, the flood of the issue
VOTES_BEFORE_SIGTERM = 300  # the rest of the flood arrives while the bot shuts down
VOTES_AFTER_STOP = 150  # ... and these once it has said it is shutting down: never received
RECEIVED_LINE = re.compile(rf"^{RECEIVED} s=(\d+) t=MESSAGE_REACTION_ADD$", re.MULTILINE)


async def entry_reply(fake: FakeDiscord, user: dict[str, Any]) -> dict[str, Any]:
    """A public reply showing ENTRY, with its vote prompts (through /entry: no matcher threshold involved)."""
    used = await fake.slash_command("entry", user, fake.general_channel, [{"name": "id", "type": 3, "value": ENTRY}])
    reply = (await fake.wait_for_callback(used)).message
    assert reply is not None
    await wait_prompts(fake, reply["id"])
    return reply


async def stored_votes(database: Path, reply_id: int) -> set[tuple[int, str]]:
    async with (
        Store(database) as store,
        store.db.execute("SELECT user_id, option FROM votes WHERE reply_message_id = ?", (reply_id,)) as cur,
    ):
        return {(int(user), str(option)) async for user, option in cur}


async def test_sigterm_during_a_vote_flood_keeps_every_vote_the_bot_received(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        database = tmp_path / "knownfix.sqlite3"
        settings = bot_env(fake, database, [fake.help_channel], FAKEDISCORD_TRACE_RECEIVED="1")
        first = BotProcess(fake, settings, tmp_path / "first.log")
        try:
            await first.start()
            reply = await entry_reply(fake, fake.user("ana"))
            shown = (await wait_stored(database, int(reply["id"]), ENTRY)).shown_workarounds
            assert len(shown) >= PROMPTED
            options = {NUMBER_EMOJI[i]: workaround_option(number) for i, number in enumerate(shown[:PROMPTED])}
            voters = [fake.user(f"voter{n}") for n in range(VOTERS)]
            flood = [(voter, emoji) for voter in voters for emoji in options]
            assert first.proc is not None
            for sent, (voter, emoji) in enumerate(flood):
                if sent == VOTES_BEFORE_SIGTERM:
                    first.proc.send_signal(signal.SIGTERM)
                if sent == len(flood) - VOTES_AFTER_STOP:  # the last ones surely come after it stopped reading
                    await logged(first, "shutting down", timeout=15)
                await fake.add_reaction(reply, emoji, voter)
            # The one SIGTERM alone ends the bot cleanly. (A second one could land after the event loop has
            # closed and its handler is gone, where the default action kills the exiting process.)
            assert await first.wait_exit(30) == 0
        finally:
            await first.stop()

        assert fake.session is not None
        voter_ids = {voter["id"] for voter in voters}
        votes_by_seq = {
            seq: (int(data["user_id"]), options[data["emoji"]["name"]])
            for seq, event, data in fake.session.events
            if event == "MESSAGE_REACTION_ADD" and data["user_id"] in voter_ids
        }
        assert len(votes_by_seq) == len(flood)
        received = {int(seq) for seq in RECEIVED_LINE.findall(first.log())} & votes_by_seq.keys()
        # The SIGTERM came part-way: the bot received votes, and stopped reading before the flood ended.
        assert 0 < len(received) < len(flood), len(received)

        second = BotProcess(fake, settings, tmp_path / "second.log")
        try:
            await second.start()  # the same database, after the restart
            stored = await stored_votes(database, int(reply["id"]))
        finally:
            assert await second.stop() == 0
        lost = {votes_by_seq[seq] for seq in received} - stored
        assert not lost, f"{len(lost)} of {len(received)} received votes lost"
        assert stored <= set(votes_by_seq.values())
        assert not first.problems(), "\n".join(first.problems())  # no handler hit a closed store
