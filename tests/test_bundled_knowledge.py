"""The bundled knowledge base: it lints clean, covers every required id, and its reproducers reproduce."""

from __future__ import annotations

import pytest
import yaml

from bot.engine import Engine
from bot.knowledge.loader import load_knowledge
from bot.verify import Outcome, verify_entries

from .conftest import REPO, SHARED


def test_bundled_knowledge_lints_clean() -> None:
    kb = load_knowledge([REPO / "knowledge"])
    assert [str(p) for p in kb.problems] == []


@pytest.mark.skipif(not (SHARED / "coverage.yaml").exists(), reason="../shared is not beside the checkout")
def test_every_covered_error_has_its_entry() -> None:
    wanted = {item["id"] for item in yaml.safe_load((SHARED / "coverage.yaml").read_text(encoding="utf-8"))}
    have = set(load_knowledge([REPO / "knowledge"]).by_id)
    assert sorted(wanted - have) == []


def test_entries_are_well_formed_beyond_the_schema(bundled_engine: Engine) -> None:
    for entry in bundled_engine.kb.entries:
        assert len(entry.workarounds) >= 2, entry.id
        assert len(entry.dead_ends) >= 2, entry.id
        assert all(w.code for w in entry.workarounds), entry.id
        assert entry.symptoms, entry.id


def test_reproducers_raise_their_error_and_the_matcher_finds_it(bundled_engine: Engine) -> None:
    """`kb verify` over every entry whose reproducer's libraries are installed here."""
    entries = [e for e in bundled_engine.kb.entries if e.reproducer]
    verdicts = verify_entries(bundled_engine, entries, timeout=120)
    failing = [
        (v.entry.id, v.outcome.value, v.detail)
        for v in verdicts
        if v.outcome not in (Outcome.REPRODUCED, Outcome.STAND_IN, Outcome.SKIPPED)
    ]
    assert failing == []
    assert any(v.outcome is Outcome.REPRODUCED for v in verdicts)


# Every wording PyTorch 2.13 prints for a dtype mismatch in a CPU conv or linear layer, copied from real
# runs. Which one a person sees depends on the layer's bias and on the CPU (oneDNN takes half input only
# with AVX512-FP16/AMX-FP16 or AVX-NE-CONVERT, bfloat16 only with AVX-512 BW/VL/DQ), so every one of
# them has to find its entry, not just the one the reproducer's machine prints.
DTYPE_MISMATCH_WORDINGS = [
    # bias-free conv, oneDNN's check: half on Intel Sapphire Rapids and later, bfloat16 on AVX-512 CPUs
    (
        "RuntimeError: Input type (torch.HalfTensor) and weight type (torch.FloatTensor) should be the same "
        "or input should be a MKLDNN tensor and weight is a dense tensor",
        "pytorch/input-weight-type-mismatch",
    ),
    (
        "RuntimeError: Input type (CPUBFloat16Type) and weight type (torch.FloatTensor) should be the same "
        "or input should be a MKLDNN tensor and weight is a dense tensor",
        "pytorch/input-weight-type-mismatch",
    ),
    # float32 input into a .half() / .double() bias-free conv: oneDNN's float32 path, every x86-64 CPU
    (
        "RuntimeError: Input type (torch.FloatTensor) and weight type (torch.HalfTensor) should be the same "
        "or input should be a MKLDNN tensor and weight is a dense tensor",
        "pytorch/input-weight-type-mismatch",
    ),
    (
        "RuntimeError: Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same "
        "or input should be a MKLDNN tensor and weight is a dense tensor",
        "pytorch/input-weight-type-mismatch",
    ),
    # conv with a bias: conv2d's own dtype check, before any backend, every CPU
    (
        "RuntimeError: Input type (c10::Half) and bias type (float) should be the same",
        "pytorch/input-weight-type-mismatch",
    ),
    (
        "RuntimeError: Input type (c10::BFloat16) and bias type (float) should be the same",
        "pytorch/input-weight-type-mismatch",
    ),
    (
        "RuntimeError: Input type (float) and bias type (c10::Half) should be the same",
        "pytorch/input-weight-type-mismatch",
    ),
    (
        "RuntimeError: Input type (float) and bias type (double) should be the same",
        "pytorch/input-weight-type-mismatch",
    ),
    # bias-free conv, ATen's kernel: half on AMD EPYC and older Intel, bfloat16 on AVX2-only CPUs
    ("RuntimeError: expected scalar type Half but found Float", "pytorch/dtype-float-double-mismatch"),
    ("RuntimeError: expected scalar type BFloat16 but found Float", "pytorch/dtype-float-double-mismatch"),
    ("RuntimeError: expected scalar type Float but found Half", "pytorch/dtype-float-double-mismatch"),
    # linear layers, every CPU
    (
        "RuntimeError: mat1 and mat2 must have the same dtype, but got Half and Float",
        "pytorch/dtype-float-double-mismatch",
    ),
    (
        "RuntimeError: mat1 and mat2 must have the same dtype, but got BFloat16 and Float",
        "pytorch/dtype-float-double-mismatch",
    ),
    (
        "RuntimeError: expected m1 and m2 to have the same dtype, but got: c10::Half != float",
        "pytorch/dtype-float-double-mismatch",
    ),
]


@pytest.mark.parametrize(("wording", "entry_id"), DTYPE_MISMATCH_WORDINGS)
def test_every_cpus_dtype_mismatch_wording_finds_its_entry(bundled_engine: Engine, wording: str, entry_id: str) -> None:
    result = bundled_engine.match(wording, top=3)
    assert result.best is not None
    assert result.best.entry.id == entry_id
    assert wording in result.best.entry.signatures
