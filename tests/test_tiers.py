"""Imported packs: scored with their own statistics at lower trust, and silent in passive mode by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.matching.matcher import Thresholds

from .conftest import FIXTURES

PACK_ENTRY = """\
id: pack/shapes-dup
title: "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
domain: pack
category: runtime_error
exception: RuntimeError
signatures: ["RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"]
patterns: ['mat1 and mat2 shapes cannot be multiplied']
verification: ai_generated
fix_rate: 0.9
root_cause: A copy of the curated entry, from an imported pack.
workarounds: [{title: Fix the shapes, success_rate: 0.9, code: fix()}]
dead_ends: [{action: Nothing, why: No., fail_rate: 0.9}]
"""
PACK_ONLY = (
    PACK_ENTRY.replace("shapes-dup", "grpc-dns")
    .replace(
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
        "UNAVAILABLE: DNS resolution failed for api",
    )
    .replace("mat1 and mat2 shapes cannot be multiplied", "DNS resolution failed for")
)


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "shapes-dup.yaml").write_text(PACK_ENTRY, encoding="utf-8")
    (tmp_path / "pack" / "grpc-dns.yaml").write_text(PACK_ONLY, encoding="utf-8")
    return tmp_path


def test_curated_entry_outranks_its_pack_duplicate_and_still_answers(pack: Path) -> None:
    engine = Engine.load([FIXTURES / "kb", pack])
    result = engine.match("RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x9 and 10x11)")
    assert [m.entry.id for m in result.matches[:2]] == ["demo/shape-mismatch", "pack/shapes-dup"]
    assert result.matches[1].trust < 1.0
    assert result.reply  # the duplicate is not a rival that makes the answer uncertain


def test_curated_scores_do_not_move_when_a_pack_is_loaded(pack: Path) -> None:
    text = "after a few epochs the loss explodes and becomes nan"
    alone = Engine.load([FIXTURES / "kb"]).match(text).matches[0]
    together = Engine.load([FIXTURES / "kb", pack]).match(text).matches[0]
    assert (alone.entry.id, alone.score) == (together.entry.id, together.score)


def test_pack_entries_rank_but_answer_unprompted_only_when_allowed(pack: Path) -> None:
    text = "UNAVAILABLE: DNS resolution failed for api.internal:443"
    quiet = Engine.load([FIXTURES / "kb", pack]).match(text)
    assert quiet.best is not None and quiet.best.entry.id == "pack/grpc-dns"
    assert not quiet.reply
    allowed = Engine.load([FIXTURES / "kb", pack], Thresholds(packs_answer=True)).match(text)
    assert allowed.reply
