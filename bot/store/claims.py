"""What several bot processes on one database agree through it (schema 7): reply claims, cooldowns, message leases.

- A **claim** is taken before a reply is posted: `INSERT ... ON CONFLICT DO NOTHING` on (message, revision), and
  only the process whose insert went in posts. Two processes that both receive a message (a deploy overlap, two
  sessions on one shard) therefore answer it once. An edit that answers again claims the edit's own revision.
- A **cooldown** slot per (server, channel) and (server, person) records when a passive reply last took it;
  taking both is one upsert whose `WHERE` lets only a slot old enough be rewritten, and anything less than both
  rolls back, so two processes never both take a slot.
- A **message lease** orders the handling of one message's events across processes (its create and its edits):
  a row with an expiry, so that a process killed while holding it delays the others by at most the lease.

Every statement here is in the SQL both backends read. Times are Unix seconds (`time.time()`): the processes
share the wall clock, not a monotonic one.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from bot.store.backend import Transaction

T = TypeVar("T")

# A claim is kept a week: Discord re-delivers an event after a resume within minutes, and an edit of an old
# message carries a new revision, so older claims decide nothing.
CLAIM_TTL_S = 7 * 86_400.0
# Expired claims and leases are deleted with every this-many-th claim, so that a claim costs one insert.
PRUNE_EVERY = 500

CHANNEL = "channel"
USER = "user"


def new_process_id() -> str:
    """Names one bot process in claims and leases: host and pid for the operator, random for uniqueness (a
    pid repeats across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class CooldownSlot:
    """The two slots one passive reply takes, with the server's current seconds for each."""

    guild_id: int
    channel_id: int
    user_id: int
    channel_s: float
    user_s: float


class _SlotTaken(Exception):
    """Raised inside the cooldown transaction to roll it back when only one of the two slots was free."""


CLAIM_SQL = "INSERT INTO claims (message_id, revision, process, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
# Both slots in one statement: a row is rewritten only when its last use is at least the current seconds ago
# (the seconds of the server now, so a /config change applies at once, as in one process), or when those
# seconds are 0 (no cooldown: a process whose clock reading is a moment older than another's must not be
# refused). An insert that meets another process's uncommitted row waits for it, then sees its time.
_SECONDS = "(CASE cooldowns.kind WHEN ? THEN CAST(? AS DOUBLE PRECISION) ELSE CAST(? AS DOUBLE PRECISION) END)"
TAKE_COOLDOWN_SQL = (
    "INSERT INTO cooldowns (guild_id, kind, key_id, used_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)"
    " ON CONFLICT (guild_id, kind, key_id) DO UPDATE SET used_at = excluded.used_at"
    f" WHERE {_SECONDS} <= 0 OR cooldowns.used_at <= excluded.used_at - {_SECONDS}"
)
LEASE_SQL = (
    "INSERT INTO message_locks (message_id, holder, expires_at) VALUES (?, ?, ?)"
    " ON CONFLICT (message_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
    " WHERE message_locks.expires_at < ?"
)


class Database(Protocol):
    """What the claims need of the store (`bot.store.store.Store`, which holds them): the process it speaks for, a
    write transaction, a read."""

    @property
    def process(self) -> str: ...

    async def atomic(self, work: Callable[[Transaction], Awaitable[T]]) -> T: ...

    async def query(self, sql: str, params: tuple[object, ...] = ()) -> list[Sequence[Any]]: ...


class Claims:
    """The store's coordination statements, for one process (its id is the store's)."""

    def __init__(self, store: Database) -> None:
        self.store = store
        self._claims_since_prune = 0

    @property
    def process(self) -> str:
        return self.store.process

    async def claim_reply(self, message_id: int, revision: str = "") -> bool:
        """True for the one process that may reply to this message (revision '' as posted, an edit's time
        for an edit); False for every other, and for this one asking again."""
        now = time.time()
        self._claims_since_prune += 1
        prune = self._claims_since_prune >= PRUNE_EVERY
        if prune:
            self._claims_since_prune = 0

        async def claim(tx: Transaction) -> int:
            taken = await tx.execute(CLAIM_SQL, (message_id, revision, self.process, now))
            if prune:
                await tx.execute("DELETE FROM claims WHERE claimed_at < ?", (now - CLAIM_TTL_S,))
                await tx.execute("DELETE FROM message_locks WHERE expires_at < ?", (now,))
            return taken

        return await self.store.atomic(claim) > 0

    async def claimed_by(self, message_id: int, revision: str = "") -> str | None:
        rows = await self.store.query(
            "SELECT process FROM claims WHERE message_id = ? AND revision = ?", (message_id, revision)
        )
        return str(rows[0][0]) if rows else None

    async def take_cooldown(self, slot: CooldownSlot, now: float | None = None) -> bool:
        """Take the channel's and the person's slot together, or neither: False when either was used too
        recently (by any process)."""
        now = time.time() if now is None else now
        rows = (slot.guild_id, CHANNEL, slot.channel_id, now, slot.guild_id, USER, slot.user_id, now)
        seconds = (CHANNEL, slot.channel_s, slot.user_s)
        params = (*rows, *seconds, *seconds)

        async def take(tx: Transaction) -> bool:
            if await tx.execute(TAKE_COOLDOWN_SQL, params) < 2:
                raise _SlotTaken
            return True

        try:
            return await self.store.atomic(take)
        except _SlotTaken:
            return False

    async def try_lease(self, message_id: int, lease_s: float) -> bool:
        """Take this message's lease if no other process holds a live one."""
        now = time.time()

        async def lease(tx: Transaction) -> int:
            return await tx.execute(LEASE_SQL, (message_id, self.process, now + lease_s, now))

        return await self.store.atomic(lease) > 0

    async def release_lease(self, message_id: int) -> None:
        async def release(tx: Transaction) -> int:
            return await tx.execute(
                "DELETE FROM message_locks WHERE message_id = ? AND holder = ?", (message_id, self.process)
            )

        await self.store.atomic(release)
