"""The feedback store under load: 200 people voting at once, and turning votes into ranked fix rates.

Skipped, with a note and no numbers, when `bot.store` is not there yet. The store is young, so a
changed API is reported as a skip with its reason rather than stopping the other benchmarks.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.worker import percentile
from bot.knowledge.model import Entry
from bot.reply import rank_workarounds

NOT_BUILT = "feedback store: not built yet"


async def _run(
    entries: Sequence[Entry], path: Path, voters: int, votes_each: int, replies: int, reps: int
) -> dict[str, Any]:
    from bot.feedback.votes import NONE_FIXED, WRONG_MATCH, workaround_option
    from bot.store import Store, StoredReply

    usable = [e for e in entries if e.workarounds] or list(entries)
    async with Store(path) as store:
        for m in range(replies):
            e = usable[m % len(usable)]
            shown = tuple(w.id for w in e.workarounds[:3])
            await store.record_reply(StoredReply(10_000 + m, 1, 1, 50_000 + m, 90_000 + m, e.id, shown, 0.9, "high"))

        cast: set[tuple[int, int, str]] = set()  # distinct votes sent: what the database must hold

        async def voter(user: int) -> None:
            # What the reaction handler does per vote: look the reply up, then record the vote.
            rng = random.Random(user)
            for _ in range(votes_each):
                message_id = 10_000 + rng.randrange(replies)
                reply = await store.reply(message_id)
                if reply is None:
                    continue
                options = [workaround_option(n) for n in reply.shown_workarounds] + [NONE_FIXED, WRONG_MATCH]
                option = rng.choice(options)
                # What the store must hold: "none fixed it" replaces this person's "N fixed it" votes on
                # the reply, and the other way round (see Store.add_vote).
                if option == NONE_FIXED:
                    cast.difference_update({v for v in cast if v[:2] == (message_id, user) and v[2].startswith("w:")})
                elif option != WRONG_MATCH:
                    cast.discard((message_id, user, NONE_FIXED))
                cast.add((message_id, user, option))
                await store.add_vote(message_id, user, option)

        start = time.perf_counter()
        await asyncio.gather(*(voter(u) for u in range(voters)))
        vote_s = time.perf_counter() - start
        votes = await store.vote_count()

        one: list[float] = []
        for i in range(reps):  # per reply: one entry's votes -> its workarounds ranked by live fix rate
            e = usable[i % len(usable)]
            start = time.perf_counter()
            rank_workarounds(e, (await store.feedback(e.id)).tallies)
            one.append(time.perf_counter() - start)
        every: list[float] = []
        for _ in range(max(3, reps // 20)):  # the admin view: every entry at once
            start = time.perf_counter()
            all_feedback = await store.all_feedback()
            for e in entries:
                found = all_feedback.get(e.id)
                rank_workarounds(e, found.tallies if found else None)
            every.append(time.perf_counter() - start)
    one.sort()
    every.sort()
    return {
        "voters": voters,
        "votes": votes,
        "votes_lost": len(cast) - votes,
        "replies": replies,
        "votes_per_s": votes / vote_s if vote_s else 0.0,
        "rank_one_p50_ms": percentile(one, 0.5) * 1000,
        "rank_one_p99_ms": percentile(one, 0.99) * 1000,
        "rank_all_p50_ms": percentile(every, 0.5) * 1000,
        "entries": len(entries),
    }


def feedback_figures(
    entries: Sequence[Entry], voters: int = 200, votes_each: int = 20, replies: int = 1_000, reps: int = 200
) -> dict[str, Any]:
    """Figures for the store, or {"skipped": why} when there is no store to measure."""
    try:
        import bot.store  # noqa: F401
    except ImportError:
        return {"skipped": NOT_BUILT}
    with tempfile.TemporaryDirectory(prefix="knownfix-bench-store-") as tmp:
        try:
            return asyncio.run(_run(entries, Path(tmp) / "feedback.sqlite3", voters, votes_each, replies, reps))
        except (ImportError, AttributeError, TypeError) as exc:
            return {"skipped": f"feedback store: its API differs from what this benchmark expects ({exc})"}
