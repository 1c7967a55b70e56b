"""How passive mode keeps one reply per message and its cooldowns: within one process, or across several.

One interface, two kinds, picked by the store's backend (`coordination_for`), so that passive mode never asks
which database it runs on:

- `LocalCoordination` (SQLite: one process per database) keeps cooldowns and per-message locks in memory,
  as knownfix always did; its claims still go to the database (one insert a reply).
- `SharedCoordination` (PostgreSQL: several processes) takes cooldowns and per-message leases in the database
  (bot.store.claims), each behind the same in-memory structures, which save a round trip where this process
  alone already knows the answer.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from bot.store.claims import CooldownSlot
from bot.store.store import Store

MAX_LOCKS = 1024  # per-message locks kept in memory; idle ones are dropped past this
# A message's lease outlives its slowest handling (pastes read for at most 10 s, matching, posting with a
# rate-limit retry); a process killed while holding one keeps that message's next events unhandled at most this.
MESSAGE_LEASE_S = 30.0


class Cooldowns:
    """At most one passive reply per channel every `channel_s` seconds and per person every `user_s`."""

    def __init__(self) -> None:
        self._channel: dict[tuple[int, int], float] = {}
        self._user: dict[tuple[int, int], float] = {}

    def ready(self, slot: CooldownSlot, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        channel, user = (slot.guild_id, slot.channel_id), (slot.guild_id, slot.user_id)
        return now - self._channel.get(channel, -1e18) >= slot.channel_s and (
            now - self._user.get(user, -1e18) >= slot.user_s
        )

    def used(self, slot: CooldownSlot, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._channel[slot.guild_id, slot.channel_id] = self._user[slot.guild_id, slot.user_id] = now


class MessageLocks:
    """One handler at a time per message in this process: its create and edit events must not both answer."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, message_id: int) -> asyncio.Lock:
        lock = self._locks.get(message_id)
        if lock is None:
            if len(self._locks) > MAX_LOCKS:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[message_id] = asyncio.Lock()
        return lock


class Coordination(ABC):
    def __init__(self, store: Store) -> None:
        self.store = store
        self.cooldowns = Cooldowns()
        self.locks = MessageLocks()

    def cooldown_ready(self, slot: CooldownSlot) -> bool:
        """A check without I/O before the matching: False only when the slot is surely taken."""
        return self.cooldowns.ready(slot)

    @abstractmethod
    async def take_cooldown(self, slot: CooldownSlot) -> bool:
        """Take the channel's and the person's reply slot, if both are free (then True)."""

    @abstractmethod
    def message_lock(self, message_id: int) -> AbstractAsyncContextManager[bool]:
        """Hold while handling one message's event: no other handler of it runs meanwhile, here or elsewhere.
        It gives False when another process is handling that message now: leave the event to it."""

    async def claim(self, message_id: int, revision: str = "") -> bool:
        """True for the one handler that may post this message's reply (revision: '' as posted, or the edit's)."""
        return await self.store.claims.claim_reply(message_id, revision)


class LocalCoordination(Coordination):
    async def take_cooldown(self, slot: CooldownSlot) -> bool:
        # No await between the check and the use, or two messages matched at the same time would both take it.
        if not self.cooldowns.ready(slot):
            return False
        self.cooldowns.used(slot)
        return True

    @asynccontextmanager
    async def message_lock(self, message_id: int) -> AsyncIterator[bool]:
        async with self.locks.lock(message_id):
            yield True


class SharedCoordination(Coordination):
    async def take_cooldown(self, slot: CooldownSlot) -> bool:
        if not self.cooldowns.ready(slot) or not await self.store.claims.take_cooldown(slot):
            return False
        self.cooldowns.used(slot)
        return True

    @asynccontextmanager
    async def message_lock(self, message_id: int) -> AsyncIterator[bool]:
        # Events of one message in this process wait for each other here. Another process holding the lease
        # is not waited for: a message's events reach either one process (its guild's shard) or every process
        # on that shard (a deploy overlap), so the holder receives this event too and handles it after the
        # one it is on. Waiting instead would have every process poll the database for every message.
        async with self.locks.lock(message_id):
            if not await self.store.claims.try_lease(message_id, MESSAGE_LEASE_S):
                yield False
                return
            try:
                yield True
            finally:
                await self.store.claims.release_lease(message_id)


def coordination_for(store: Store) -> Coordination:
    """In memory for SQLite (one process per database), through the database for PostgreSQL."""
    return SharedCoordination(store) if store.dialect == "postgresql" else LocalCoordination(store)
