"""The feedback store: replies the bot made, votes on them, and watched channels, in SQLite via aiosqlite.

No message content is stored: only ids, the matched entry and what was shown. Every write is one
transaction; the database runs in WAL mode so readers never wait for the writer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.feedback.rates import Tally
from bot.gaps import Fingerprint, Gap
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION, WORKAROUND_IDS_MIGRATION

log = logging.getLogger(__name__)

NONE_FIXED = "none"
REMOVED_BY_PEOPLE = "people"  # the asker or a moderator deleted the reply
REMOVED_BY_EDIT = "edit"  # the message was edited and no longer matches
REMOVED_GONE = "gone"  # the reply message disappeared some other way
WRONG_MATCH = "wrong"
# The rule for honest fix rates: once this many people mark a reply 🤷 "wrong match", none of the votes on
# that reply count toward the entry's fix rates (they stay stored, and count again if the marks are taken
# back). The reply may have answered a different error, so its "fixed"/"none fixed" votes describe that
# error, not this entry's workarounds. One mark is enough: leaving votes out can only fall back to the
# curated estimate, never inflate a rate, so a mistaken or spiteful mark costs little.
WRONG_MATCH_EXCLUDES_AT = 1
WORKAROUND_PREFIX = "w:"  # 'w:<workaround id>': that workaround fixed it
# Votes from before schema 4 were 'w<N>', a position; the ones the migration could not attach stay so.
UNATTACHED_GLOB = "w[0-9]*"
# Fingerprints kept at most: past this the least seen, longest quiet ones go, so a flood of distinct
# made-up errors cannot grow the database without bound while the frequent gaps stay.
MAX_GAPS = 5000


def workaround_option(workaround_id: str) -> str:
    """The vote option for 'this workaround fixed it', keyed by the workaround's id: reordering an entry's
    workarounds does not move their votes."""
    return f"{WORKAROUND_PREFIX}{workaround_id}"


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


def database_error(path: str, exc: sqlite3.Error) -> StoreError:
    """SQLite's own message names no file: add the path, and what to check when it is read-only."""
    hint = " (read-only: check the permissions of the file and its folder)" if "readonly" in str(exc) else ""
    return StoreError(f"database {path}: {exc}{hint}")


# Shared with `knownfix kb gaps`, which reads the database read-only rather than through the store.
TOP_GAPS_SQL = (
    "SELECT fingerprint, scheme, error_line, exception, count, first_seen, last_seen, candidate FROM gaps"
    " WHERE scheme = ? ORDER BY count DESC, last_seen DESC, fingerprint LIMIT ?"
)


def gap_from_row(row: Any) -> Gap:
    return Gap(str(row[0]), int(row[1]), str(row[2]), row[3], int(row[4]), str(row[5]), str(row[6]), row[7])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: str | Path, workaround_ids: Mapping[str, Sequence[str]] | None = None) -> None:
        self.path = str(path)
        # entry id -> its workaround ids in file order: what a position-keyed vote from before schema 4
        # means now. Needed only to migrate such a database (see _attach_workaround_ids).
        self.workaround_ids = workaround_ids
        self._db: aiosqlite.Connection | None = None
        # One connection serves every task; its transactions must not interleave.
        self._write_lock = asyncio.Lock()
        # (st_dev, st_ino) of the file opened: SQLite keeps writing to a deleted or replaced file, so
        # every write first checks that the path still names it.
        self._identity: tuple[int, int] | None = None
        self.problem: str | None = None  # why the store refuses writes; None while healthy

    @property
    def healthy(self) -> bool:
        return self.problem is None

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) in _write.
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            await self.db.execute("PRAGMA journal_mode=WAL")
            await self.db.execute("PRAGMA foreign_keys=ON")
            await self.db.execute("PRAGMA busy_timeout=5000")
            # WAL with synchronous=NORMAL: a commit survives the bot crashing or being killed (only a
            # power loss or OS crash may undo the last ones) and costs no fsync, which made a flood of
            # votes five times faster (171 -> 853 votes/s on the loaded 2-core machine).
            await self.db.execute("PRAGMA synchronous=NORMAL")
            await self.migrate()
            self._identity = self._file_identity()
        except sqlite3.Error as exc:
            await self.close()  # a refused database must not leave its connection thread behind
            raise database_error(self.path, exc) from exc
        except BaseException:
            await self.close()
            raise

    def _file_identity(self) -> tuple[int, int] | None:
        if self.path == ":memory:":
            return None
        found = os.stat(self.path)
        return (found.st_dev, found.st_ino)

    async def ensure_writable(self) -> None:
        """Refuse a database this process cannot write now, at start, rather than at the first vote."""
        # Rewriting user_version with its own value is the smallest write SQLite really attempts.
        await self._write(f"PRAGMA user_version = {await self.schema_version()}", ())

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
            if self._db is not None:
                await self._db.close()
                self._db = None

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        current = await self.schema_version()
        if current > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{self.path} has schema version {current}; this knownfix knows up to {SCHEMA_VERSION}"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                if MIGRATIONS[version - 1] == WORKAROUND_IDS_MIGRATION:
                    await self._attach_workaround_ids()
                for statement in MIGRATIONS[version - 1].split(";"):
                    if statement.strip():
                        await self.db.execute(statement)
                await self.db.execute(f"PRAGMA user_version = {version}")
                await self.db.execute("COMMIT")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            log.info("store %s migrated to schema version %d", self.path, version)

    async def _attach_workaround_ids(self) -> None:
        """Schema 4: rewrite position-keyed votes ('w<N>') and shown positions as workaround ids, by the
        entry files as they are now. A position the entry no longer has keeps its old form, unattached:
        never dropped, counted nowhere, reported here and by `knownfix stats`."""
        async with self.db.execute("SELECT message_id, entry_id, shown_workarounds FROM replies") as cur:
            replies = [(int(r[0]), str(r[1]), json.loads(str(r[2]))) async for r in cur]
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
            await self.db.execute(
                "UPDATE replies SET shown_workarounds = ? WHERE message_id = ?", (json.dumps(attached), message_id)
            )
            async with self.db.execute(
                "SELECT user_id, option FROM votes WHERE reply_message_id = ? AND option GLOB ?",
                (message_id, UNATTACHED_GLOB),
            ) as cur:
                votes = [(int(r[0]), str(r[1])) async for r in cur]
            for user_id, option in votes:
                number = int(option[1:])
                if not 1 <= number <= len(known):
                    unattached[f"{entry_id} #{number}"] += 1
                    continue
                await self.db.execute(
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
        # would otherwise leave the shared connection inside a transaction, or lose a write SQLite
        # already committed; the transaction runs to its end whatever happens to the caller.
        return await asyncio.shield(self._transaction(sql, params, more))

    async def _transaction(
        self, sql: str, params: tuple[object, ...], more: tuple[tuple[str, tuple[object, ...]], ...]
    ) -> int:
        async with self._write_lock:
            self._check_file()
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                try:
                    cur = await self.db.execute(sql, params)
                    changed = cur.rowcount
                    for extra_sql, extra_params in more:
                        await self.db.execute(extra_sql, extra_params)
                    await self.db.execute("COMMIT")
                except BaseException:
                    await self.db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:  # read-only, disk full, locked too long: say which file
                raise database_error(self.path, exc) from exc
        return changed

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
        async with self.db.execute(
            f"SELECT {self._REPLY_COLUMNS} FROM replies WHERE message_id = ? AND deleted = 0", (message_id,)
        ) as cur:
            row = await cur.fetchone()
        return self._reply_from_row(row) if row else None

    async def reply_to(self, source_message_id: int) -> StoredReply | None:
        async with self.db.execute(
            f"SELECT {self._REPLY_COLUMNS} FROM replies WHERE source_message_id = ? AND deleted = 0",
            (source_message_id,),
        ) as cur:
            row = await cur.fetchone()
        return self._reply_from_row(row) if row else None

    async def mark_deleted(self, message_id: int, removed_by: str = REMOVED_GONE) -> None:
        """The reply message is gone; its votes stay as evidence, but it no longer takes new ones."""
        await self._write(
            "UPDATE replies SET deleted = 1, removed_by = ? WHERE message_id = ?", (removed_by, message_id)
        )

    async def removed_by_people(self, source_message_id: int) -> bool:
        """Whether someone deleted a reply to this message (with 🗑️): then the bot does not answer it again."""
        async with self.db.execute(
            "SELECT 1 FROM replies WHERE source_message_id = ? AND deleted = 1 AND removed_by = ? LIMIT 1",
            (source_message_id, REMOVED_BY_PEOPLE),
        ) as cur:
            return await cur.fetchone() is not None

    # -- votes ----------------------------------------------------------------------------------------

    async def add_vote(self, reply_message_id: int, user_id: int, option: str) -> bool:
        """Record a vote; False when this user already cast it or the reply is unknown.

        "Workaround N fixed it" and "none of these fixed it" contradict each other: the newer one replaces
        the older, so one person's report never counts both for and against a workaround."""
        contradicted = (f"{WORKAROUND_PREFIX}*", "") if option == NONE_FIXED else (NONE_FIXED, NONE_FIXED)
        if option == WRONG_MATCH:
            contradicted = ("", "")
        changed = await self._write(
            "INSERT OR IGNORE INTO votes (reply_message_id, user_id, option, voted_at)"
            " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM replies WHERE message_id = ? AND deleted = 0)",
            (reply_message_id, user_id, option, _now(), reply_message_id),
            (
                "DELETE FROM votes WHERE reply_message_id = ? AND user_id = ? AND option != ?"
                " AND (option GLOB ? OR option = ?)",
                (reply_message_id, user_id, option, *contradicted),
            ),
        )
        return changed > 0

    async def remove_vote(self, reply_message_id: int, user_id: int, option: str) -> bool:
        changed = await self._write(
            "DELETE FROM votes WHERE reply_message_id = ? AND user_id = ? AND option = ?",
            (reply_message_id, user_id, option),
        )
        return changed > 0

    async def votes_of(self, reply_message_id: int, user_id: int) -> tuple[str, ...]:
        """The options one person has voted on one reply, in the order they voted them."""
        async with self.db.execute(
            "SELECT option FROM votes WHERE reply_message_id = ? AND user_id = ? ORDER BY voted_at, option",
            (reply_message_id, user_id),
        ) as cur:
            return tuple([str(row[0]) async for row in cur])

    async def _scalar(self, sql: str) -> int:
        async with self.db.execute(sql) as cur:
            row = await cur.fetchone()
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
        async with self.db.execute(
            "SELECT r.shown_workarounds, v.option, (SELECT COUNT(*) FROM votes w"
            "  WHERE w.reply_message_id = r.message_id AND w.option = ?)"
            " FROM votes v JOIN replies r ON r.message_id = v.reply_message_id WHERE r.entry_id = ?",
            (WRONG_MATCH, entry_id),
        ) as cur:
            async for shown_json, option, wrong_marks in cur:
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
        async with self.db.execute("SELECT DISTINCT entry_id FROM replies") as cur:
            ids = [str(row[0]) async for row in cur]
        return {entry_id: await self.feedback(entry_id) for entry_id in ids}

    # -- watched channels -----------------------------------------------------------------------------

    async def watch(self, channel_id: int, guild_id: int, added_by: int | None, mode: str = "answer") -> bool:
        """Watch a channel in a mode (answer, suggest, off), or change the mode of one already watched."""
        changed = await self._write(
            "INSERT INTO watched_channels (channel_id, guild_id, added_by, added_at, mode) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel_id) DO UPDATE SET mode = excluded.mode WHERE mode != excluded.mode",
            (channel_id, guild_id, added_by, _now(), mode),
        )
        return changed > 0

    async def unwatch(self, channel_id: int) -> bool:
        return await self._write("DELETE FROM watched_channels WHERE channel_id = ?", (channel_id,)) > 0

    async def watched_channels(self, guild_id: int | None = None) -> dict[int, str]:
        """Watched channel id -> its mode."""
        sql = "SELECT channel_id, mode FROM watched_channels"
        params: tuple[object, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        async with self.db.execute(sql, params) as cur:
            return {int(row[0]): str(row[1]) async for row in cur}

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
        )

    # -- per-server settings (bot.server_settings) ---------------------------------------------------

    async def set_server_setting(self, guild_id: int, name: str, value: str, set_by: int | None) -> None:
        """Store one server's value for one setting (its canonical text), replacing any earlier one."""
        await self._write(
            "INSERT INTO server_settings (guild_id, name, value, set_by, set_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, name) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,"
            " set_at = excluded.set_at",
            (guild_id, name, value, set_by, _now()),
        )

    async def reset_server_setting(self, guild_id: int, name: str) -> bool:
        """Forget one server's value for a setting (the default applies again); False when it had none."""
        return await self._write("DELETE FROM server_settings WHERE guild_id = ? AND name = ?", (guild_id, name)) > 0

    async def server_settings(self, guild_id: int | None = None) -> dict[int, dict[str, str]]:
        """Server id -> its stored settings (name -> canonical text), for one server or all of them."""
        sql = "SELECT guild_id, name, value FROM server_settings"
        params: tuple[object, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        found: dict[int, dict[str, str]] = {}
        async with self.db.execute(sql + " ORDER BY guild_id, name", params) as cur:
            async for row in cur:
                found.setdefault(int(row[0]), {})[str(row[1])] = str(row[2])
        return found

    # -- gaps: errors the bot could not answer (bot.gaps) ---------------------------------------------

    async def record_gap(self, gap: Fingerprint) -> None:
        """Count one more sighting of an unanswered error, pruning the table back to MAX_GAPS rows."""
        now = _now()
        await self._write(
            "INSERT INTO gaps (scheme, fingerprint, error_line, exception, count, first_seen, last_seen, candidate)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (scheme, fingerprint) DO UPDATE SET count = count + 1,"
            " last_seen = excluded.last_seen, candidate = excluded.candidate",
            (gap.scheme, gap.hash, gap.line, gap.exception, now, now, gap.candidate),
            (
                "DELETE FROM gaps WHERE rowid IN (SELECT rowid FROM gaps ORDER BY count, last_seen, rowid"
                " LIMIT max(0, (SELECT COUNT(*) FROM gaps) - ?))",
                (MAX_GAPS,),
            ),
        )

    async def top_gaps(self, scheme: int, limit: int) -> list[Gap]:
        """The most frequent unanswered errors of one fingerprint scheme, most recent first among equals."""
        async with self.db.execute(TOP_GAPS_SQL, (scheme, limit)) as cur:
            return [gap_from_row(row) async for row in cur]

    # -- figures --------------------------------------------------------------------------------------

    async def stats(self, top: int = 5) -> StoreStats:
        async with self.db.execute(
            "SELECT entry_id, COUNT(*) AS n FROM replies GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?", (top,)
        ) as cur:
            top_entries = tuple([(str(r[0]), int(r[1])) async for r in cur])
        async with self.db.execute(
            "SELECT r.entry_id, COUNT(*) AS n FROM votes v JOIN replies r ON r.message_id = v.reply_message_id"
            " WHERE v.option = ? GROUP BY r.entry_id ORDER BY n DESC, r.entry_id LIMIT ?",
            (WRONG_MATCH, top),
        ) as cur:
            wrong = tuple([(str(r[0]), int(r[1])) async for r in cur])
        return StoreStats(
            replies=await self._scalar("SELECT COUNT(*) FROM replies"),
            votes=await self.vote_count(),
            watched_channels=await self._scalar("SELECT COUNT(*) FROM watched_channels"),
            top_entries=top_entries,
            wrong_matches=wrong,
            unattached_votes=await self._scalar(f"SELECT COUNT(*) FROM votes WHERE option GLOB '{UNATTACHED_GLOB}'"),
        )
