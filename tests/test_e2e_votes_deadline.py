"""End to end: a vote button answers within Discord's 3 s whatever the store is doing.

A press is acknowledged at once (a private "is thinking..." the voter sees), then the vote is written, then the
placeholder becomes the line that says what the voter has on the reply now, or that the vote was not recorded.
The store is made slow for real here: another connection holds SQLite's write lock, as a backup or another
process's long transaction would, so the bot's write waits on the database's busy timeout.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.feedback.votes import workaround_option
from tests.fakediscord import Call, FakeDiscord, Interaction
from tests.fakediscord.rest_interactions import INITIAL_RESPONSE_S
from tests.fakediscord.world import CHANNEL_MESSAGE

from .voting import bot_with_a_reply, buttons

pytestmark = [pytest.mark.e2e]

# How long past Discord's deadline the test still waits for the first response: a response this late would
# have been refused anyway ("This interaction failed"), so waiting longer only hides the fault.
DEADLINE_GRACE_S = 1.0
BUSY_TIMEOUT_S = 5.0  # the store's `PRAGMA busy_timeout` (bot.store.backend): a write waits this long for the lock
BURST = 200  # presses at the same instant: the burst that made some voters miss the deadline
# Presses in flight when the bot is told to stop: enough that most are still writing when SIGTERM lands.
PRESSES_AT_SIGTERM = 100
COUNTED = "Your vote on this reply: **Fixed it: 1**"  # what a voter whose vote counted is told
EPHEMERAL = 64  # the message flag that shows a message to the person who used the interaction only


@contextmanager
def write_locked(database: Path) -> Iterator[None]:
    """Hold the database's write lock from another connection: every write of the bot's waits meanwhile."""
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


async def first_response(fake: FakeDiscord, pressed: Interaction) -> Call:
    """The bot's initial response to a press, which must come within Discord's deadline and be private."""
    call = await fake.wait_for_callback(pressed, timeout=INITIAL_RESPONSE_S + DEADLINE_GRACE_S)
    assert call.ok, call.response
    assert (call.body.get("data") or {}).get("flags", 0) & EPHEMERAL, "the voter's answer is for their eyes only"
    return call


def told(fake: FakeDiscord) -> dict[str, str]:
    """Interaction token -> what the bot told the voter: its answer at once, or what replaced its placeholder."""
    said: dict[str, str] = {}
    for c in fake.calls:
        if c.ok and c.name == "interaction_callback" and c.body.get("type") == CHANNEL_MESSAGE:
            said[c.params["token"]] = str(c.body["data"].get("content"))
        elif c.ok and c.name == "edit_webhook_message" and c.params.get("message_id") == "@original":
            said[c.params["token"]] = str(c.body.get("content"))
    return said


def responded(fake: FakeDiscord, presses: list[Interaction]) -> list[Call]:
    """The bot's initial responses to these presses, accepted or refused, as far as they came."""
    ids = {str(p.id) for p in presses}
    return [
        c for c in fake.calls if c.name == "interaction_callback" and c.status and c.params["interaction_id"] in ids
    ]


async def wait_told(fake: FakeDiscord, presses: list[Interaction], timeout: float = 30.0) -> dict[str, str]:
    """What each press's voter was told in the end. One waiter for all of them (see test_multiprocess_e2e)."""
    tokens = {p.token for p in presses}
    await fake.wait_until(lambda: tokens <= told(fake).keys(), timeout=timeout, what="the voters to be told")
    said = told(fake)
    return {t: said[t] for t in tokens}


async def test_a_press_is_answered_in_time_while_the_store_is_busy_and_its_vote_is_kept(tmp_path: Path) -> None:
    async with bot_with_a_reply(tmp_path) as run:
        fake, voter = run.fake, run.fake.user("voter")
        with write_locked(run.database):
            pressed = await fake.press_button(run.reply, buttons(run.reply)["Fixed it: 1"], voter)
            await first_response(fake, pressed)
            # Acknowledged while the vote could not be written yet: the answer did not wait for the store.
            assert await run.votes(voter) == ()
        said = (await wait_told(fake, [pressed]))[pressed.token]
        assert said.startswith(COUNTED), said
        assert await run.votes(voter) == (workaround_option((await run.shown_workarounds())[0]),)
    assert not run.bot.problems(), "\n".join(run.bot.problems())


async def test_a_vote_the_store_cannot_write_is_reported_to_the_voter_in_one_line(tmp_path: Path) -> None:
    async with bot_with_a_reply(tmp_path) as run:
        fake, voter, button = run.fake, run.fake.user("voter"), buttons(run.reply)["Wrong match"]
        with write_locked(run.database):  # held past the store's busy timeout: the write fails
            pressed = await fake.press_button(run.reply, button, voter)
            await first_response(fake, pressed)
            said = (await wait_told(fake, [pressed], timeout=BUSY_TIMEOUT_S + 10))[pressed.token]
        assert "\n" not in said and "not recorded" in said, said  # one clear line
        assert await run.votes(voter) == ()
        # The bot still counts the next press once the database is free again.
        again = await fake.press_button(run.reply, button, voter)
        await first_response(fake, again)
        assert "Your vote on this reply: **Wrong match**" in (await wait_told(fake, [again]))[again.token]
    problems = run.bot.problems()
    assert len(problems) == 1 and "not recorded" in problems[0] and "locked" in problems[0], problems


async def test_a_burst_of_presses_at_the_same_instant_is_answered_in_time_and_every_vote_kept(
    tmp_path: Path,
) -> None:
    async with bot_with_a_reply(tmp_path) as run:
        fake, button = run.fake, buttons(run.reply)["Fixed it: 1"]
        voters = [fake.user(f"voter{n}") for n in range(BURST)]
        presses = await asyncio.gather(*(fake.press_button(run.reply, button, voter) for voter in voters))
        await fake.wait_until(lambda: len(responded(fake, presses)) == BURST, 120, what="every press answered")
        late = [c.response for c in responded(fake, presses) if not c.ok]
        assert late == [], f"{len(late)} of {BURST} presses missed the deadline: {late[:3]}"
        said = await wait_told(fake, presses, timeout=120)
        assert all(s.startswith(COUNTED) for s in said.values())
        async with asyncio.timeout(10):
            votes = {int(v["id"]): await run.votes(v) for v in voters}
        assert set(votes.values()) == {(workaround_option((await run.shown_workarounds())[0]),)}
    assert not run.bot.problems(), "\n".join(run.bot.problems())


async def test_sigterm_amid_presses_tells_every_acknowledged_voter_and_keeps_every_vote_counted(
    tmp_path: Path,
) -> None:
    async with bot_with_a_reply(tmp_path) as run:
        fake, bot, button = run.fake, run.bot, buttons(run.reply)["Fixed it: 1"]
        voters = [fake.user(f"voter{n}") for n in range(PRESSES_AT_SIGTERM)]
        presses = await asyncio.gather(*(fake.press_button(run.reply, button, voter) for voter in voters))
        await fake.wait_until(lambda: bool(responded(fake, presses)), 15, what="the first press answered")
        assert bot.proc is not None
        bot.proc.send_signal(signal.SIGTERM)  # the other presses are still being written
        assert await bot.wait_exit(30) == 0
        acknowledged = {c.params["token"] for c in responded(fake, presses) if c.ok}
        said = told(fake)
        assert acknowledged, "no press was answered before the bot stopped"
        # Nobody is left looking at "is thinking...": the bot finished what it had started before it stopped.
        assert sorted(acknowledged - said.keys()) == []
        counted = {int(p.payload["member"]["user"]["id"]) for p in presses if said.get(p.token, "").startswith(COUNTED)}
        stored = {int(v["id"]) for v in voters if await run.votes(v)}
        assert counted <= stored, f"{len(counted - stored)} voters told their vote counted have none stored"
    assert not bot.problems(), "\n".join(bot.problems())
