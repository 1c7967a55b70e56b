"""Imported packs: scored with their own statistics at lower trust, and silent in passive mode by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.matching import evidence
from bot.matching.matcher import Thresholds
from bot.matching.weights import default_weights

from .conftest import FIXTURES, evidence_columns, evidence_rows

W = default_weights()

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


def _pack_entry(slug: str, signature: str, exception: str | None = None) -> str:
    """An imported entry as the deadends.dev importer writes one: a single signature, nothing curated."""
    head = f'id: pack/{slug}\ntitle: "{signature}"\ndomain: pack\ncategory: runtime_error\n'
    if exception:
        head += f"exception: {exception}\n"
    return head + (
        f'signatures: ["{signature}"]\n'
        "verification: ai_generated\nfix_rate: 0.9\nroot_cause: An imported entry.\n"
        "workarounds: [{title: Fix it, success_rate: 0.9, code: fix()}]\n"
        "dead_ends: [{action: Nothing, why: No., fail_rate: 0.9}]\n"
    )


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """A pack with an exact-signature error the curated tier knows only by its exception name, a console line
    with no exception at all, and a short signature of common words."""
    entries = {
        "cudnn-not-initialized": _pack_entry(
            "cudnn-not-initialized", "RuntimeError: cuDNN error: CUDNN_STATUS_NOT_INITIALIZED", "RuntimeError"
        ),
        "disk-full": _pack_entry("disk-full", "no space left on device"),
        "already-on-branch": _pack_entry("already-on-branch", "Already on 'main'"),
        "timeout": _pack_entry("timeout", "Training step timed out"),
    }
    (tmp_path / "pack").mkdir()
    for slug, text in entries.items():
        (tmp_path / "pack" / f"{slug}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_an_exact_pack_signature_beats_a_curated_exception_name_alone(imported: Path) -> None:
    # The curated tier has one RuntimeError entry (a shape mismatch): the name alone says little.
    result = Engine.load([FIXTURES / "kb", imported]).match("RuntimeError: cuDNN error: CUDNN_STATUS_NOT_INITIALIZED")
    assert [m.entry.id for m in result.matches[:2]] == ["pack/cudnn-not-initialized", "demo/shape-mismatch"]
    assert result.matches[0].via == "signature" and result.matches[0].trust < 1.0
    # The trust shown is the one the score was given: the higher one of a word-for-word paste of the signature.
    assert result.matches[0].trust == W.scoring.pack_exact_trust
    loose = Engine.load([FIXTURES / "kb", imported]).match("CUDNN_STATUS_NOT_INITIALIZED when I start training")
    assert [m.trust for m in loose.matches if m.entry.id == "pack/cudnn-not-initialized"] == [W.scoring.pack_trust]


def test_a_pasted_line_that_is_a_pack_signature_counts_without_an_exception_name(imported: Path) -> None:
    # No exception name, so extraction finds no error line: the whole one-line message is the paste.
    result = Engine.load([FIXTURES / "kb", imported]).match("No space left on device")
    assert result.best is not None and result.best.entry.id == "pack/disk-full"
    assert result.best.via == "signature"
    # /fix names it: the full page when the calibration is sure enough, else first among the entries to open. The
    # corpus holds no pack matches, and a pasted error is not always the entry's problem (its near misses), so a
    # pack's bare paste sits near the asked threshold: 0.74 against 0.71 before the near misses, 0.60 against 0.72
    # after. Which side it falls on is the calibration's call, not this test's.
    assert result.answer or (result.offer and result.matches[0].entry.id == "pack/disk-full")
    assert result.answer == (result.best.probability >= W.decisions.asked)


def test_pack_signature_words_in_prose_are_a_hint(imported: Path) -> None:
    # "main" is nearly all of the short pack signature "Already on 'main'"; a sentence that mentions main.py is
    # not a paste of it, and neither is one that shares most words with "Training step timed out".
    engine = Engine.load([FIXTURES / "kb", imported])
    for text in ("I changed main and now the training step is slow", "my training step always times out"):
        result = engine.match(text)
        packs = [m for m in result.matches if m.trust < 1.0]
        assert packs and all(m.via == "hint" for m in packs), text
        # A hint never becomes the answer. (Whether the fixture's three curated entries answer a loose symptom
        # match depends on the calibration fitted on the bundled knowledge base, not on the pack.)
        assert result.best is not None and result.best.trust == 1.0, text


def test_pack_prose_words_rank_below_a_loose_curated_symptom() -> None:
    # Every word of a pack signature in prose, against a curated symptom phrasing half covered: the curated
    # entry is what the message is about (six corpus regressions had this shape).
    w = default_weights()
    rows: dict[str, list[object]] = {
        "signature_coverage": [1.0, 0.0],
        "symptom_coverage": [0.0, 0.5],
        "explained_share": [1.0, 0.5],
        "words_count_as_proof": [False, True],
        "symptom_entry": [False, True],
        "pack": [True, False],
    }
    scores = evidence.combine(evidence_rows(evidence_columns(2, rows)), w.scoring, w.selection, w.ranking)
    assert scores.score[1] > scores.score[0] > 0
    assert evidence.KINDS[int(scores.via[0])] == "hint"
