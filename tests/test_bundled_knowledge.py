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
