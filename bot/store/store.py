"""The feedback store: replies the bot made, votes on them, and watched channels, in SQLite via aiosqlite.

No message content is stored: only ids, the matched entry and what was shown. Every write is one
transaction; the database runs in WAL mode so readers never wait for the writer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

from bot.feedback.rates import Tally
from bot.feedback.votes import NONE_FIXED, WORKAROUND_PREFIX, WRONG_MATCH, workaround_option
from bot.gaps import Fingerprint, Gap
from bot.store import events
from bot.store.backend import (
    POSTGRES_VERSION_TABLE,
    Backend,
    SqliteBackend,
    Transaction,
    _PostgresTransaction,
    backend_for,
    driver_errors,
)
from bot.store.claims import Claims, new_process_id
from bot.store.schema import SCHEMA_VERSION, WORKAROUND_IDS_MIGRATION, migration_text

log = logging.getLogger(__name__)

T = TypeVar("T")
Statement = tuple[str, tuple[object, ...]]

REMOVED_BY_PEOPLE = "people"  # the asker or a moderator deleted the reply
REMOVED_BY_EDIT = "edit"  # the message was edited and no longer matches
REMOVED_GONE = "gone"  # the reply message disappeared some other way
# The rule for honest fix rates: once this many people mark a reply 🤷 "wrong match", none of the votes on
# that reply count toward the entry's fix rates (they stay stored, and count again if the marks are taken
# back). The reply may have answered a different error, so its "fixed"/"none fixed" votes describe that
# error, not this entry's workarounds. One mark is enough: leaving votes out can only fall back to the
# curated estimate, never inflate a rate, so a mistaken or spiteful mark costs little.
WRONG_MATCH_EXCLUDES_AT = 1
# Votes from before schema 4 were 'w<N>', a position; the ones the migration could not attach stay so.
# Written without GLOB (PostgreSQL has none): 'w' then a digit, exactly what GLOB 'w[0-9]*' matched.
UNATTACHED_SQL = "(substr(option, 1, 1) = 'w' AND substr(option, 2, 1) IN ('0','1','2','3','4','5','6','7','8','9'))"
# First key of the advisory lock one person's votes on one reply take (PostgreSQL's two-key form, apart from
# the migrations' one-key lock); the second is a hash of (reply, person): a rare clash only makes a vote wait.
VOTER_LOCK_CLASS = 0x766F7465  # "vote"
# Fingerprints kept at most: past this the least seen, longest quiet ones go, so a flood of distinct
# made-up errors cannot grow the database without bound while the frequent gaps stay.
MAX_GAPS = 5000


@dataclass(frozen=True, slots=True)
class StoredReply:
    message_id: int
    channel_id: int
    guild_id: int | None
    source_message_id: int | None
    asker_id: int | None
    entry_id: str
    shown_workarounds: tuple[str, ...]  # workaround ids in the order shown ("" for an unattached old position)
    score: float
    confidence: str


@dataclass(frozen=True, slots=True)
class EntryFeedback:
    tallies: dict[str, Tally]  # workaround id -> the votes that count toward its fix rate
    wrong_match: int
    excluded: int = 0  # votes left out because their reply was marked a wrong match (still stored)


@dataclass(frozen=True, slots=True)
class StoreStats:
    replies: int
    votes: int
    watched_channels: int
    top_entries: tuple[tuple[str, int], ...]
    wrong_matches: tuple[tuple[str, int], ...]
    unattached_votes: int = 0  # old position-keyed votes whose position no longer exists (see schema 4)


class SchemaTooNewError(RuntimeError):
    pass


class StoreError(RuntimeError):
    """The database cannot be used (read-only, unreadable, full); the message names its path."""


class NeedsKnowledgeError(StoreError):
    """The database holds votes keyed by position; moving them to workaround ids needs the entry files."""


class StoreUnavailableError(StoreError):
    """The database file was deleted or replaced while open: writes would go to a file nobody reads."""


def database_error(path: str, exc: BaseException) -> StoreError:
    """The driver's own message names no database: add it, and what to check when it is read-only."""
    hint = " (read-only: check the permissions of the file and its folder)" if "readonly" in str(exc) else ""
    return StoreError(f"database {path}: {exc}{hint}")


# Shared with `knownfix kb gaps`, which reads the database read-only rather than through the store.
TOP_GAPS_SQL = (
    "SELECT fingerprint, scheme, error_line, exception, count, first_seen, last_seen, candidate FROM gaps"
    " WHERE scheme = ? ORDER BY count DESC, last_seen DESC, fingerprint LIMIT ?"
)


# Past MAX_GAPS, the least seen, longest quiet gaps go. SQLite orders ties by rowid (oldest first) and reads
# a negative LIMIT as "no limit"; PostgreSQL has no rowid and refuses a negative LIMIT.
PRUNE_GAPS_SQL = {
    "sqlite": "DELETE FROM gaps WHERE rowid IN (SELECT rowid FROM gaps ORDER BY count, last_seen, rowid"
    " LIMIT max(0, (SELECT COUNT(*) FROM gaps) - ?))",
    "postgresql": "DELETE FROM gaps WHERE (scheme, fingerprint) IN (SELECT scheme, fingerprint FROM gaps"
    " ORDER BY count, last_seen, first_seen, fingerprint LIMIT GREATEST(0, (SELECT COUNT(*) FROM gaps) - ?))",
}


def gap_from_row(row: Any) -> Gap:
    return Gap(str(row[0]), int(row[1]), str(row[2]), row[3], int(row[4]), str(row[5]), str(row[6]), row[7])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: str | Path, workaround_ids: Mapping[str, Sequence[str]] | None = None) -> None:
        # A SQLite file, or a postgresql:// URL: bot.store.backend.backend_for is the one place that decides.
        self._backend: Backend = backend_for(path)
        self.path = self._backend.name  # for messages: a URL's password is masked
        # entry id -> its workaround ids in file order: what a position-keyed vote from before schema 4
        # means now. Needed only to migrate such a database (see _attach_workaround_ids).
        self.workaround_ids = workaround_ids
        # One connection serves every task (SQLite); its transactions must not interleave. PostgreSQL
        # keeps the same rule within a process, so both backends order one process's writes alike.
        self._write_lock = asyncio.Lock()
        # (st_dev, st_ino) of the file opened: SQLite keeps writing to a deleted or replaced file, so
        # every write first checks that the path still names it.
        self._identity: tuple[int, int] | None = None
        self.problem: str | None = None  # why the store refuses writes; None while healthy
        self.opened_at_version = 0  # the schema version found at open, before migrating (`knownfix db migrate`)
        # This process, in claims, leases and the events it sends (several processes share a PostgreSQL store).
        self.process = new_process_id()
        self.claims = Claims(self)

    @property
    def healthy(self) -> bool:
        return self.problem is None

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._backend.dialect

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """The SQLite connection itself (tests and SQLite-only checks); a PostgreSQL store has none."""
        if not isinstance(self._backend, SqliteBackend):
            raise RuntimeError(f"{self.path} is not a SQLite database")
        return self._backend.db

    async def query(self, sql: str, params: tuple[object, ...] = ()) -> list[Sequence[Any]]:
        """Rows of one read-only statement in the shared SQL (`?` placeholders), on either backend."""
        return await self._backend.fetchall(sql, params)

    async def open(self) -> None:
        try:
            await self._backend.open()
            await self.migrate()
            self._identity = self._file_identity()
        except driver_errors() as exc:
            await self.close()  # a refused database must not leave its connection (thread or pool) behind
            raise database_error(self.path, exc) from exc
        except OSError as exc:  # PostgreSQL: refused connection, unknown host
            await self.close()
            raise StoreError(f"database {self.path}: cannot connect ({exc})") from exc
        except BaseException:
            await self.close()
            raise

    def _file_identity(self) -> tuple[int, int] | None:
        if not isinstance(self._backend, SqliteBackend) or self.path == ":memory:":
            return None
        found = os.stat(self.path)
        return (found.st_dev, found.st_ino)

    async def ensure_writable(self) -> None:
        """Refuse a database this process cannot write now, at start, rather than at the first vote."""
        async with self._write_lock:
            self._check_file()
            try:
                await self._backend.ensure_writable()
            except driver_errors() as exc:
                raise database_error(self.path, exc) from exc

    def _check_file(self) -> None:
        """Raise StoreUnavailableError, and log it once, when the path no longer names the open file."""
        if self.problem is not None:
            raise StoreUnavailableError(self.problem)
        if self._identity is None:
            return
        try:
            now = self._file_identity()
        except FileNotFoundError:
            self.problem = f"database {self.path} was deleted while open"
        else:
            if now != self._identity:
                self.problem = f"database {self.path} was replaced by another file while open"
        if self.problem is not None:
            self.problem += "; no further votes or replies are recorded until knownfix is restarted"
            log.error("store unavailable: %s", self.problem)
            raise StoreUnavailableError(self.problem)

    async def close(self) -> None:
        # After the write in progress, which may belong to a cancelled caller (see _write).
        async with self._write_lock:
            await self._backend.close()

    async def schema_version(self) -> int:
        return await self._backend.schema_version()

    async def migrate(self) -> None:
        current = self.opened_at_version = await self.schema_version()
        if current > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{self.path} has schema version {current}; this knownfix knows up to {SCHEMA_VERSION}"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            async with self._backend.transaction() as tx:
                if isinstance(tx, _PostgresTransaction):
                    # Several processes may start at once on one PostgreSQL database: one migrates, the
                    # others wait here and then find the version already applied.
                    await tx.lock_migrations()
                    if await self._backend_version(tx) >= version:
                        continue
                text = migration_text(version, self.dialect)
                if text == WORKAROUND_IDS_MIGRATION:  # Python, not SQL: its text is only a comment
                    await self._attach_workaround_ids(tx)
                else:
                    for statement in text.split(";"):
                        if statement.strip():
                            await tx.execute(statement)
                await tx.set_schema_version(version)
            log.info("store %s migrated to schema version %d", self.path, version)

    @staticmethod
    async def _backend_version(tx: Transaction) -> int:
        rows = await tx.fetchall(f"SELECT version FROM {POSTGRES_VERSION_TABLE}")
        return int(rows[0][0]) if rows else 0

    async def _attach_workaround_ids(self, tx: Transaction) -> None:
        """Schema 4: rewrite position-keyed votes ('w<N>') and shown positions as workaround ids, by the
        entry files as they are now. A position the entry no longer has keeps its old form, unattached:
        never dropped, counted nowhere, reported here and by `knownfix stats`."""
        rows = await tx.fetchall("SELECT message_id, entry_id, shown_workarounds FROM replies")
        replies = [(int(r[0]), str(r[1]), json.loads(str(r[2]))) for r in rows]
        if not replies:
            return
        if self.workaround_ids is None:
            raise NeedsKnowledgeError(
                f"database {self.path} stores votes by workaround position; open it with the knowledge base "
                "(start the bot, or run `knownfix stats`) to move them to workaround ids"
            )
        ids = self.workaround_ids
        unattached: Counter[str] = Counter()
        for message_id, entry_id, shown in replies:
            known = ids.get(entry_id, ())
            attached = [known[n - 1] if isinstance(n, int) and 1 <= n <= len(known) else n for n in shown]
            await tx.execute(
                "UPDATE replies SET shown_workarounds = ? WHERE message_id = ?", (json.dumps(attached), message_id)
            )
            found = await tx.fetchall(
                f"SELECT user_id, option FROM votes WHERE reply_message_id = ? AND {UNATTACHED_SQL}", (message_id,)
            )
            for user_id, option in [(int(r[0]), str(r[1])) for r in found]:
                number = int(option[1:])
                if not 1 <= number <= len(known):
                    unattached[f"{entry_id} #{number}"] += 1
                    continue
                await tx.execute(
                    "UPDATE votes SET option = ? WHERE reply_message_id = ? AND user_id = ? AND option = ?",
                    (workaround_option(known[number - 1]), message_id, user_id, option),
                )
        if unattached:
            log.warning(
                "store %s: %d vote(s) name a workaround position their entry no longer has; kept unattached: %s",
                self.path,
                sum(unattached.values()),
                ", ".join(f"{where} ({n})" for where, n in sorted(unattached.items())),
            )

    async def _write(self, sql: str, params: tuple[object, ...], *more: tuple[str, tuple[object, ...]]) -> int:
        """Statements in one transaction; returns the number of rows the first one changed."""
        # Shielded: a caller cancelled between BEGIN and COMMIT (a shutdown cutting a handler short)
        # would otherwise leave the shared connection inside a transaction, or lose a write the database
        # already committed; the transaction runs to its end whatever happens to the caller.
        return await asyncio.shield(self._transaction(sql, params, more))

    async def _transaction(
        self, sql: str, params: tuple[object, ...], more: tuple[tuple[str, tuple[object, ...]], ...]
    ) -> int:
        async with self._write_lock:
            self._check_file()
            try:
                async with self._backend.transaction() as tx:
                    changed = await tx.execute(sql, params)
                    for extra_sql, extra_params in more:
                        await tx.execute(extra_sql, extra_params)
            except driver_errors(sqlite3.OperationalError) as exc:  # read-only, full, locked: say which database
                raise database_error(self.path, exc) from exc
        return changed

    async def atomic(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """`work` in one write transaction, shielded and serialised like every write (see _write); an exception
        it raises rolls the transaction back and comes out here."""
        return await asyncio.shield(self._atomic(work))

    async def _atomic(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        async with self._write_lock:
            self._check_file()
            try:
                async with self._backend.transaction() as tx:
                    return await work(tx)
            except driver_errors(sqlite3.OperationalError) as exc:
                raise database_error(self.path, exc) from exc

    # -- events for the other processes (bot.store.events) ----------------------------------------------

    def _announcing(self, event: events.Event) -> tuple[Statement, ...]:
        """The statement that tells the other processes about a change, to run in the change's transaction
        (PostgreSQL delivers it at commit); none on SQLite, which one process uses."""
        if self.dialect != "postgresql":
            return ()
        payload = events.encode(dataclasses.replace(event, origin=self.process))
        return (("SELECT pg_notify(?, ?)", (events.CHANNEL, payload)),)

    async def announce(self, event: events.Event) -> None:
        """Tell the other processes on this database about `event` (nothing on SQLite)."""
        for sql, params in self._announcing(event):
            await self._write(sql, params)

    async def listen(self, handler: Callable[[events.Event], None]) -> None:
        """Call `handler` with every event another process announces (and a RESYNC after a lost connection
        came back); on SQLite nothing ever comes."""

        def heard(payload: str) -> None:
            event = events.decode(payload)
            if event is not None and event.origin != self.process:
                handler(event)

        await self._backend.listen(events.CHANNEL, heard, lambda: handler(events.Event(events.RESYNC)))

    # -- whole tables (`knownfix db copy`, bot.store.transfer) ------------------------------------------

    async def snapshot(self, columns: Mapping[str, Sequence[str]]) -> dict[str, list[Sequence[Any]]]:
        """Every row of these tables, read in one transaction: all from one moment."""
        async with self._write_lock, self._backend.transaction() as tx:
            return {
                table: await tx.fetchall(f"SELECT {', '.join(cols)} FROM {table}") for table, cols in columns.items()
            }

    async def replace_rows(self, tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> None:
        """Replace every row of these tables (given parents first) in one transaction: all or nothing."""
        async with self._write_lock:
            self._check_file()
            async with self._backend.transaction() as tx:
                for table in reversed(list(tables)):  # children first: votes reference replies
                    await tx.execute(f"DELETE FROM {table}")
                for table, (cols, rows) in tables.items():
                    marks = ", ".join("?" for _ in cols)
                    await tx.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)

    # -- replies --------------------------------------------------------------------------------------

    async def record_reply(self, reply: StoredReply) -> None:
        """Store a reply, or update it after an edit; votes survive only while it shows the same entry."""
        await self._write(
            "DELETE FROM votes WHERE reply_message_id = ?"
            " AND EXISTS (SELECT 1 FROM replies WHERE message_id = ? AND entry_id != ?)",
            (reply.message_id, reply.message_id, reply.entry_id),
            (
                "INSERT INTO replies (message_id, channel_id, guild_id, source_message_id, asker_id, entry_id,"
                " shown_workarounds, score, confidence, matched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (message_id) DO UPDATE SET entry_id = excluded.entry_id,"
                " shown_workarounds = excluded.shown_workarounds, score = excluded.score,"
                " confidence = excluded.confidence, matched_at = excluded.matched_at, deleted = 0",
                (
                    reply.message_id,
                    reply.channel_id,
                    reply.guild_id,
                    reply.source_message_id,
                    reply.asker_id,
                    reply.entry_id,
                    json.dumps(list(reply.shown_workarounds)),
                    reply.score,
                    reply.confidence,
                    _now(),
                ),
            ),
        )

    def _reply_from_row(self, row: Any) -> StoredReply:
        return StoredReply(
            message_id=int(row[0]),
            channel_id=int(row[1]),
            guild_id=None if row[2] is None else int(row[2]),
            source_message_id=None if row[3] is None else int(row[3]),
            asker_id=None if row[4] is None else int(row[4]),
            entry_id=str(row[5]),
            # An int is an old position the schema 4 migration could not attach: shown, but not votable.
            shown_workarounds=tuple(w if isinstance(w, str) else "" for w in json.loads(str(row[6]))),
            score=float(row[7]),
            confidence=str(row[8]),
        )

    _REPLY_COLUMNS = (
        "message_id, channel_id, guild_id, source_message_id, asker_id, entry_id, shown_workarounds, score, confidence"
    )

    async def reply(self, message_id: int) -> StoredReply | None:
        row = await self._backend.fetchone(
            f"SELECT {self._REPLY_COLUMNS} FROM replies WHERE message_id = ? AND deleted = 0", (message_id,)
        )
        return self._reply_from_row(row) if row else None

    async def reply_to(self, source_message_id: int) -> StoredReply | None:
        row = await self._backend.fetchone(
            f"SELECT {self._REPLY_COLUMNS} FROM replies WHERE source_message_id = ? AND deleted = 0",
            (source_message_id,),
        )
        return self._reply_from_row(row) if row else None

    async def mark_deleted(self, message_id: int, removed_by: str = REMOVED_GONE) -> None:
        """The reply message is gone; its votes stay as evidence, but it no longer takes new ones."""
        await self._write(
            "UPDATE replies SET deleted = 1, removed_by = ? WHERE message_id = ?", (removed_by, message_id)
        )

    async def removed_by_people(self, source_message_id: int) -> bool:
        """Whether someone deleted a reply to this message (with 🗑️): then the bot does not answer it again."""
        row = await self._backend.fetchone(
            "SELECT 1 FROM replies WHERE source_message_id = ? AND deleted = 1 AND removed_by = ? LIMIT 1",
            (source_message_id, REMOVED_BY_PEOPLE),
        )
        return row is not None

    # -- votes ----------------------------------------------------------------------------------------

    async def add_vote(self, reply_message_id: int, user_id: int, option: str) -> bool:
        """Record a vote; False when this user already cast it or the reply is unknown.

        "Workaround N fixed it" and "none of these fixed it" contradict each other: the newer one replaces
        the older, so one person's report never counts both for and against a workaround."""
        # (an option it replaces, whether it replaces every workaround vote); "" names no option.
        contradicted: tuple[str, bool] = ("", True) if option == NONE_FIXED else (NONE_FIXED, False)
        if option == WRONG_MATCH:
            contradicted = ("", False)

        async def vote(tx: Transaction) -> int:
            await self._one_vote_at_a_time(tx, reply_message_id, user_id)
            # ON CONFLICT DO NOTHING rather than INSERT OR IGNORE: both backends read it, and it ignores only the
            # duplicate vote, not other constraint failures. The casts type the SELECT's parameters for
            # PostgreSQL (SQLite's values are unchanged by them).
            added = await tx.execute(
                "INSERT INTO votes (reply_message_id, user_id, option, voted_at)"
                " SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT)"
                " WHERE EXISTS (SELECT 1 FROM replies WHERE message_id = ? AND deleted = 0) ON CONFLICT DO NOTHING",
                (reply_message_id, user_id, option, _now(), reply_message_id),
            )
            await tx.execute(
                "DELETE FROM votes WHERE reply_message_id = ? AND user_id = ? AND option != ?"
                f" AND (option = ? OR (? AND substr(option, 1, {len(WORKAROUND_PREFIX)}) = '{WORKAROUND_PREFIX}'))",
                (reply_message_id, user_id, option, *contradicted),
            )
            return added

        return await self.atomic(vote) > 0

    async def _one_vote_at_a_time(self, tx: Transaction, reply_message_id: int, user_id: int) -> None:
        """Make any other transaction voting as this person on this reply wait until this one ends (PostgreSQL).

        A vote deletes what it contradicts by reading the voter's other votes; under READ COMMITTED it cannot
        see another process's uncommitted vote, so one person's "fixed" and "none fixed" cast through two
        processes at once would both stay. A lock on (reply, person) orders them, as one process orders its own
        writes. An advisory lock rather than the reply's row: other people's votes need not wait, and an edit or
        a deletion updating that row while deleting votes cannot deadlock against it. Nothing on SQLite: one
        connection, one write transaction at a time."""
        if self.dialect == "postgresql":
            await tx.execute(
                "SELECT pg_advisory_xact_lock(?, hashtext(?))", (VOTER_LOCK_CLASS, f"{reply_message_id}:{user_id}")
            )

    async def remove_vote(self, reply_message_id: int, user_id: int, option: str) -> bool:
        changed = await self._write(
            "DELETE FROM votes WHERE reply_message_id = ? AND user_id = ? AND option = ?",
            (reply_message_id, user_id, option),
        )
        return changed > 0

    async def votes_of(self, reply_message_id: int, user_id: int) -> tuple[str, ...]:
        """The options one person has voted on one reply, in the order they voted them."""
        rows = await self._backend.fetchall(
            "SELECT option FROM votes WHERE reply_message_id = ? AND user_id = ? ORDER BY voted_at, option",
            (reply_message_id, user_id),
        )
        return tuple(str(row[0]) for row in rows)

    async def _scalar(self, sql: str) -> int:
        row = await self._backend.fetchone(sql)
        return int(row[0]) if row else 0

    async def vote_count(self) -> int:
        return await self._scalar("SELECT COUNT(*) FROM votes")

    async def feedback(self, entry_id: str) -> EntryFeedback:
        """Votes on every reply that showed this entry, turned into per-workaround tallies.

        'Workaround X fixed it' counts for workaround X; 'none of these fixed it' counts against every
        workaround that reply showed. Votes on a reply marked a wrong match (WRONG_MATCH_EXCLUDES_AT) count
        for nothing, and neither do unattached old votes.
        """
        fixed: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        wrong = excluded = 0
        rows = await self._backend.fetchall(
            "SELECT r.shown_workarounds, v.option, (SELECT COUNT(*) FROM votes w"
            "  WHERE w.reply_message_id = r.message_id AND w.option = ?)"
            " FROM votes v JOIN replies r ON r.message_id = v.reply_message_id WHERE r.entry_id = ?",
            (WRONG_MATCH, entry_id),
        )
        for shown_json, option, wrong_marks in rows:
            if option == WRONG_MATCH:
                wrong += 1
            elif wrong_marks >= WRONG_MATCH_EXCLUDES_AT:
                excluded += 1
            elif option == NONE_FIXED:
                failed.update(w for w in json.loads(shown_json) if isinstance(w, str))
            elif option.startswith(WORKAROUND_PREFIX):
                fixed[option[len(WORKAROUND_PREFIX) :]] += 1
        ids = set(fixed) | set(failed)
        return EntryFeedback({w: Tally(fixed[w], failed[w]) for w in ids}, wrong, excluded)

    async def all_feedback(self) -> dict[str, EntryFeedback]:
        ids = [str(row[0]) for row in await self._backend.fetchall("SELECT DISTINCT entry_id FROM replies")]
        return {entry_id: await self.feedback(entry_id) for entry_id in ids}

    # -- watched channels -----------------------------------------------------------------------------

    async def watch(self, channel_id: int, guild_id: int, added_by: int | None, mode: str = "answer") -> bool:
        """Watch a channel in a mode (answer, suggest, off), or change the mode of one already watched."""
        changed = await self._write(
            "INSERT INTO watched_channels (channel_id, guild_id, added_by, added_at, mode) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel_id) DO UPDATE SET mode = excluded.mode WHERE watched_channels.mode != excluded.mode",
            (channel_id, guild_id, added_by, _now(), mode),
            *self._announcing(events.Event(events.WATCH, guild_id=guild_id, channel_id=channel_id, mode=mode)),
        )
        return changed > 0

    async def unwatch(self, channel_id: int) -> bool:
        announced = self._announcing(events.Event(events.WATCH, channel_id=channel_id))
        return await self._write("DELETE FROM watched_channels WHERE channel_id = ?", (channel_id,), *announced) > 0

    async def watched_channels(self, guild_id: int | None = None) -> dict[int, str]:
        """Watched channel id -> its mode."""
        sql = "SELECT channel_id, mode FROM watched_channels"
        params: tuple[object, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        return {int(row[0]): str(row[1]) for row in await self._backend.fetchall(sql, params)}

    # -- privacy: what a person or a server asks to have deleted (docs/privacy.md) -----------------------

    async def forget_user(self, user_id: int) -> int:
        """Delete one person's votes and unlink them from everything else (the replies they asked for stay,
        without their id, so other people's votes keep their meaning). Returns the votes deleted."""
        return await self._write(
            "DELETE FROM votes WHERE user_id = ?",
            (user_id,),
            ("UPDATE replies SET asker_id = NULL WHERE asker_id = ?", (user_id,)),
            ("UPDATE watched_channels SET added_by = NULL WHERE added_by = ?", (user_id,)),
            ("UPDATE server_settings SET set_by = NULL WHERE set_by = ?", (user_id,)),
        )

    async def forget_guild(self, guild_id: int) -> int:
        """Delete everything recorded in one server: its replies with their votes, watched channels and
        settings. Returns the replies deleted. (Gap fingerprints hold no server id, so none is attributable.)"""
        return await self._write(
            "DELETE FROM replies WHERE guild_id = ?",
            (guild_id,),
            ("DELETE FROM votes WHERE reply_message_id NOT IN (SELECT message_id FROM replies)", ()),
            ("DELETE FROM watched_channels WHERE guild_id = ?", (guild_id,)),
            ("DELETE FROM server_settings WHERE guild_id = ?", (guild_id,)),
            *self._announcing(events.Event(events.RESYNC)),
        )

    # -- per-server settings (bot.server_settings) ---------------------------------------------------

    async def set_server_setting(self, guild_id: int, name: str, value: str, set_by: int | None) -> None:
        """Store one server's value for one setting (its canonical text), replacing any earlier one."""
        await self._write(
            "INSERT INTO server_settings (guild_id, name, value, set_by, set_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, name) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,"
            " set_at = excluded.set_at",
            (guild_id, name, value, set_by, _now()),
            *self._announcing(events.Event(events.SETTINGS, guild_id=guild_id)),
        )

    async def reset_server_setting(self, guild_id: int, name: str) -> bool:
        """Forget one server's value for a setting (the default applies again); False when it had none."""
        announced = self._announcing(events.Event(events.SETTINGS, guild_id=guild_id))
        sql = "DELETE FROM server_settings WHERE guild_id = ? AND name = ?"
        return await self._write(sql, (guild_id, name), *announced) > 0

    async def server_settings(self, guild_id: int | None = None) -> dict[int, dict[str, str]]:
        """Server id -> its stored settings (name -> canonical text), for one server or all of them."""
        sql = "SELECT guild_id, name, value FROM server_settings"
        params: tuple[object, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        found: dict[int, dict[str, str]] = {}
        for row in await self._backend.fetchall(sql + " ORDER BY guild_id, name", params):
            found.setdefault(int(row[0]), {})[str(row[1])] = str(row[2])
        return found

    # -- gaps: errors the bot could not answer (bot.gaps) ---------------------------------------------

    async def record_gap(self, gap: Fingerprint) -> None:
        """Count one more sighting of an unanswered error, pruning the table back to MAX_GAPS rows."""
        now = _now()
        await self._write(
            "INSERT INTO gaps (scheme, fingerprint, error_line, exception, count, first_seen, last_seen, candidate)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (scheme, fingerprint) DO UPDATE SET count = gaps.count + 1,"
            " last_seen = excluded.last_seen, candidate = excluded.candidate",
            (gap.scheme, gap.hash, gap.line, gap.exception, now, now, gap.candidate),
            (PRUNE_GAPS_SQL[self.dialect], (MAX_GAPS,)),
        )

    async def top_gaps(self, scheme: int, limit: int) -> list[Gap]:
        """The most frequent unanswered errors of one fingerprint scheme, most recent first among equals."""
        return [gap_from_row(row) for row in await self._backend.fetchall(TOP_GAPS_SQL, (scheme, limit))]

    # -- figures --------------------------------------------------------------------------------------

    async def stats(self, top: int = 5) -> StoreStats:
        rows = await self._backend.fetchall(
            "SELECT entry_id, COUNT(*) AS n FROM replies GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?", (top,)
        )
        top_entries = tuple((str(r[0]), int(r[1])) for r in rows)
        rows = await self._backend.fetchall(
            "SELECT r.entry_id, COUNT(*) AS n FROM votes v JOIN replies r ON r.message_id = v.reply_message_id"
            " WHERE v.option = ? GROUP BY r.entry_id ORDER BY n DESC, r.entry_id LIMIT ?",
            (WRONG_MATCH, top),
        )
        wrong = tuple((str(r[0]), int(r[1])) for r in rows)
        return StoreStats(
            replies=await self._scalar("SELECT COUNT(*) FROM replies"),
            votes=await self.vote_count(),
            watched_channels=await self._scalar("SELECT COUNT(*) FROM watched_channels"),
            top_entries=top_entries,
            wrong_matches=wrong,
            unattached_votes=await self._scalar(f"SELECT COUNT(*) FROM votes WHERE {UNATTACHED_SQL}"),
        )
