"""The index several processes share: its arrays map the cache file, and it matches exactly as one built fresh.

Loading the cache maps the index's arrays from the file instead of copying them (issue 12, item 3); these
tests hold the mapped form to the fresh one, field by field and ranking by ranking, and make sure a damaged,
truncated, empty or misplaced cache file is rebuilt rather than trusted.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import mmap
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import bot.matching.tier as tier_module
from benchmarks.inputs import query_texts
from bot.cache import HEADER, HEADER_BYTES, load_indexed
from bot.engine import Engine
from bot.knowledge.loader import load_knowledge
from bot.matching.flat import FeatureTable, PostingLists
from bot.matching.index import MatchIndex, build_indexes
from bot.matching.matcher import Matcher, MatchResult

from .conftest import FIXTURES, REPO

CASES_PER_SET = 60  # enough real messages of each kind to reach most entries' paths through the matcher


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("KNOWNFIX_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def two_tiers(tmp_path: Path) -> list[Path]:
    """A curated tier and a pack after it (the demo fixtures, then our Python entries as a pack): both kinds
    of tier, small enough to build many times. Copies, so nothing edits them while a test runs."""
    shutil.copytree(FIXTURES / "kb", tmp_path / "curated")
    shutil.copytree(REPO / "knowledge" / "python", tmp_path / "pack" / "python")
    return [tmp_path / "curated", tmp_path / "pack"]


@pytest.fixture
def ours_and_a_pack(tmp_path: Path) -> list[Path]:
    """All of our knowledge, and the demo fixtures as a pack after it."""
    shutil.copytree(REPO / "knowledge", tmp_path / "ours")
    shutil.copytree(FIXTURES / "kb", tmp_path / "demo-pack")
    return [tmp_path / "ours", tmp_path / "demo-pack"]


def cache_file(cache: Path) -> Path:
    (path,) = cache.glob("index-*")
    return path


def messages() -> list[str]:
    texts = list(query_texts().values())
    texts.append((REPO / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8"))
    for line in (REPO / "evaluation" / "own-cases.jsonl").read_text(encoding="utf-8").splitlines()[:CASES_PER_SET]:
        texts.append(json.loads(line)["text"])
    texts += ["my loss is nan after a few steps", "training hangs forever on the first batch", "是什么错误"]
    return texts


def untimed(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Matcher:
    """The engine's matcher without the time bounds on pattern searches: on a loaded machine a search can run
    out of time in one ranking and not in the other, which would tell nothing about the index."""
    monkeypatch.setattr(tier_module, "SEARCH_TIMEOUT_S", 60.0)
    weights = engine.matcher.weights
    weights = dataclasses.replace(weights, limits=dataclasses.replace(weights.limits, pattern_budget_s=600.0))
    return Matcher(engine.indexes, engine.matcher.thresholds, weights)


def ranking(result: MatchResult) -> tuple[Any, ...]:
    return (
        [(m.entry.id, m.score, m.probability, m.via, m.confidence) for m in result.matches],
        result.reply,
        result.answer,
    )


def same_index(a: MatchIndex, b: MatchIndex) -> None:
    for field in dataclasses.fields(MatchIndex):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), field.name
        elif isinstance(x, FeatureTable | PostingLists):
            for part in dataclasses.fields(x):
                u, v = getattr(x, part.name), getattr(y, part.name)
                assert np.array_equal(u, v) if isinstance(u, np.ndarray) else u == v, (field.name, part.name)
        else:
            assert x == y, field.name


def mapped(array: np.ndarray[Any, Any]) -> bool:
    """Whether the array's memory is a mapped file (not the process's own heap)."""
    base: object = array
    while isinstance(base, np.ndarray):
        base = base.base
    while isinstance(base, memoryview):
        base = base.obj
    return isinstance(base, mmap.mmap)


def test_an_engine_loaded_from_the_shared_cache_matches_exactly_as_one_built_fresh(
    cache: Path, ours_and_a_pack: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Engine.from_knowledge(load_knowledge(ours_and_a_pack))
    Engine.load(ours_and_a_pack)  # the first process builds and writes the cache
    shared = Engine.load(ours_and_a_pack)  # every later one maps it
    assert len(shared.indexes) == 2
    for built, loaded in zip(fresh.indexes, shared.indexes, strict=True):
        same_index(built, loaded)
        for array in (loaded.postings.rows, loaded.vocabulary.rows, loaded.features.hashes, loaded.feature_weights):
            assert mapped(array) and not array.flags.writeable
    fresh_matcher, shared_matcher = untimed(fresh, monkeypatch), untimed(shared, monkeypatch)
    for text in messages():
        assert ranking(shared_matcher.rank(text)) == ranking(fresh_matcher.rank(text)), text[:80]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_the_first_process_too_maps_the_cache_file_it_wrote(cache: Path, two_tiers: list[Path]) -> None:
    kb, indexes = load_indexed(two_tiers)  # built, written, and read back
    path = str(cache_file(cache).resolve())
    with open("/proc/self/maps", encoding="utf-8") as fh:
        assert any(line.rstrip().endswith(path) for line in fh), "the index file is not mapped"
    assert mapped(indexes[1].postings.rows) and len(kb) == sum(ix.size for ix in indexes)


def load_after(
    cache: Path, two_tiers: list[Path], damage: Callable[[Path], object], caplog: pytest.LogCaptureFixture
) -> None:
    """Write the cache, damage its file, load again: the knowledge must come back whole, rebuilt, with a warning."""
    fresh = build_indexes(load_knowledge(two_tiers))
    load_indexed(two_tiers)
    damage(cache_file(cache))
    with caplog.at_level(logging.WARNING, logger="bot.cache"):
        kb, indexes = load_indexed(two_tiers)
    assert "ignoring" in caplog.text
    assert len(kb) == sum(ix.size for ix in fresh)
    for built, loaded in zip(fresh, indexes, strict=True):
        same_index(built, loaded)
    # ... and the rebuilt file is whole again: the next process maps it without a word.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.cache"):
        load_indexed(two_tiers)
    assert "ignoring" not in caplog.text


def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_damaged_byte_in_the_cache_file_is_rebuilt_never_trusted(
    cache: Path, two_tiers: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    load_after(cache, two_tiers, flip_middle_byte, caplog)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        lambda p: p.write_bytes(p.read_bytes()[: HEADER_BYTES - 1]),
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(p.read_bytes() + b"\0" * 4096),
        lambda p: p.write_bytes(b"not an index at all" * 100),
    ],
    ids=["truncated", "shorter than the header", "empty", "padded", "foreign"],
)
def test_a_truncated_empty_or_foreign_cache_file_is_rebuilt(
    cache: Path, two_tiers: list[Path], damage: Callable[[Path], object], caplog: pytest.LogCaptureFixture
) -> None:
    load_after(cache, two_tiers, damage, caplog)


def test_a_cache_file_of_other_knowledge_under_this_name_is_not_used(
    cache: Path, two_tiers: list[Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file copied or renamed into place (a stale cache restored from a backup, say) holds other entries."""
    other = tmp_path / "other"
    shutil.copytree(FIXTURES / "kb", other)
    load_indexed([other])
    renamed = tmp_path / "other-knowledge.index"
    cache_file(cache).rename(renamed)
    load_indexed(two_tiers)
    wanted = cache_file(cache)
    os.replace(renamed, wanted)  # the other knowledge's file, under this knowledge's key
    with caplog.at_level(logging.WARNING, logger="bot.cache"):
        kb, _ = load_indexed(two_tiers)
    assert "ignoring" in caplog.text
    assert len(kb) == len(load_knowledge(two_tiers))


def test_a_cache_file_replaced_while_mapped_leaves_the_loaded_engine_intact(cache: Path, two_tiers: list[Path]) -> None:
    """Another process rewriting (or a cleanup removing) the file must not disturb one that has it mapped."""
    Engine.load(two_tiers)
    engine = Engine.load(two_tiers)
    text = query_texts()["60-line traceback"]
    before = ranking(engine.match(text))
    path = cache_file(cache)
    replacement = path.with_name(".replacement")
    replacement.write_bytes(b"\0" * path.stat().st_size)
    os.replace(replacement, path)
    assert ranking(engine.match(text)) == before
    path.unlink()
    assert ranking(engine.match(text)) == before


def test_the_header_fits_its_reserved_bytes() -> None:
    assert HEADER.size <= HEADER_BYTES


# -- the flat tables against the dict-of-lists form they replace ---------------------------------------------


def test_feature_ids_find_every_known_feature_and_only_those() -> None:
    known = ["loss", "nan", "loss nan", "c_nan", "形状", "x" * 300]
    table, ids = FeatureTable.build(known)
    assert sorted(ids.tolist()) == list(range(len(known)))
    assert [table.feature(i) for i in ids.tolist()] == known
    # Ascending, whatever the order asked in: sums over them must not depend on a set's order.
    assert table.ids(["nan", "unknown", "形状", "loss"]).tolist() == sorted([ids[1], ids[4], ids[0]])
    assert table.ids([]).size == 0
    empty, _ = FeatureTable.build([])
    assert empty.ids(["loss"]).size == 0


def test_a_feature_sharing_a_hash_with_a_known_one_is_not_taken_for_it() -> None:
    table, _ = FeatureTable.build(["loss", "nan"])
    # The same hashes with other bytes behind them, as a query word whose hash clashed would meet: only the
    # bytes can tell them apart.
    other_bytes = np.frombuffer(table.text.tobytes().upper(), dtype=np.uint8)
    impostor = dataclasses.replace(table, text=other_bytes)
    assert table.ids(["loss", "nan"]).size == 2
    assert impostor.ids(["loss", "nan"]).size == 0


def test_weighted_sums_equal_the_sum_over_each_features_rows() -> None:
    rng = np.random.default_rng(7)
    features, rows = 50, 40
    pairs = {(int(f), int(r)) for f, r in rng.integers(0, [features, rows], size=(400, 2))}
    fids = np.array([f for f, _ in sorted(pairs)], dtype=np.int64)
    rids = np.array([r for _, r in sorted(pairs)], dtype=np.int64)
    lists = PostingLists.build(fids, rids, features)
    weights = rng.random(features)
    chosen = np.array([0, 3, 49, 17, 3 + 1], dtype=np.int64)
    expected = np.zeros(rows)
    for f in chosen.tolist():
        for r in sorted(r for g, r in pairs if g == f):
            expected[r] += weights[f]
    assert np.array_equal(lists.weighted_sum(chosen, weights, rows), expected)
    assert not lists.weighted_sum(np.zeros(0, dtype=np.int64), weights, rows).any()
