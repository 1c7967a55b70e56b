"""Deleting what the bot holds about a person or a server (issue 11, item 7: docs/privacy.md's promises)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import Store, StoredReply

from .test_cli import knownfix

ASKER, VOTER, OTHER = 7, 8, 9


def reply(message_id: int, guild_id: int) -> StoredReply:
    return StoredReply(
        message_id, 10, guild_id, message_id + 1, ASKER, "demo/loss-nan", ("clip-gradients",), 0.9, "high"
    )


async def filled(path: str | Path) -> None:
    async with Store(path) as store:
        await store.record_reply(reply(100, guild_id=1))
        await store.record_reply(reply(200, guild_id=2))
        for message_id in (100, 200):
            await store.add_vote(message_id, VOTER, "w:clip-gradients")
            await store.add_vote(message_id, OTHER, "none")
        await store.watch(55, 1, VOTER)
        await store.set_server_setting(1, "record_gaps", "false", VOTER)


async def test_forgetting_a_person_deletes_their_votes_and_their_id_everywhere(database: str | Path) -> None:
    path = database
    await filled(path)
    async with Store(path) as store:
        assert await store.forget_user(VOTER) == 2
        assert await store.votes_of(100, VOTER) == () and await store.votes_of(100, OTHER) == ("none",)
        await store.forget_user(ASKER)
        kept = await store.reply(100)
        assert kept is not None and kept.asker_id is None
        for table, column in (("watched_channels", "added_by"), ("server_settings", "set_by")):
            rows = await store.query(f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")
            assert [tuple(row) for row in rows] == [(0,)], table


async def test_forgetting_a_server_deletes_what_was_recorded_there_only(database: str | Path) -> None:
    path = database
    await filled(path)
    async with Store(path) as store:
        assert await store.forget_guild(1) == 1
        assert await store.reply(100) is None and await store.votes_of(100, OTHER) == ()
        assert await store.reply(200) is not None and await store.votes_of(200, OTHER) == ("none",)
        assert await store.watched_channels() == {} and await store.server_settings() == {}


def test_knownfix_forget_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    asyncio.run(filled(path))
    done = knownfix("forget", "--user", str(VOTER), "--database", str(path))
    assert done.returncode == 0 and "2 vote(s) deleted" in done.stdout
    done = knownfix("forget", "--guild", "2", "--database", str(path))
    assert done.returncode == 0 and "1 reply record(s)" in done.stdout
    missing = knownfix("forget", "--user", "1", "--database", str(tmp_path / "nope.sqlite3"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
