"""Honest fix rates: votes on a reply marked a wrong match do not count; votes follow a workaround's id, not
its position (and an old database's position-keyed votes are carried over, or kept unattached and
reported); replies say whether a rate is the curated estimate or observed from N reports."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat.cogs.feedback import vote_option
from bot.chat.embed import FIELD_NAME_MAX, render_embed
from bot.engine import Engine
from bot.feedback.rates import Tally
from bot.feedback.report import workaround_ids
from bot.feedback.votes import NONE_FIXED, NUMBER_EMOJI, WRONG_MATCH, workaround_option
from bot.knowledge.loader import load_knowledge
from bot.matching.matcher import Confidence, Match
from bot.render.terminal import render_reply
from bot.reply import build_reply, rank_workarounds
from bot.store import NeedsKnowledgeError, Store, StoredReply
from bot.store.schema import MIGRATIONS, WORKAROUND_IDS_MIGRATION

from .conftest import FIXTURES, REPO

ENTRY = "demo/loss-nan"  # community entry; workarounds: lower-learning-rate (0.6), clip-gradients (0.7)
LOWER, CLIP = "lower-learning-rate", "clip-gradients"


def stored(message_id: int, shown: tuple[str, ...] = (CLIP, LOWER)) -> StoredReply:
    return StoredReply(message_id, 10, 1, message_id + 1, 7, ENTRY, shown, 0.9, "high")


def knownfix(kb_dir: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(kb_dir), *args, "--database", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


# -- wrong match ------------------------------------------------------------------------------------------------


async def test_votes_on_a_reply_marked_wrong_match_do_not_count_but_stay_stored(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_reply(stored(100))  # the reply someone will call the wrong match
        await store.record_reply(stored(200))  # an honest one
        for user in range(5):
            await store.add_vote(100, user, workaround_option(LOWER))
        await store.add_vote(100, 9, NONE_FIXED)
        await store.add_vote(200, 1, workaround_option(CLIP))
        await store.add_vote(100, 42, WRONG_MATCH)

        feedback = await store.feedback(ENTRY)
        assert feedback.tallies == {CLIP: Tally(fixed=1)}  # only the honest reply's vote
        assert feedback.excluded == 6 and feedback.wrong_match == 1
        assert await store.vote_count() == 8  # nothing was deleted

        # The mark taken back: the votes count again.
        await store.remove_vote(100, 42, WRONG_MATCH)
        feedback = await store.feedback(ENTRY)
        assert feedback.tallies == {LOWER: Tally(fixed=5, failed=1), CLIP: Tally(fixed=1, failed=1)}
        assert feedback.excluded == 0


async def test_a_voter_who_also_marked_wrong_match_moves_nothing(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_reply(stored(100))
        await store.add_vote(100, 1, workaround_option(LOWER))
        await store.add_vote(100, 1, WRONG_MATCH)
        assert (await store.feedback(ENTRY)).tallies == {}


# -- votes follow the workaround's id ----------------------------------------------------------------------------


def reorder(path: Path) -> None:
    """Swap the entry's two workarounds in its file, as a curator re-ranking them would."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("workarounds:\n", 1)
    body, tail = rest.split("dead_ends:\n", 1)
    first, second = body.split("  - id: clip-gradients\n")
    path.write_text(f"{head}workarounds:\n  - id: clip-gradients\n{second}{first}dead_ends:\n{tail}", encoding="utf-8")


async def test_reordering_workarounds_keeps_their_votes(tmp_path: Path, database: str | Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(FIXTURES / "kb", kb_dir)
    entry = load_knowledge([kb_dir]).by_id[ENTRY]
    assert [w.id for w in entry.workarounds] == [LOWER, CLIP]
    async with Store(database) as store:
        await store.record_reply(stored(100))
        reply = await store.reply(100)
        assert reply is not None
        for user in range(6):  # 1️⃣ on a reply that showed clip-gradients first
            option = vote_option(NUMBER_EMOJI[0], reply)
            assert option is not None
            await store.add_vote(100, user, option)
        tallies = (await store.feedback(ENTRY)).tallies

    reorder(kb_dir / f"{ENTRY}.yaml")
    moved = load_knowledge([kb_dir]).by_id[ENTRY]
    assert [w.title for w in moved.workarounds] == ["Clip gradients", "Lower the learning rate"]
    rates = {r.workaround.title: r.rate for r in rank_workarounds(moved, tallies)}
    assert rates["Clip gradients"].reports == 6 and rates["Clip gradients"].fixed == 6
    assert rates["Lower the learning rate"].reports == 0


def test_an_old_position_that_no_workaround_has_is_not_votable() -> None:
    reply = stored(100, ("", CLIP))  # what the migration leaves for a position the entry lost
    assert vote_option(NUMBER_EMOJI[0], reply) is None
    assert vote_option(NUMBER_EMOJI[1], reply) == workaround_option(CLIP)
    assert vote_option(NUMBER_EMOJI[2], reply) is None


# -- the migration from position-keyed votes ----------------------------------------------------------------------


def schema_2_database(path: Path) -> None:
    """A database as knownfix left it before workaround ids: votes 'w<N>', shown positions as numbers."""
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "PRAGMA user_version = 2;")
    insert = (
        "INSERT INTO replies (message_id, channel_id, guild_id, source_message_id, asker_id, entry_id,"
        " shown_workarounds, score, confidence, matched_at) VALUES (?, 1, 1, ?, 7, ?, ?, 0.9, 'high', 'then')"
    )
    db.execute(insert, (100, 101, ENTRY, "[2, 1]"))
    db.execute(insert, (200, 201, ENTRY, "[1, 2, 5]"))  # #5: the entry has since lost that workaround
    db.execute(insert, (300, 301, "demo/gone", "[1]"))  # an entry since removed
    votes = [(100, 1, "w2"), (100, 2, "w2"), (100, 3, "none"), (200, 4, "w1"), (200, 5, "w5"), (300, 6, "w1")]
    db.executemany("INSERT INTO votes VALUES (?, ?, ?, 'then')", votes)
    db.commit()
    db.close()


async def test_the_migration_moves_position_votes_to_ids_and_keeps_the_rest_unattached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.sqlite3"
    schema_2_database(path)
    kb = load_knowledge([FIXTURES / "kb"])
    with caplog.at_level(logging.WARNING, logger="bot.store.store"):
        async with Store(path, workaround_ids(kb)) as store:
            shown = {m: reply.shown_workarounds for m in (100, 200, 300) if (reply := await store.reply(m))}
            assert shown == {100: (CLIP, LOWER), 200: (LOWER, CLIP, ""), 300: ("",)}
            feedback = await store.feedback(ENTRY)
            assert feedback.tallies == {CLIP: Tally(fixed=2, failed=1), LOWER: Tally(fixed=1, failed=1)}
            assert await store.vote_count() == 6  # no vote dropped
            assert (await store.stats()).unattached_votes == 2  # #5 of the entry, and the vanished entry's
    assert "2 vote(s) name a workaround position" in caplog.text and f"{ENTRY} #5 (1)" in caplog.text

    proc = knownfix(FIXTURES / "kb", path, "stats")
    assert proc.returncode == 0 and "unattached votes 2" in proc.stdout, proc.stderr


async def test_an_old_database_is_not_migrated_without_the_knowledge(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    schema_2_database(path)
    with pytest.raises(NeedsKnowledgeError, match=f"database {path} stores votes by workaround position"):
        async with Store(path):
            pass
    with sqlite3.connect(path) as db:  # stopped before schema 4, with its old votes as they were
        assert db.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS.index(WORKAROUND_IDS_MIGRATION)
        assert db.execute("SELECT COUNT(*) FROM votes WHERE option = 'w2'").fetchone()[0] == 2


# -- what replies say about a rate --------------------------------------------------------------------------------


def test_replies_say_curated_estimate_or_observed_from_n_reports(demo_engine: Engine) -> None:
    entry = demo_engine.kb.by_id[ENTRY]
    reply = build_reply(Match(entry, 0.9, Confidence.HIGH, "symptom"), tallies={LOWER: Tally(fixed=24, failed=4)})
    text = render_reply(reply)
    # 80% = (0.6 * 8 + 24) / (8 + 28): the curated rate is a prior worth 8 reports for a community entry.
    assert "Lower the learning rate  — fixes 80% (observed: 86% of 28 reports, curated 60%)" in text
    assert "Clip gradients  — fixes 70% (curated estimate)" in text
    names = [f.name for f in render_embed(reply).embed.fields]
    assert (
        names[0] == f"{NUMBER_EMOJI[0]} Lower the learning rate — fixes 80% (observed: 86% of 28 reports, curated 60%)"
    )
    assert names[1] == f"{NUMBER_EMOJI[1]} Clip gradients — fixes 70% (curated estimate)"


def test_a_long_title_is_clipped_so_the_rate_and_its_basis_still_show(demo_engine: Engine) -> None:
    entry = demo_engine.kb.by_id[ENTRY]
    long = dataclasses.replace(entry.workarounds[0], title="Lower the learning rate " + "and then some " * 40)
    entry = dataclasses.replace(entry, workarounds=(long, entry.workarounds[1]))
    reply = build_reply(Match(entry, 0.9, Confidence.HIGH, "symptom"), tallies={LOWER: Tally(fixed=40, failed=1)})
    name = render_embed(reply).embed.fields[0].name or ""
    assert len(name) <= FIELD_NAME_MAX and name.endswith("(observed: 98% of 41 reports, curated 60%)")


async def test_stats_and_apply_feedback_leave_out_votes_on_a_wrong_match(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(FIXTURES / "kb", kb_dir)
    db = tmp_path / "k.sqlite3"
    async with Store(db) as store:
        await store.record_reply(stored(100))
        for user in range(10):
            await store.add_vote(100, user, workaround_option(LOWER))
        await store.add_vote(100, 99, WRONG_MATCH)
    before = (kb_dir / f"{ENTRY}.yaml").read_text(encoding="utf-8")
    stats = knownfix(kb_dir, db, "stats")
    assert LOWER not in stats.stdout and "do not count toward fix rates" in stats.stdout
    applied = knownfix(kb_dir, db, "kb", "apply-feedback")
    assert "0 file(s) updated" in applied.stdout
    assert (kb_dir / f"{ENTRY}.yaml").read_text(encoding="utf-8") == before


def test_match_json_names_each_workaround_by_its_id() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(FIXTURES / "kb"), "match", "--json", "-"],
        input="my loss becomes nan during training",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    workarounds = json.loads(proc.stdout)["entry"]["workarounds"]
    assert {w["id"] for w in workarounds} == {LOWER, CLIP}
