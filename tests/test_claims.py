"""Several bot processes on one database (issue 12, item 2): reply claims, shared cooldowns, message leases and
the events one process sends the others. Each `Store` here stands for one process (its own connection or pool
and its own process id); the contract tests run on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.store import Store, events
from bot.store.claims import CooldownSlot
from bot.store.coordination import LocalCoordination, SharedCoordination, coordination_for

from .postgres import PostgresServer

GUILD, CHANNEL, OTHER_CHANNEL, ASKER, OTHER_ASKER = 1 << 40, 2 << 40, 3 << 40, 4 << 40, 5 << 40


@asynccontextmanager
async def processes(database: str | Path, count: int = 2) -> AsyncIterator[list[Store]]:
    """`count` stores on one database, as `count` bot processes would open it."""
    stores = [Store(database) for _ in range(count)]
    try:
        for store in stores:
            await store.open()
        yield stores
    finally:
        for store in stores:
            await store.close()


def slot(channel: int = CHANNEL, user: int = ASKER, channel_s: float = 10.0, user_s: float = 30.0) -> CooldownSlot:
    return CooldownSlot(GUILD, channel, user, channel_s, user_s)


async def test_one_claim_per_message_and_revision(database: str | Path) -> None:
    async with processes(database) as (first, second):
        assert await first.claims.claim_reply(123)
        assert not await second.claims.claim_reply(123)
        assert not await first.claims.claim_reply(123)  # asking again is no second reply either
        assert await second.claims.claim_reply(123, "2026-12-03T06:00:00+00:00")  # an edit is claimed apart
        assert await first.claims.claimed_by(123) == first.process != second.process


async def test_racing_processes_claim_each_message_exactly_once(database: str | Path) -> None:
    messages = range(1, 101)
    async with processes(database) as stores:
        won = await asyncio.gather(*(store.claims.claim_reply(m) for m in messages for store in stores))
        assert sum(won) == len(messages)
        owners = [await stores[0].claims.claimed_by(m) for m in messages]
        assert all(owner in (stores[0].process, stores[1].process) for owner in owners)


async def test_a_cooldown_slot_is_taken_by_one_process_at_a_time(database: str | Path) -> None:
    async with processes(database) as (first, second):
        assert await first.claims.take_cooldown(slot(), now=1000.0)
        assert not await second.claims.take_cooldown(slot(), now=1005.0)  # the channel's 10 s
        assert not await second.claims.take_cooldown(slot(channel=OTHER_CHANNEL), now=1015.0)  # the person's 30 s
        assert await second.claims.take_cooldown(slot(user=OTHER_ASKER), now=1015.0)
        assert await first.claims.take_cooldown(slot(), now=1045.0)


async def test_a_refused_cooldown_takes_neither_slot(database: str | Path) -> None:
    async with processes(database) as (first, second):
        assert await first.claims.take_cooldown(slot(), now=1000.0)
        # The channel is busy: the other person's slot must stay free, not be half taken.
        assert not await second.claims.take_cooldown(slot(user=OTHER_ASKER), now=1001.0)
        assert await second.claims.take_cooldown(slot(channel=OTHER_CHANNEL, user=OTHER_ASKER), now=1002.0)


async def test_cooldowns_follow_the_current_seconds(database: str | Path) -> None:
    async with processes(database) as (first, second):
        assert await first.claims.take_cooldown(slot(), now=1000.0)
        # A /config change to shorter cooldowns applies to slots taken before it, as it does in one process.
        assert await second.claims.take_cooldown(slot(channel_s=2.0, user_s=2.0), now=1003.0)


async def test_no_cooldown_never_refuses_whatever_the_clocks_say(database: str | Path) -> None:
    async with processes(database) as (first, second):
        assert await first.claims.take_cooldown(slot(channel_s=0.0, user_s=0.0), now=1000.0)
        # The other process read its clock a moment earlier, and commits a moment later.
        assert await second.claims.take_cooldown(slot(channel_s=0.0, user_s=0.0), now=999.9)


async def test_racing_cooldowns_let_one_reply_through(database: str | Path) -> None:
    async with processes(database) as stores:
        taken = await asyncio.gather(
            *(store.claims.take_cooldown(slot(user=ASKER + n), now=1000.0) for n in range(10) for store in stores)
        )
        assert sum(taken) == 1  # one channel: one reply, whichever process and person got there first


async def test_a_message_lease_is_held_by_one_process_and_expires(database: str | Path) -> None:
    async with processes(database) as (first, second):
        assert await first.claims.try_lease(7, lease_s=30.0)
        assert not await second.claims.try_lease(7, lease_s=30.0)
        await first.claims.release_lease(7)
        assert await second.claims.try_lease(7, lease_s=-1.0)  # held, but already expired: a killed holder
        assert await first.claims.try_lease(7, lease_s=30.0)
        await second.claims.release_lease(7)  # not its lease any more: changes nothing
        assert not await second.claims.try_lease(7, lease_s=30.0)


async def test_the_coordination_follows_the_backend(database: str | Path) -> None:
    async with processes(database, 1) as (store,):
        expected = LocalCoordination if store.dialect == "sqlite" else SharedCoordination
        assert type(coordination_for(store)) is expected


async def test_a_message_lock_leaves_the_event_to_the_process_handling_that_message(database: str | Path) -> None:
    async with processes(database) as stores:
        first, second = (coordination_for(store) for store in stores)
        async with first.message_lock(99) as ours:
            assert ours
            async with second.message_lock(99) as theirs:
                # PostgreSQL: the other process is on it (and receives this event too). SQLite has one process
                # per database, so two coordinations there never see each other, by design.
                assert theirs is (stores[0].dialect == "sqlite")
            async with second.message_lock(100) as other_message:
                assert other_message
        async with second.message_lock(99) as free_again:
            assert free_again


async def test_events_of_one_message_in_one_process_take_turns(database: str | Path) -> None:
    async with processes(database, 1) as (store,):
        coordination = coordination_for(store)
        order: list[str] = []
        entered, release = asyncio.Event(), asyncio.Event()

        async def create() -> None:
            async with coordination.message_lock(5) as ours:
                order.append(f"create {ours}")
                entered.set()
                await release.wait()

        async def edit() -> None:
            await entered.wait()
            async with coordination.message_lock(5) as ours:
                order.append(f"edit {ours}")

        tasks = [asyncio.create_task(create()), asyncio.create_task(edit())]
        await entered.wait()
        await asyncio.sleep(0)
        order.append("released")
        release.set()
        await asyncio.gather(*tasks)
        assert order == ["create True", "released", "edit True"]


async def test_sqlite_coordination_keeps_cooldowns_in_memory(tmp_path: Path) -> None:
    async with processes(tmp_path / "k.sqlite3", 1) as (store,):
        coordination = coordination_for(store)
        assert coordination.cooldown_ready(slot())
        assert await coordination.take_cooldown(slot())
        assert not coordination.cooldown_ready(slot()) and not await coordination.take_cooldown(slot())
        assert await store.query("SELECT COUNT(*) FROM cooldowns") == [(0,)]  # no database write for it


# -- events: what one process tells the others (PostgreSQL LISTEN/NOTIFY) ----------------------------------


async def heard_events(listener: Store) -> asyncio.Queue[events.Event]:
    heard: asyncio.Queue[events.Event] = asyncio.Queue()
    await listener.listen(heard.put_nowait)
    return heard


@pytest.mark.postgres
async def test_settings_and_watch_changes_reach_the_other_process(postgres_server: PostgresServer) -> None:
    async with processes(postgres_server.create_database()) as (changer, other):
        own = await heard_events(changer)
        heard = await heard_events(other)
        await changer.set_server_setting(GUILD, "user_cooldown", "45", None)
        event = await asyncio.wait_for(heard.get(), 10)
        assert (event.kind, event.guild_id, event.origin) == (events.SETTINGS, GUILD, changer.process)
        assert await other.server_settings(GUILD) == {GUILD: {"user_cooldown": "45"}}  # readable when heard
        await changer.reset_server_setting(GUILD, "user_cooldown")
        assert (await asyncio.wait_for(heard.get(), 10)).kind == events.SETTINGS
        await changer.watch(CHANNEL, GUILD, None, "suggest")
        event = await asyncio.wait_for(heard.get(), 10)
        assert (event.kind, event.channel_id, event.mode) == (events.WATCH, CHANNEL, "suggest")
        await changer.unwatch(CHANNEL)
        event = await asyncio.wait_for(heard.get(), 10)
        assert (event.kind, event.channel_id, event.mode) == (events.WATCH, CHANNEL, None)
        await changer.announce(events.Event(events.RELOAD))
        assert (await asyncio.wait_for(heard.get(), 10)).kind == events.RELOAD
        assert own.empty()  # a process does not hear its own changes: it applied them already


@pytest.mark.postgres
async def test_a_malformed_event_is_dropped(postgres_server: PostgresServer) -> None:
    async with processes(postgres_server.create_database()) as (sender, listener):
        heard = await heard_events(listener)
        for payload in ("not json", '{"kind": "explode"}', '{"kind": "settings", "guild_id": "x"}'):
            await sender.query(f"SELECT pg_notify('{events.CHANNEL}', '{payload}')")
        await sender.announce(events.Event(events.RELOAD))
        assert (await asyncio.wait_for(heard.get(), 10)).kind == events.RELOAD  # the last one; the rest dropped
        assert heard.empty()


async def test_sqlite_sends_no_events(tmp_path: Path) -> None:
    async with processes(tmp_path / "k.sqlite3", 1) as (store,):
        heard = await heard_events(store)
        await store.set_server_setting(GUILD, "user_cooldown", "45", None)
        await store.announce(events.Event(events.RELOAD))
        assert heard.empty()
