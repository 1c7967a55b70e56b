"""The store on PostgreSQL: what the contract suite (every store test, run on both backends) cannot show
by itself: that the rows really live in the server, that several stores share one database, and how the
setting spells a URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from bot.feedback.votes import NONE_FIXED
from bot.settings import load_settings
from bot.store import DatabaseLock, Store, StoredReply, StoreError
from bot.store.backend import display_name
from bot.store.schema import SCHEMA_VERSION

from .postgres import PostgresServer

pytestmark = pytest.mark.postgres


def reply(message_id: int = 100) -> StoredReply:
    return StoredReply(message_id, 10, 1, message_id + 1, 7, "demo/loss-nan", ("clip-gradients",), 0.9, "high")


@pytest.fixture
def url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database()


async def count(url: str, table: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(f"SELECT COUNT(*) FROM {table}"))
    finally:
        await conn.close()


async def test_a_postgresql_url_keeps_the_rows_in_the_server_and_writes_no_file(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a URL mistaken for a SQLite path would create folders here
    async with Store(url) as store:
        assert store.dialect == "postgresql" and await store.schema_version() == SCHEMA_VERSION
        await store.record_reply(reply())
        assert await store.add_vote(100, 1, NONE_FIXED)
        # Discord ids are 64-bit: the schema must hold them on PostgreSQL too (INTEGER there is 32-bit).
        await store.watch(1_234_567_890_123_456_789, 987_654_321_987_654_321, 2**62)
    assert await count(url, "votes") == 1 and await count(url, "watched_channels") == 1
    assert list(tmp_path.iterdir()) == []


async def test_two_stores_on_one_database_share_votes_and_lose_none(url: str) -> None:
    # Two bot processes on one PostgreSQL database: each has its own store (its own pool and write lock).
    async with Store(url) as first, Store(url) as second:
        await first.record_reply(reply())
        assert await second.reply(100) is not None
        votes = [(first if user % 2 else second).add_vote(100, user, NONE_FIXED) for user in range(200)]
        assert all(await asyncio.gather(*votes))
        assert await first.vote_count() == await second.vote_count() == 200


async def test_stores_starting_at_once_migrate_an_empty_database_once(url: str) -> None:
    stores = [Store(url) for _ in range(3)]
    await asyncio.gather(*(store.open() for store in stores))  # one migrates, the others wait and find it done
    try:
        assert [await store.schema_version() for store in stores] == [SCHEMA_VERSION] * 3
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_an_unreachable_server_is_one_line_naming_the_database_without_its_password(
    postgres_server: PostgresServer,
) -> None:
    unused = postgres_server.url().replace(f":{postgres_server.port}/", ":1/").replace("@", ":s3cret@", 1)
    with pytest.raises(StoreError) as caught:
        async with Store(unused):
            pass
    assert "127.0.0.1:1" in str(caught.value) and "s3cret" not in str(caught.value)


def test_the_database_setting_keeps_a_url_whole() -> None:
    url = "postgresql://bot:pw@db.internal:5432/knownfix"
    settings = load_settings(environ={"DISCORD_TOKEN": "x", "KNOWNFIX_DATABASE": url})
    assert settings.database == url  # as a Path it would read postgresql:/bot:pw@...
    assert display_name(url) == "postgresql://bot:***@db.internal:5432/knownfix"


def test_several_processes_may_share_a_postgresql_database() -> None:
    # The flock beside a SQLite file keeps one bot per file; a server is shared by design.
    url = "postgresql://bot@127.0.0.1:5432/knownfix"
    with DatabaseLock(url), DatabaseLock(url):
        pass
