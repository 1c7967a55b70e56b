"""SQLite's write lock held by another connection: every write of the store waits for it, up to the busy timeout.

SQLite waits out another connection's write lock (busy_timeout) only when a transaction asks for the lock with
no read transaction open on its connection. One that already reads gets "database is locked" at once, without
waiting: it holds a snapshot another writer may be about to change, so waiting could deadlock. The store runs
every task on one connection, so a read another task has left open (a SELECT stepped to its first row, its
rows not yet fetched) is enough to turn a write into that immediate refusal. These tests vote the way the
vote buttons do (read the reply, read the voter's votes, write, read again), 200 voters within half a
second, while a real second connection on the same file holds the write lock for less than the busy timeout.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.engine import Engine
from bot.feedback.votes import NONE_FIXED, workaround_option
from bot.service import Service, VoteState
from bot.store import Store, StoredReply

# Well under the store's 5 s busy timeout (bot.store.backend): every write must wait it out, none may give up.
HOLD_S = 0.05
GAP_S = 0.02  # between two of the other connection's transactions: the store's writes get the lock in turn
VOTERS = 200  # presses at once: the burst in which 1-3 votes were refused with "database is locked"
# Presses arrive this far apart, as they do from many people (a burst in lock step hides the race: every
# press's reads end before the first write starts).
PRESS_SPACING_S = 0.002
READERS = 10  # tasks reading all the time the votes are written (reply lookups, settings, /stats)
CLIP = "clip-gradients"  # one of demo/loss-nan's workarounds (tests/fixtures/kb)


def reply(message_id: int = 100) -> StoredReply:
    return StoredReply(message_id, 10, 1, message_id + 1, 7, "demo/loss-nan", (CLIP,), 0.9, "high")


@contextmanager
def another_writer(path: Path) -> Iterator[threading.Event]:
    """Another real connection to the same file writes for HOLD_S, again and again, until the block ends (a
    backup, or another process's transactions). The event is set once it first holds the write lock."""
    holding, done = threading.Event(), threading.Event()

    def write_again_and_again() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            while not done.is_set():
                other.execute("BEGIN IMMEDIATE")
                other.execute("UPDATE watched_channels SET mode = mode")
                holding.set()
                done.wait(HOLD_S)
                other.execute("COMMIT")
                done.wait(GAP_S)
        finally:
            other.close()

    thread = threading.Thread(target=write_again_and_again)
    thread.start()
    try:
        yield holding
    finally:
        done.set()
        thread.join()


async def first_held(holding: threading.Event) -> None:
    assert await asyncio.to_thread(holding.wait, 10), "the other connection never took the write lock"


async def test_a_burst_of_presses_waits_for_another_connections_writes_and_every_vote_lands(
    tmp_path: Path, demo_engine: Engine
) -> None:
    path = tmp_path / "k.sqlite3"
    async with Store(path) as store:
        service = Service(lambda: demo_engine, store)
        await store.record_reply(reply())
        option = workaround_option(CLIP)

        async def press(user: int) -> VoteState | None:
            await asyncio.sleep(user * PRESS_SPACING_S)
            return await service.toggle_vote(100, user, option, via="button")

        with another_writer(path) as holding:
            await first_held(holding)
            pressed = await asyncio.gather(*(press(user) for user in range(VOTERS)), return_exceptions=True)
        refused = [repr(result) for result in pressed if isinstance(result, BaseException)]
        assert refused == [], f"{len(refused)} of {VOTERS} presses refused: {refused[:3]}"
        assert all(isinstance(state, VoteState) and state.votes == (option,) for state in pressed)
        assert await store.vote_count() == VOTERS


async def test_writes_racing_reads_on_the_shared_connection_wait_for_the_lock(tmp_path: Path) -> None:
    # The store itself, without the service: replies and channels read all the while votes are written.
    path = tmp_path / "k.sqlite3"
    async with Store(path) as store:
        for message_id in range(100, 110):
            await store.record_reply(reply(message_id))
        await store.watch(55, 1, 7)
        writing = True

        async def reader() -> int:
            reads = 0
            while writing:
                assert await store.reply(100 + reads % 10) is not None
                assert await store.watched_channels() == {55: "answer"}
                reads += 1
            return reads

        with another_writer(path) as holding:
            await first_held(holding)
            readers = [asyncio.create_task(reader()) for _ in range(READERS)]
            votes = (store.add_vote(100 + user % 10, user, NONE_FIXED) for user in range(VOTERS))
            added = await asyncio.gather(*votes, return_exceptions=True)
            writing = False
            assert all(await asyncio.gather(*readers)), "a reader never got to read"
        refused = [repr(result) for result in added if not isinstance(result, bool)]
        assert refused == [], f"{len(refused)} of {VOTERS} writes refused: {refused[:3]}"
        assert all(added) and await store.vote_count() == VOTERS
