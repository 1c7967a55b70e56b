from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.feedback.rates import Tally, fix_rate
from bot.feedback.votes import NONE_FIXED, WRONG_MATCH, workaround_option
from bot.knowledge.model import Verification
from bot.store import SchemaTooNewError, Store, StoredReply, StoreUnavailableError
from bot.store.schema import SCHEMA_VERSION

from .conftest import REPO

LOWER, CLIP = "lower-learning-rate", "clip-gradients"  # demo/loss-nan's workarounds, in file order


def reply(message_id: int = 100, entry: str = "demo/loss-nan", shown: tuple[str, ...] = (CLIP, LOWER)) -> StoredReply:
    return StoredReply(message_id, 10, 1, message_id + 1, 7, entry, shown, 0.9, "high")


async def test_new_database_is_migrated_to_the_current_version_in_wal_mode(tmp_path: Path) -> None:
    async with Store(tmp_path / "k.sqlite3") as store:
        assert await store.schema_version() == SCHEMA_VERSION
        async with store.db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]


async def test_a_database_from_a_newer_knownfix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    with pytest.raises(SchemaTooNewError):
        async with Store(path):
            pass


async def test_votes_become_tallies_per_workaround_id(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_reply(reply())
        assert await store.add_vote(100, 1, workaround_option(CLIP))
        assert not await store.add_vote(100, 1, workaround_option(CLIP))  # one vote per user per option
        assert await store.add_vote(100, 2, workaround_option(CLIP))
        assert await store.add_vote(100, 3, NONE_FIXED)
        feedback = await store.feedback("demo/loss-nan")
        assert feedback.tallies == {CLIP: Tally(fixed=2, failed=1), LOWER: Tally(fixed=0, failed=1)}
        assert await store.remove_vote(100, 2, workaround_option(CLIP))
        assert (await store.feedback("demo/loss-nan")).tallies[CLIP] == Tally(fixed=1, failed=1)


async def test_votes_on_unknown_or_deleted_replies_are_ignored(database: str | Path) -> None:
    async with Store(database) as store:
        assert not await store.add_vote(999, 1, NONE_FIXED)
        await store.record_reply(reply())
        await store.mark_deleted(100)
        assert not await store.add_vote(100, 1, NONE_FIXED)
        assert await store.reply(100) is None


async def test_an_edit_that_changes_the_entry_drops_the_old_votes(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_reply(reply())
        await store.add_vote(100, 1, workaround_option(LOWER))
        await store.record_reply(reply())  # same entry: votes stay
        assert await store.vote_count() == 1
        await store.record_reply(reply(entry="demo/shape-mismatch"))
        assert await store.vote_count() == 0
        stored = await store.reply_to(101)
        assert stored is not None and stored.entry_id == "demo/shape-mismatch"


async def test_concurrent_voters_lose_no_votes(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_reply(reply())
        results = await asyncio.gather(*(store.add_vote(100, user, NONE_FIXED) for user in range(200)))
        assert all(results)
        assert await store.vote_count() == 200


async def test_watched_channels_persist_across_reopen(database: str | Path) -> None:
    path = database
    async with Store(path) as store:
        assert await store.watch(55, 1, 7)
        assert not await store.watch(55, 1, 7)
        await store.watch(56, 2, 7)
    async with Store(path) as store:
        assert set(await store.watched_channels()) == {55, 56}
        assert set(await store.watched_channels(guild_id=1)) == {55}
        assert await store.unwatch(55)
        assert set(await store.watched_channels()) == {56}


async def test_a_watched_channels_mode_is_stored_and_changed_in_place(database: str | Path) -> None:
    path = database
    async with Store(path) as store:
        await store.watch(55, 1, 7)
        assert await store.watch(55, 1, 7, "suggest")
        await store.watch(56, 1, 7, "off")
    async with Store(path) as store:
        assert await store.watched_channels() == {55: "suggest", 56: "off"}


async def test_no_message_content_is_stored(tmp_path: Path) -> None:
    async with Store(tmp_path / "k.sqlite3") as store:
        columns: set[str] = set()
        for table in ("replies", "votes", "watched_channels"):
            async with store.db.execute(f"PRAGMA table_info({table})") as cur:
                columns |= {str(row[1]) async for row in cur}
    assert not {"content", "text", "message", "body"} & columns


def test_fix_rate_starts_at_the_curated_rate_and_moves_with_votes() -> None:
    assert fix_rate(0.8, Verification.AI_GENERATED, Tally()).observed == pytest.approx(0.8)
    up = fix_rate(0.5, Verification.AI_GENERATED, Tally(fixed=10))
    down = fix_rate(0.9, Verification.AI_GENERATED, Tally(failed=10))
    assert up.observed > 0.8 and down.observed < 0.4
    # A reproduced entry's prior is worth more reports than an AI-drafted one's.
    firm = fix_rate(0.9, Verification.REPRODUCED, Tally(failed=4))
    soft = fix_rate(0.9, Verification.AI_GENERATED, Tally(failed=4))
    assert firm.observed > soft.observed


async def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    from bot.store.schema import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    db.execute(
        "INSERT INTO replies (message_id, channel_id, guild_id, source_message_id, asker_id, entry_id,"
        " shown_workarounds, score, confidence, matched_at) VALUES (5, 1, 1, 6, 7, 'demo/x', '[1]', 0.9, 'high', 'now')"
    )
    db.commit()
    db.close()
    async with Store(path, {"demo/x": ("only-one",)}) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        stored = await store.reply(5)
        assert stored is not None and stored.entry_id == "demo/x" and stored.shown_workarounds == ("only-one",)


async def test_a_message_may_be_answered_again_after_an_edit_removed_the_reply(database: str | Path) -> None:
    from bot.store import REMOVED_BY_EDIT, REMOVED_BY_PEOPLE

    async with Store(database) as store:
        await store.record_reply(reply(100))  # answers message 101
        await store.mark_deleted(100, REMOVED_BY_EDIT)
        assert not await store.removed_by_people(101)
        await store.record_reply(StoredReply(200, 10, 1, 101, 7, "demo/loss-nan", (LOWER,), 0.9, "high"))
        live = await store.reply_to(101)
        assert live is not None and live.message_id == 200
        await store.mark_deleted(200, REMOVED_BY_PEOPLE)
        assert await store.removed_by_people(101)


async def test_fixed_and_none_fixed_from_one_person_replace_each_other(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_reply(reply())  # shows workarounds 2 then 1
        assert await store.add_vote(100, 1, workaround_option(CLIP))
        assert await store.add_vote(100, 1, workaround_option(LOWER))  # two workarounds may both have helped
        assert await store.add_vote(100, 1, NONE_FIXED)  # ... until the same person says none did
        assert (await store.feedback("demo/loss-nan")).tallies == {CLIP: Tally(0, 1), LOWER: Tally(0, 1)}
        assert await store.add_vote(100, 1, workaround_option(CLIP))
        assert await store.add_vote(100, 1, WRONG_MATCH)  # a different question: kept alongside
        feedback = await store.feedback("demo/loss-nan")
        assert feedback.wrong_match == 1 and feedback.excluded == 1  # stored, but not counted (see below)
        assert await store.add_vote(100, 1, NONE_FIXED)
        assert (await store.feedback("demo/loss-nan")).wrong_match == 1  # "none fixed" leaves 🤷 alone


# -- the database file under the store's feet ----------------------------------------------------------------


async def test_a_database_deleted_while_open_fails_loudly_and_refuses_writes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "k.sqlite3"
    async with Store(path) as store:
        await store.record_reply(reply())
        assert store.healthy
        path.unlink()  # SQLite would go on writing to the unlinked file: every later vote lost
        with pytest.raises(StoreUnavailableError, match="deleted"):
            await store.add_vote(100, 1, NONE_FIXED)
        assert store.problem is not None and str(path) in store.problem  # and so not healthy
        with pytest.raises(StoreUnavailableError):  # and every write after, without looking again
            await store.watch(55, 1, 7)
    assert [r.levelname for r in caplog.records if str(path) in r.getMessage()] == ["ERROR"]  # said once


async def test_a_database_replaced_while_open_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    async with Store(path) as store:
        await store.record_reply(reply())
        async with Store(tmp_path / "restored.sqlite3"):  # e.g. a backup restored over it
            pass
        (tmp_path / "restored.sqlite3").replace(path)
        with pytest.raises(StoreUnavailableError, match="replaced"):
            await store.add_vote(100, 1, NONE_FIXED)
        assert not store.healthy


async def test_an_in_memory_store_stays_healthy(tmp_path: Path) -> None:
    async with Store(":memory:") as store:
        await store.record_reply(reply())
        assert await store.add_vote(100, 1, NONE_FIXED) and store.healthy


def read_only_attempt(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` with `store` opened on a read-only database file, in a child process that, even as
    root, cannot override file permissions (root's DAC capabilities dropped with setpriv)."""
    path = tmp_path / "k.sqlite3"

    async def create() -> None:
        async with Store(path):  # migrated and in WAL mode
            pass

    asyncio.run(create())
    path.chmod(0o444)
    script = textwrap.dedent(
        f"""
        import asyncio
        from bot.store import Store, StoredReply

        async def main() -> None:
            store = Store({str(path)!r})
            try:
                await store.open()
                {code}
            except Exception as exc:
                print(f"{{type(exc).__name__}}: {{exc}}")
            finally:
                await store.close()

        asyncio.run(main())
        """
    )
    command = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: root writes read-only files")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)


def test_a_read_only_database_is_refused_at_start_with_its_path(tmp_path: Path) -> None:
    done = read_only_attempt(tmp_path, "await store.ensure_writable()")
    assert done.stdout.startswith("StoreError: ") and str(tmp_path / "k.sqlite3") in done.stdout, done
    assert "read-only" in done.stdout


def test_a_write_to_a_read_only_database_names_its_path(tmp_path: Path) -> None:
    done = read_only_attempt(tmp_path, "await store.record_reply(StoredReply(1, 1, 1, 2, 3, 'x', (1,), 0.5, 'high'))")
    assert done.stdout.startswith("StoreError: ") and str(tmp_path / "k.sqlite3") in done.stdout, done


async def test_writes_whose_callers_are_cancelled_still_complete_before_the_store_closes(database: str | Path) -> None:
    # A shutdown cancels handlers that outlive its grace: one cancelled between BEGIN and COMMIT must
    # neither lose its vote nor leave the connection inside a transaction for the next write.
    path = database
    async with Store(path) as store:
        await store.record_reply(reply())
        for steps in range(1, 8):  # cancelled after 1..7 turns of the event loop: at every stage of a write
            voting = [asyncio.create_task(store.add_vote(100, steps * 100 + user, NONE_FIXED)) for user in range(10)]
            for _ in range(steps):
                await asyncio.sleep(0)
            for task in voting:
                task.cancel()
            await asyncio.gather(*voting, return_exceptions=True)
        assert await store.add_vote(100, 9999, NONE_FIXED)
    async with Store(path) as store:
        assert await store.vote_count() == 7 * 10 + 1
