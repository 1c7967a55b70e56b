"""`knownfix db migrate` and `knownfix db copy`: an operator moves a SQLite database to PostgreSQL and keeps
every vote (issue 12, items 1 and 5)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.feedback.votes import NONE_FIXED, workaround_option
from bot.gaps import FINGERPRINT_SCHEME, Fingerprint
from bot.store import DatabaseLock, Store, StoredReply
from bot.store.schema import SCHEMA_VERSION, TABLES
from bot.store.transfer import COLUMNS

from .postgres import PostgresServer
from .test_cli import knownfix

REPLIES, VOTERS = 30, 40  # 1,200 votes: enough that a lost batch or a dropped row shows in the counts


async def fill(database: str | Path) -> dict[int, tuple[str, ...]]:
    """A database with every table in use; each reply's votes, as `votes_of` reads them back."""
    async with Store(database) as store:
        for n in range(REPLIES):
            message_id = 10**18 + n  # Discord ids are 64-bit
            reply = StoredReply(
                message_id, 5, 1, message_id + 10**6, 7, "demo/loss-nan", ("clip-gradients",), 0.5, "high"
            )
            await store.record_reply(reply)
            for user in range(VOTERS):
                option = NONE_FIXED if (n + user) % 3 == 0 else workaround_option("clip-gradients")
                await store.add_vote(message_id, 2**40 + user, option)
        await store.watch(55, 1, 7, "suggest")
        await store.set_server_setting(1, "record_gaps", "false", 7)
        await store.record_gap(Fingerprint("a" * 16, FINGERPRINT_SCHEME, "widget jammed", None, "demo/x"))
        return {n: await store.votes_of(10**18 + n, 2**40 + 1) for n in range(REPLIES)}


async def read_back(database: str | Path) -> tuple[int, dict[int, tuple[str, ...]], dict[int, str], int]:
    async with Store(database) as store:
        votes = {n: await store.votes_of(10**18 + n, 2**40 + 1) for n in range(REPLIES)}
        gaps = len(await store.top_gaps(FINGERPRINT_SCHEME, 10))
        return await store.vote_count(), votes, await store.watched_channels(), gaps


@pytest.mark.postgres
def test_copy_from_sqlite_to_postgresql_loses_no_vote(tmp_path: Path, postgres_server: PostgresServer) -> None:
    source, target = tmp_path / "k.sqlite3", postgres_server.create_database()
    expected_votes = asyncio.run(fill(source))
    done = knownfix("db", "copy", "--from", f"sqlite:{source}", "--to", target)
    assert done.returncode == 0, done.stderr
    assert f"votes             {REPLIES * VOTERS}\n" in done.stdout and "server_settings   1\n" in done.stdout
    total, votes, watched, gaps = asyncio.run(read_back(target))
    assert total == REPLIES * VOTERS and votes == expected_votes and watched == {55: "suggest"} and gaps == 1


@pytest.mark.postgres
def test_copy_refuses_a_target_that_holds_rows_unless_forced(tmp_path: Path, postgres_server: PostgresServer) -> None:
    source, target = tmp_path / "k.sqlite3", postgres_server.create_database()
    asyncio.run(fill(source))
    assert knownfix("db", "copy", "--from", f"sqlite:{source}", "--to", target).returncode == 0
    again = knownfix("db", "copy", "--from", f"sqlite:{source}", "--to", target)
    assert again.returncode != 0 and "not empty" in again.stderr and "--force" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "Traceback" not in again.stderr
    forced = knownfix("db", "copy", "--from", f"sqlite:{source}", "--to", target, "--force")
    assert forced.returncode == 0, forced.stderr
    assert asyncio.run(read_back(target))[0] == REPLIES * VOTERS  # replaced, not doubled


def test_copy_between_sqlite_files_and_from_a_missing_file(tmp_path: Path) -> None:
    source, target = tmp_path / "k.sqlite3", tmp_path / "copy.sqlite3"
    expected_votes = asyncio.run(fill(source))
    assert knownfix("db", "copy", "--from", str(source), "--to", f"sqlite:{target}").returncode == 0
    assert asyncio.run(read_back(target))[1] == expected_votes
    missing = knownfix("db", "copy", "--from", str(tmp_path / "nope.sqlite3"), "--to", str(tmp_path / "x.sqlite3"))
    assert missing.returncode != 0 and "no such file" in missing.stderr and not (tmp_path / "nope.sqlite3").exists()


def test_migrate_reports_the_versions(database: str | Path) -> None:
    first = knownfix("db", "migrate", "--database", str(database))
    assert first.returncode == 0 and f"schema version 0 -> {SCHEMA_VERSION}" in first.stdout, first.stderr
    again = knownfix("db", "migrate", "--database", str(database))
    assert f"schema version {SCHEMA_VERSION}, already current" in again.stdout


def test_the_copy_names_every_column_of_every_table(tmp_path: Path) -> None:
    async def create() -> None:
        async with Store(tmp_path / "k.sqlite3"):
            pass

    asyncio.run(create())
    with sqlite3.connect(tmp_path / "k.sqlite3") as db:
        tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found = {t: tuple(str(r[1]) for r in db.execute(f"PRAGMA table_info({t})")) for t in tables}
    assert set(TABLES) == tables and found == dict(COLUMNS)


def test_copy_refuses_a_sqlite_database_a_bot_is_using(tmp_path: Path) -> None:
    source = tmp_path / "k.sqlite3"
    asyncio.run(fill(source))
    with DatabaseLock(source):  # a bot running on it: votes after the snapshot would be left behind
        done = knownfix("db", "copy", "--from", str(source), "--to", str(tmp_path / "copy.sqlite3"))
    assert done.returncode != 0 and "in use by another knownfix bot" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_sqlite_url_locks_the_same_file_as_its_path(tmp_path: Path) -> None:
    """`sqlite:PATH` and PATH are one database: one lock file beside it, never a `sqlite:` folder in the cwd."""
    from bot.store.lock import lock_path

    database = tmp_path / "k.sqlite3"
    assert lock_path(f"sqlite:{database}") == lock_path(database) == tmp_path / "k.sqlite3.lock"
    with DatabaseLock(f"sqlite:{database}"), pytest.raises(RuntimeError):
        DatabaseLock(database).acquire()
