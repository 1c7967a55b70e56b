"""`python -m benchmarks --multiprocess`: reply latency and votes per second through real bot processes against
the fake Discord (tests/fakediscord), SQLite with one process against PostgreSQL with two (issue 12).

Both PostgreSQL processes run the same shard, as in a deploy overlap: each receives every message, and the claims
in the database decide which one answers; button presses go to one process each, in turn. Everything runs on
this machine: the fake Discord, the bot processes and the PostgreSQL server (tests/postgres.py) share its cores,
so the figures are for comparing the two set-ups, not for predicting a deployment's.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.server import buttons_of
from tests.postgres import PostgresUnavailable, start_server

REPO = Path(__file__).resolve().parent.parent
TRACEBACK = (REPO / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8")
# Messages answered one after another for the latency figures: enough for a p90 that is not one sample.
MESSAGES = 40
# Voters pressing a button on one reply: the e2e test's 200, times three, so that the run lasts long enough to time.
VOTERS = 600
# Presses in flight at once: the next window goes out when the last is answered. Discord gives a bot 3 s to answer
# an interaction; a larger window on this two-core machine turns into refused presses, not more votes a second.
WINDOW = 20
START_TIMEOUT_S = 120.0
BURST_TIMEOUT_S = 300.0


def bot_settings(fake: FakeDiscord, database: str) -> dict[str, str]:
    """The e2e tests' settings: no cooldowns (every message is answered) and no reaction prompts."""
    return {
        "KNOWNFIX_DATABASE": database,
        "KNOWNFIX_KNOWLEDGE": str(REPO / "knowledge"),
        "KNOWNFIX_WATCH_CHANNELS": str(fake.help_channel),
        "KNOWNFIX_CHANNEL_COOLDOWN": "0",
        "KNOWNFIX_USER_COOLDOWN": "0",
        "KNOWNFIX_REACTION_PROMPTS": "0",
        "KNOWNFIX_LOG_LEVEL": "WARNING",
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def reply_latencies(fake: FakeDiscord, messages: int) -> tuple[list[float], list[dict[str, Any]]]:
    """Seconds from a pasted traceback to the bot's reply, one message at a time; the messages posted."""
    asker = fake.user("asker")
    latencies: list[float] = []
    sources: list[dict[str, Any]] = []
    for n in range(messages):
        started = time.perf_counter()
        sources.append(await fake.post_message(fake.help_channel, f"crash #{n}\n```\n{TRACEBACK}\n```", asker))
        await fake.wait_for_reply(sources[-1], timeout=60)
        latencies.append(time.perf_counter() - started)
    return latencies, sources


async def vote_burst(fake: FakeDiscord, reply: dict[str, Any], voters: int) -> tuple[float, int]:
    """Every voter presses "Fixed it: 1", WINDOW at a time; seconds until the last answer, and how many presses
    were refused (answered after Discord's deadline)."""
    button = next(str(b["custom_id"]) for b in buttons_of(reply.get("components") or []) if "Fixed" in str(b["label"]))
    people = [fake.user(f"voter{n}") for n in range(voters)]
    refused = 0
    started = time.perf_counter()
    for start in range(0, voters, WINDOW):
        window = people[start : start + WINDOW]
        presses = await asyncio.gather(*(fake.press_button(reply, button, person) for person in window))
        ids, tokens = {str(p.id) for p in presses}, {p.token for p in presses}

        def answers(ids: set[str] = ids, tokens: set[str] = tokens) -> list[bool]:
            """The last word on each press: a first response Discord refused, or the edit that told the voter what
            the vote did (bot.chat.buttons answers at once with "is thinking..." and writes after)."""
            calls = fake.calls[-8 * WINDOW :]  # this window's answers are among the latest requests
            refused = [
                False
                for c in calls
                if c.name == "interaction_callback" and c.status and not c.ok and c.params["interaction_id"] in ids
            ]
            told = [
                c.ok for c in calls if c.name == "edit_webhook_message" and c.status and c.params["token"] in tokens
            ]
            return refused + told

        def all_answered(count: int = len(presses)) -> bool:
            return len(answers()) >= count

        await fake.wait_until(all_answered, timeout=BURST_TIMEOUT_S, what="a vote window")
        refused += answers().count(False)
    return time.perf_counter() - started, refused


async def votes_stored(database: str, reply_id: int) -> int:
    async with Store(database) as store:
        rows = await store.query("SELECT COUNT(*) FROM votes WHERE reply_message_id = ?", (reply_id,))
        return int(rows[0][0])


async def wait_recorded(database: str, reply_id: int) -> None:
    """The bot records a reply just after posting it: a vote before that finds no reply to count for."""
    async with Store(database) as store, asyncio.timeout(30):
        while await store.reply(reply_id) is None:
            await asyncio.sleep(0.05)


async def measure_setup(database: str, processes: int, logs: Path, messages: int, voters: int) -> dict[str, Any]:
    async with FakeDiscord() as fake:
        bots = [BotProcess(fake, bot_settings(fake, database), logs / f"bot{n}.log") for n in range(processes)]
        try:
            for bot in bots:
                await bot.start(START_TIMEOUT_S)
            latencies, sources = await reply_latencies(fake, messages)
            reply = (await fake.wait_for_reply(sources[-1])).message
            assert reply is not None
            await wait_recorded(database, int(reply["id"]))
            burst_s, refused = await vote_burst(fake, fake.messages[int(reply["id"])].payload, voters)
            stored = await votes_stored(database, int(reply["id"]))
            replies = sum(len([c for c in fake.replies_to(s) if c.ok]) for s in sources)
        finally:
            for bot in bots:
                await bot.stop()
    return {
        "processes": processes,
        "reply_p50_ms": statistics.median(latencies) * 1000,
        "reply_p90_ms": percentile(latencies, 0.9) * 1000,
        "replies": replies,
        "messages": messages,
        "voters": voters,
        "votes_per_s": voters / burst_s,
        "votes_refused": refused,
        "votes_lost": voters - stored,  # a refused press records nothing: counted lost here, retried by a person
    }


async def measure(messages: int = MESSAGES, voters: int = VOTERS) -> dict[str, Any]:
    results: dict[str, Any] = {"setups": {}, "notes": []}
    with tempfile.TemporaryDirectory(prefix="knownfix-bench-multi-") as tmp:
        root = Path(tmp)
        sqlite = root / "sqlite"
        sqlite.mkdir()
        results["setups"]["SQLite, 1 process"] = await measure_setup(
            str(sqlite / "k.sqlite3"), 1, sqlite, messages, voters
        )
        try:
            server = await asyncio.to_thread(start_server)
        except PostgresUnavailable as exc:
            results["notes"].append(f"PostgreSQL not measured: {exc}")
            return results
        try:
            postgres = root / "postgres"
            postgres.mkdir()
            database = await asyncio.to_thread(server.create_database)
            results["setups"]["PostgreSQL, 2 processes"] = await measure_setup(database, 2, postgres, messages, voters)
        finally:
            await asyncio.to_thread(server.stop)
    return results


def multiprocess_figures(messages: int = MESSAGES, voters: int = VOTERS) -> dict[str, Any]:
    return asyncio.run(measure(messages, voters))


def multiprocess_lines(figures: dict[str, Any]) -> list[str]:
    lines = ["several processes (real bot processes against the fake Discord, all on this machine)"]
    lines.append(f"  {'set-up':<26} {'reply p50':>10} {'reply p90':>10} {'votes/s':>9} {'lost':>5}")
    for name, row in figures["setups"].items():
        lines.append(
            f"  {name:<26} {row['reply_p50_ms']:>8.0f}ms {row['reply_p90_ms']:>8.0f}ms"
            f" {row['votes_per_s']:>9.0f} {row['votes_lost']:>5}"
        )
        extra = f"{row['replies']} replies to {row['messages']} messages, {row['voters']} voters at once"
        lines.append(f"  {'':<26} {extra}, {row['votes_refused']} refused")
    return lines + [f"  {note}" for note in figures["notes"]]
