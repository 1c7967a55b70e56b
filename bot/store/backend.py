"""The SQL that differs between the two store backends, behind one small interface.

The store writes its SQL once, with `?` placeholders, in the dialect SQLite and PostgreSQL share. A backend
runs it: SQLite through aiosqlite (one connection, WAL), PostgreSQL through asyncpg (a pool, `$1`
placeholders, a schema-version table instead of PRAGMA user_version). `backend_for` is the one place that
picks a backend from the database setting: a `postgresql://` URL means PostgreSQL, anything else is a
SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiosqlite

log = logging.getLogger(__name__)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_PREFIX = "sqlite:"  # `knownfix db copy --from sqlite:PATH`: an explicit spelling of a SQLite file
# Connections one bot process holds open to PostgreSQL: one writer (writes are serialised per process by
# the store) and a few readers, so a slow report never waits behind a vote and many processes fit under
# PostgreSQL's default max_connections (100).
POSTGRES_POOL_SIZE = 4
# Key of the advisory lock that serialises migrations when several processes start on one database at once.
MIGRATION_LOCK_KEY = 0x6B6E6F776E666978  # "knownfix"
# Seconds between attempts to reconnect a lost LISTEN connection: quick enough that a restarted PostgreSQL
# is heard again within seconds, slow enough not to hammer one that is down.
LISTEN_RETRY_S = 2.0

Row = Sequence[Any]
Params = tuple[object, ...]


class BackendError(RuntimeError):
    """A database error from either driver, with the database named (passwords masked)."""


def is_postgres(database: str | Path) -> bool:
    return str(database).startswith(POSTGRES_SCHEMES)


def display_name(database: str | Path) -> str:
    """The database as it may appear in messages and logs: a URL's password is masked."""
    text = str(database)
    if not is_postgres(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def sqlite_path(database: str | Path) -> str:
    """A SQLite file from the setting, `sqlite:` prefix or not."""
    text = str(database)
    return text[len(SQLITE_PREFIX) :] if text.startswith(SQLITE_PREFIX) else text


def to_dollar_placeholders(sql: str) -> str:
    """`?` -> `$1`, `$2`, ... in order. The store's SQL has no `?` inside a string literal."""
    counter = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class Backend(ABC):
    dialect: str  # "sqlite" or "postgresql": picks a migration's text (bot.store.schema)
    name: str  # for messages: a path, or a URL with its password masked

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One transaction: commits on success, rolls back on any error."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def ensure_writable(self) -> None:
        """Attempt the smallest real write, so that a read-only database fails at start."""

    async def listen(self, channel: str, heard: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        """Call `heard` with each NOTIFY payload on `channel`, and `reconnected` after a lost connection came
        back (events sent meanwhile are lost). A database only one process uses has nothing to hear."""
        return None


class Transaction(ABC):
    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Row]) -> None:
        """One statement for each row (a bulk copy)."""

    @abstractmethod
    async def set_schema_version(self, version: int) -> None: ...


# -- SQLite --------------------------------------------------------------------------------------------


class SqliteBackend(Backend):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = path
        self._db: aiosqlite.Connection | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) in transaction().
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await _all_rows(self.db, "PRAGMA journal_mode=WAL", ())
        await _all_rows(self.db, "PRAGMA foreign_keys=ON", ())
        await _all_rows(self.db, "PRAGMA busy_timeout=5000", ())
        # WAL with synchronous=NORMAL: a commit survives the bot crashing or being killed (only a power
        # loss or OS crash may undo the last ones) and costs no fsync, which made a flood of votes five
        # times faster (171 -> 853 votes/s on the loaded 2-core machine).
        await _all_rows(self.db, "PRAGMA synchronous=NORMAL", ())

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await _all_rows(self.db, sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        # IMMEDIATE: take the write lock at BEGIN, so a transaction never fails half way on SQLITE_BUSY.
        # It waits out another connection's lock (busy_timeout) only because no read is ever left open on
        # this connection between two calls (see _all_rows).
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTransaction(self.db)
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def ensure_writable(self) -> None:
        # Rewriting user_version with its own value is the smallest write SQLite really attempts.
        version = await self.schema_version()
        async with self.transaction() as tx:
            await tx.set_schema_version(version)


class _SqliteTransaction(Transaction):
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        cur = await self.db.execute(sql, params)
        return cur.rowcount

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await _all_rows(self.db, sql, params)

    async def executemany(self, sql: str, rows: Sequence[Row]) -> None:
        await self.db.executemany(sql, [tuple(row) for row in rows])

    async def set_schema_version(self, version: int) -> None:
        await self.db.execute(f"PRAGMA user_version = {int(version)}")


async def _all_rows(db: aiosqlite.Connection, sql: str, params: Params) -> list[Row]:
    """Every row of one statement, stepped to its end in one call on the connection's thread.

    Not execute, then fetch: every task shares the one connection, and another task's BEGIN IMMEDIATE may run
    between those two calls. A SELECT stepped to its first row holds a read transaction open; a write lock
    asked for on top of an open read is refused at once with "database is locked" when another connection
    holds it (SQLite cannot wait there: the read's snapshot may be about to change), instead of waiting for
    busy_timeout. That refused votes in bursts while a backup or another process wrote."""
    return list(await db.execute_fetchall(sql, params))


# -- PostgreSQL ----------------------------------------------------------------------------------------

# PostgreSQL has no user_version: one row in this table holds the number of migrations applied.
POSTGRES_VERSION_TABLE = "knownfix_schema"


class PostgresBackend(Backend):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = display_name(url)
        self._pool: Any = None  # asyncpg.Pool; asyncpg ships no type hints mypy --strict accepts
        self._listening: asyncio.Task[None] | None = None

    async def open(self) -> None:
        import asyncpg

        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=POSTGRES_POOL_SIZE)
        async with self._pool.acquire() as conn, conn.transaction():
            # Under the migrations' lock: two processes starting on an empty database at once would otherwise
            # race in CREATE TABLE IF NOT EXISTS (PostgreSQL then fails one on its catalogue's unique index)
            # and could each insert a version row.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
            await conn.execute(f"CREATE TABLE IF NOT EXISTS {POSTGRES_VERSION_TABLE} (version INTEGER NOT NULL)")
            await conn.execute(
                f"INSERT INTO {POSTGRES_VERSION_TABLE} (version) SELECT 0"
                f" WHERE NOT EXISTS (SELECT 1 FROM {POSTGRES_VERSION_TABLE})"
            )

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            await asyncio.wait({self._listening})
            self._listening = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def listen(self, channel: str, heard: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        # Its own connection, outside the pool: LISTEN belongs to a session, and pooled connections are reset.
        connected = asyncio.get_running_loop().create_future()
        self._listening = asyncio.create_task(self._listen_forever(channel, heard, reconnected, connected))
        await connected  # the first connection's error, if any, is the caller's

    async def _listen_forever(
        self, channel: str, heard: Callable[[str], None], reconnected: Callable[[], None], connected: Any
    ) -> None:
        import asyncpg

        while True:
            try:
                conn = await asyncpg.connect(self.url)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(channel, lambda _conn, _pid, _channel, payload: heard(payload))
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if not connected.done():
                    connected.set_exception(exc)
                    return
                log.warning("listening on %s: cannot reconnect (%s); retrying", self.name, exc)
                await asyncio.sleep(LISTEN_RETRY_S)
                continue
            if connected.done():
                reconnected()
            else:
                connected.set_result(None)
            try:
                await lost.wait()
                log.warning("listening on %s: connection lost; reconnecting", self.name)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close(timeout=LISTEN_RETRY_S)

    @property
    def pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("the store is not open")
        return self._pool

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(to_dollar_placeholders(sql), *params))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield _PostgresTransaction(conn)

    async def schema_version(self) -> int:
        row = await self.fetchone(f"SELECT version FROM {POSTGRES_VERSION_TABLE}")
        return int(row[0]) if row else 0

    async def ensure_writable(self) -> None:
        async with self.transaction() as tx:
            await tx.execute(f"UPDATE {POSTGRES_VERSION_TABLE} SET version = version")


class _PostgresTransaction(Transaction):
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        status = await self.conn.execute(to_dollar_placeholders(sql), *params)
        return _rows_changed(str(status))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self.conn.fetch(to_dollar_placeholders(sql), *params))

    async def executemany(self, sql: str, rows: Sequence[Row]) -> None:
        await self.conn.executemany(to_dollar_placeholders(sql), [tuple(row) for row in rows])

    async def set_schema_version(self, version: int) -> None:
        await self.conn.execute(f"UPDATE {POSTGRES_VERSION_TABLE} SET version = $1", version)

    async def lock_migrations(self) -> None:
        """Wait for any other process migrating the same database; released at this transaction's end."""
        await self.conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)


def _rows_changed(status: str) -> int:
    """asyncpg returns the command tag ('INSERT 0 1', 'DELETE 3', 'UPDATE 0'): its last number is the rows."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def backend_for(database: str | Path) -> Backend:
    """The one place a database setting becomes a backend."""
    if is_postgres(database):
        return PostgresBackend(str(database))
    return SqliteBackend(sqlite_path(database))


def driver_errors(sqlite_errors: type[sqlite3.Error] = sqlite3.Error) -> tuple[type[BaseException], ...]:
    """The exceptions that mean 'the database refused', for either driver: the store reports them in one line.
    A write narrows SQLite's to OperationalError (read-only, full, locked), as it always has."""
    errors: list[type[BaseException]] = [sqlite_errors]
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency; SQLite still works without it
        return tuple(errors)
    errors += [asyncpg.PostgresError, asyncpg.InterfaceError]
    return tuple(errors)
