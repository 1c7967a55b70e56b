"""End to end: two real bot processes on one real PostgreSQL database, against the fake Discord (issue 12, item 5).

Both processes open the same shard, as in a deploy overlap: the fake sends each of them every message of the
guild, so only the claims in the database keep the replies to one a message. Interactions (button presses,
slash commands) go to one process each, in turn, as Discord sends an interaction to one session.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.rest import RATE_LIMIT, RATE_WINDOW_S
from tests.fakediscord.server import Call, Interaction, buttons_of

from .botlog import logged
from .postgres import PostgresServer
from .test_e2e_config import config, subcommand
from .test_e2e_discord import TRACEBACK, bot_env, pasted
from .test_e2e_gaps import private_answer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

MESSAGES = 100
BURST = RATE_LIMIT // 2  # messages posted at once: their replies stay inside the fake's rate limit
MENTIONS = 10  # mentions are answered by their own cog: its one-answer rule must hold across processes too
VOTERS = 200
# Presses sent before one process is killed: a third of the burst, so that it dies with votes in flight.
KILL_AFTER = 60
# Presses in flight at once. Discord gives a bot 3 s to answer an interaction, and the fake holds the bots to
# it: a window keeps the burst within what this loaded two-core machine answers in time (about 20 votes/s per
# process end to end, see README "Several processes"), so that a refusal means a fault, not a slow machine.
PRESS_WINDOW = 10
COUNTED = "Your vote on this reply:"  # how a voter is told their vote counted (bot.chat.buttons.acknowledgement)
APPLIED = "applied a change from another process: settings"
# No vote reactions under replies (the production default): a hundred replies would spend their time on
# Discord's reaction rate limit, which is not what these tests measure.
QUIET = {"KNOWNFIX_REACTION_PROMPTS": "0"}


@dataclass
class Pair:
    fake: FakeDiscord
    database: str
    bots: list[BotProcess]


@asynccontextmanager
async def two_processes(postgres_server: PostgresServer, tmp_path: Path, **extra: str) -> AsyncIterator[Pair]:
    """Two bot processes on one fresh PostgreSQL database and the same shard, watching the help channel."""
    database = postgres_server.create_database()
    async with FakeDiscord() as fake:
        env = bot_env(fake, tmp_path / "unused.sqlite3", [fake.help_channel], KNOWNFIX_DATABASE=database, **QUIET)
        env |= extra
        bots = [BotProcess(fake, env, tmp_path / f"bot{n}.log") for n in range(2)]
        try:
            for bot in bots:
                await bot.start()
            assert len(fake.sessions) == 2 and all(s.live for s in fake.sessions)
            yield Pair(fake, database, bots)
        finally:
            for bot in bots:
                await bot.stop()


async def stopped_cleanly(pair: Pair) -> None:
    """Both processes stopped with SIGTERM, which lets every running handler finish: nothing is posted after."""
    for bot in pair.bots:
        assert await bot.stop() == 0, bot.log()[-3000:]
        assert not bot.problems(), "\n".join(bot.problems())
    assert not pair.fake.errors, pair.fake.errors


async def query(database: str, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
    async with Store(database) as store:
        return [tuple(row) for row in await store.query(sql, params)]


async def answered(fake: FakeDiscord, author: dict[str, Any], database: str) -> dict[str, Any]:
    """A pasted traceback in the help channel, and the bot's reply to it (the message as stored), once the
    database has it: the bot records a reply just after posting it, and a vote before that finds no reply."""
    source = await fake.post_message(fake.help_channel, pasted(), author)
    reply = (await fake.wait_for_reply(source, timeout=30)).message
    assert reply is not None
    async with Store(database) as store:
        async with asyncio.timeout(15):
            while await store.reply(int(reply["id"])) is None:
                await asyncio.sleep(0.05)
    return fake.messages[int(reply["id"])].payload


def first_workaround_button(reply: dict[str, Any]) -> str:
    found = (b["custom_id"] for b in buttons_of(reply.get("components") or []) if "Fixed" in str(b.get("label")))
    return str(next(found))


def final_answers(fake: FakeDiscord) -> dict[int, Call]:
    """Interaction id -> the bot's last word on a press: the edit that replaced its private "is thinking..." once
    the vote was written (bot.chat.buttons), or a first response Discord refused."""
    press_of = {i.token: i.id for i in fake.interactions.values()}
    found: dict[int, Call] = {}
    for c in fake.calls:
        if c.name == "interaction_callback" and c.status and not c.ok:
            found[int(c.params["interaction_id"])] = c
        elif c.name == "edit_webhook_message" and c.status and c.params.get("token") in press_of:
            found[press_of[c.params["token"]]] = c
    return found


def vote_counted(answer: Call) -> bool:
    """Whether the voter was told their vote counted."""
    return answer.ok and str(answer.body.get("content")).startswith(COUNTED)


async def wait_answered(fake: FakeDiscord, presses: list[Interaction], timeout: float = 120.0) -> dict[int, Call]:
    """Wait until the bot responded to every press; the responses. One waiter, not one per press: hundreds of
    waiters would each scan every request on every request, and starve the fake's own event loop."""
    wanted = {p.id for p in presses}
    await fake.wait_until(lambda: wanted <= final_answers(fake).keys(), timeout=timeout, what="answers to the presses")
    return {i: c for i, c in final_answers(fake).items() if i in wanted}


def all_answered(fake: FakeDiscord, messages: list[dict[str, Any]]) -> bool:
    return all(fake.replies_to(m) for m in messages)


async def test_every_message_gets_exactly_one_reply_from_two_processes(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    async with two_processes(postgres_server, tmp_path) as pair:
        fake = pair.fake
        askers = [fake.user(f"asker{n}") for n in range(10)]
        sources: list[dict[str, Any]] = []
        # In bursts the channel's rate limit allows: both processes post into one channel under one token, and
        # past the limit discord.py gives up on a reply after its retries (Discord itself allows far fewer).
        for start in range(0, MESSAGES, BURST):
            burst = [
                await fake.post_message(fake.help_channel, pasted(TRACEBACK, f"crash #{n}"), askers[n % len(askers)])
                for n in range(start, min(start + BURST, MESSAGES))
            ]
            await fake.wait_until(functools.partial(all_answered, fake, burst), timeout=120, what="a burst's replies")
            await asyncio.sleep(RATE_WINDOW_S)
            sources += burst
        # Questions put to the bot by mention, outside the watched channels: one answer each as well.
        bot_id = fake.bot_user["id"]
        mentions = [
            await fake.post_message(fake.unwatched_channel, f"<@{bot_id}> {pasted(TRACEBACK)}", fake.user(f"pinger{n}"))
            for n in range(MENTIONS)
        ]
        await fake.wait_until(
            lambda: all(fake.replies_to(s) for s in sources + mentions),
            timeout=180,
            what=f"replies to {MESSAGES} messages and {MENTIONS} mentions",
        )
        await stopped_cleanly(pair)  # every handler in both processes ran to its end
        delivered = [
            frame["session"]
            for what, frame in fake.gateway_log
            if what == "dispatch" and frame["t"] == "MESSAGE_CREATE" and frame["delivered"]
        ]
        assert sorted(set(delivered)) == [0, 1]  # both processes received the messages
        assert [len([c for c in fake.replies_to(s) if c.ok]) for s in sources] == [1] * MESSAGES
        assert [len([c for c in fake.replies_to(s) if c.ok]) for s in mentions] == [1] * MENTIONS
        claims = await query(pair.database, "SELECT message_id, process FROM claims")
        assert {int(row[0]) for row in claims} == {int(s["id"]) for s in sources + mentions}


async def press_in_windows(
    pair: Pair, reply: dict[str, Any], voters: list[dict[str, Any]], *, kill_after: int | None = None
) -> list[Interaction]:
    """Every voter presses the first "Fixed it" button, PRESS_WINDOW at a time: the next window is pressed once
    the running processes answered the last. With `kill_after`, the second process is killed with SIGKILL right
    after that many presses went out, its presses still in flight."""
    fake, button = pair.fake, first_workaround_button(reply)
    presses: list[Interaction] = []
    for start in range(0, len(voters), PRESS_WINDOW):
        window = voters[start : start + PRESS_WINDOW]
        pressed = await asyncio.gather(*(fake.press_button(reply, button, voter) for voter in window))
        presses += pressed
        if len(presses) == kill_after:
            await killed(pair, 1)
        alive = {n for n, session in enumerate(fake.sessions) if session.live}
        await wait_answered(fake, [p for p in pressed if fake.interaction_sessions[p.id] in alive])
    return presses


async def killed(pair: Pair, index: int) -> None:
    bot = pair.bots[index]
    assert bot.proc is not None
    bot.proc.kill()  # SIGKILL: no clean stop, no handler finishes
    await bot.wait_exit(15)
    await pair.fake.wait_until(lambda: not pair.fake.sessions[index].live, timeout=15, what="its session to close")


async def test_votes_spread_over_two_processes_are_all_kept(postgres_server: PostgresServer, tmp_path: Path) -> None:
    async with two_processes(postgres_server, tmp_path) as pair:
        fake = pair.fake
        reply = await answered(fake, fake.user("asker"), pair.database)
        presses = await press_in_windows(pair, reply, [fake.user(f"voter{n}") for n in range(VOTERS)])
        answers = final_answers(fake)
        assert [answers[p.id].status for p in presses if not vote_counted(answers[p.id])] == []
        served = [fake.interaction_sessions[p.id] for p in presses]
        assert served.count(0) == served.count(1) == VOTERS // 2  # half the voters through each process
        on_reply = (int(reply["id"]),)
        assert await query(pair.database, "SELECT COUNT(*) FROM votes WHERE reply_message_id = ?", on_reply) == [
            (VOTERS,)
        ]
        await stopped_cleanly(pair)


async def test_killing_one_process_in_a_vote_burst_loses_no_acknowledged_vote(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    async with two_processes(postgres_server, tmp_path) as pair:
        fake = pair.fake
        reply = await answered(fake, fake.user("asker"), pair.database)
        voters = [fake.user(f"voter{n}") for n in range(VOTERS)]
        presses = await press_in_windows(pair, reply, voters, kill_after=KILL_AFTER)
        answers = final_answers(fake)
        acked = [p for p in presses if p.id in answers and vote_counted(answers[p.id])]
        survivor = [p for p in presses if fake.interaction_sessions[p.id] == 0]
        assert {p.id for p in survivor} <= {p.id for p in acked}  # the survivor answered every press it got
        assert len(survivor) > VOTERS // 2  # after the kill every press went to the survivor
        voted = {int(row[0]) for row in await query(pair.database, "SELECT user_id FROM votes")}
        lost = [p for p in acked if int(p.payload["member"]["user"]["id"]) not in voted]
        assert lost == []
        # The survivor still answers: the killed process's claims and leases block nothing new.
        await answered(fake, fake.user("after the kill"), pair.database)
        assert await pair.bots[0].stop() == 0 and not pair.bots[0].problems()


async def test_a_config_change_through_one_process_is_applied_by_the_other(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    async with two_processes(postgres_server, tmp_path) as pair:
        fake, (first, other) = pair.fake, pair.bots
        manager, helper = fake.user("mod", moderator=True), fake.user("helper", helper=True)
        fake.route_interactions(0)
        said = await config(fake, manager, "set", setting="helper_roles", value=f"<@&{fake.helper_role_id}>")
        assert said == f"**helper_roles** is now <@&{fake.helper_role_id}> in this server."
        await logged(other, APPLIED, timeout=15)
        assert APPLIED not in first.log()  # the process that made the change does not hear its own
        fake.route_interactions(1)
        used = await fake.slash_command("config", manager, fake.general_channel, subcommand("show"))
        shown = await private_answer(fake, used)
        assert f"**helper_roles**: <@&{fake.helper_role_id}> (server)" in shown
        fake.route_interactions(None)
        quiet = await fake.post_message(fake.help_channel, pasted(), helper)
        await answered(fake, fake.user("asker"), pair.database)
        await stopped_cleanly(pair)
        assert fake.replies_to(quiet) == []  # neither process answered the helper


async def test_shards_split_the_guild_and_one_process_syncs_the_commands(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    database = postgres_server.create_database()
    async with FakeDiscord() as fake:
        env = bot_env(fake, tmp_path / "unused.sqlite3", [fake.help_channel], KNOWNFIX_DATABASE=database, **QUIET)
        home = (fake.guild_id >> 22) % 2  # the shard Discord puts the guild on
        bots = [
            BotProcess(fake, {**env, "KNOWNFIX_SHARD_COUNT": "2", "KNOWNFIX_SHARD_IDS": str(n)}, tmp_path / f"b{n}.log")
            for n in range(2)
        ]
        try:
            for bot in bots:
                await bot.start()
            assert [s.shard for s in fake.sessions] == [(0, 2), (1, 2)]
            sources = [await fake.post_message(fake.help_channel, pasted(), fake.user(f"a{n}")) for n in range(5)]
            await fake.wait_until(lambda: all(fake.replies_to(s) for s in sources), timeout=60, what="replies")
            delivered = {
                frame["session"]
                for what, frame in fake.gateway_log
                if what == "dispatch" and frame["t"] == "MESSAGE_CREATE" and frame["delivered"]
            }
            assert delivered == {home}  # the other shard's process never saw the guild's messages
            synced = [c for c in fake.calls if c.method == "PUT" and re.search(r"/commands$", c.path)]
            assert len(synced) == 1  # shard 0's process only (KNOWNFIX_SYNC_COMMANDS=auto)
            for bot in bots:
                assert await bot.stop() == 0 and not bot.problems(), bot.log()[-3000:]
        finally:
            for bot in bots:
                await bot.stop()
