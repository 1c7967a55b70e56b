"""`knownfix db migrate` and `knownfix db copy`: bring a database to the current schema, or move every row of
one database into another (an operator moving from SQLite to PostgreSQL keeps every vote).

A copy reads the source in one transaction (a consistent snapshot) and writes the target in one
transaction: a copy that fails half way leaves the target as it was. The source is migrated first, so both
sides have the same tables and columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.store.backend import Row, display_name
from bot.store.lock import DatabaseLock
from bot.store.schema import TABLES
from bot.store.store import Store, StoreError

# Every column of every table at the current schema version, in the order they are copied. A test checks
# this against the tables the migrations create, so a new migration cannot leave a column behind.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "replies": (
        "message_id", "channel_id", "guild_id", "source_message_id", "asker_id", "entry_id", "shown_workarounds",
        "score", "confidence", "matched_at", "deleted", "removed_by",
    ),
    "votes": ("reply_message_id", "user_id", "option", "voted_at"),
    "watched_channels": ("channel_id", "guild_id", "added_by", "added_at", "mode"),
    "gaps": ("scheme", "fingerprint", "error_line", "exception", "count", "first_seen", "last_seen", "candidate"),
    "server_settings": ("guild_id", "name", "value", "set_by", "set_at"),
    # Coordination between processes (schema 7): short-lived, but copied too, so that a message answered just
    # before the move is not answered again after it.
    "claims": ("message_id", "revision", "process", "claimed_at"),
    "cooldowns": ("guild_id", "kind", "key_id", "used_at"),
    "message_locks": ("message_id", "holder", "expires_at"),
}  # fmt: skip


class TargetNotEmptyError(StoreError):
    """The copy's target already holds rows; --force replaces them."""


@dataclass(frozen=True)
class Migrated:
    database: str
    before: int
    after: int


async def migrate(database: str | Path, workaround_ids: Mapping[str, Sequence[str]] | None) -> Migrated:
    """Open the database through the store, which applies any migration it lacks; the versions before and after."""
    async with Store(database, workaround_ids) as store:
        after = await store.schema_version()
        before = store.opened_at_version
    return Migrated(display_name(database), before, after)


async def row_counts(store: Store) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        rows = await store.query(f"SELECT COUNT(*) FROM {table}")
        counts[table] = int(rows[0][0])
    return counts


async def copy(
    source: str | Path,
    target: str | Path,
    *,
    force: bool = False,
    workaround_ids: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, int]:
    """Copy every table from source to target; the rows copied per table. Refuses a target that holds any
    row unless `force`, which replaces them. Neither database may be in use by a SQLite bot meanwhile (the
    bot's lock): a vote recorded after the snapshot would be left behind."""
    with DatabaseLock(source), DatabaseLock(target):
        async with Store(source, workaround_ids) as src, Store(target, workaround_ids) as dst:
            existing = await row_counts(dst)
            if any(existing.values()) and not force:
                held = ", ".join(f"{table} {n}" for table, n in existing.items() if n)
                raise TargetNotEmptyError(
                    f"database {dst.path} is not empty ({held}); copy into an empty database, or pass --force"
                    " to replace its rows"
                )
            rows = await src.snapshot({table: COLUMNS[table] for table in TABLES})
            await dst.replace_rows({table: (COLUMNS[table], rows[table]) for table in TABLES})
            copied = await row_counts(dst)
    expected = {table: len(rows[table]) for table in TABLES}
    if copied != expected:  # cannot happen in one transaction; checked because losing a vote must be loud
        raise StoreError(f"copy into {display_name(target)} holds {copied}, expected {expected}")
    return copied


__all__ = ["COLUMNS", "Migrated", "Row", "TargetNotEmptyError", "copy", "migrate", "row_counts"]
