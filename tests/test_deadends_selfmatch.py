"""The deadends.dev canons as a pack beside our curated knowledge: each canon's own signature, pasted alone,
finds that canon (or the entry its per-environment copies were merged into), and the pack's words in prose
do not outrank a curated answer. Uses the real canons from ../shared (CI has it beside the clone)."""

from __future__ import annotations

import json

import pytest

from bot.engine import Engine
from bot.knowledge.deadends import canon_files, convert_directory, our_id
from bot.knowledge.loader import KnowledgeBase, load_knowledge

from .conftest import REPO, SHARED

CANONS = SHARED / "deadends-canons"
# The bar: a canon its own error line does not find is dead weight. A curated entry that proves the same
# error (its own signature or pattern, scoring at least CURATED_PROOF) stays ahead of the pack by design, so it
# counts as found here; the strict share (the canon's own entry first) is held to STRICT_MIN: its misses are
# curated entries for the same errors and a few different canons whose signatures differ only in placeholders.
# It falls by design as curated knowledge grows (0.94 with 187 curated entries, 0.937 with 306), so its floor
# leaves room for that; the bar that matters is SELF_MATCH_MIN.
SELF_MATCH_MIN = 0.95
STRICT_MIN = 0.92
CURATED_PROOF = 0.85  # a curated signature or pattern match this strong is the same error, not weak evidence

pytestmark = pytest.mark.skipif(not CANONS.is_dir(), reason=f"the deadends.dev canons are not at {CANONS}")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, dict[str, str]]:
    """Curated knowledge first, the canons as a pack after it, as `--knowledge knowledge --knowledge PACK`
    loads them (converted in memory: writing and re-reading 1,900 YAML files adds nothing to what is tested),
    and their id of every merged copy -> the entry it was merged into."""
    curated = load_knowledge([REPO / "knowledge"])
    pack_dir = tmp_path_factory.mktemp("deadends")
    pack, report = convert_directory(CANONS, pack_dir)
    assert report.merged, "the canons hold per-environment copies; none were merged"
    kb = KnowledgeBase(entries=curated.entries + tuple(pack), directories=(REPO / "knowledge", pack_dir))
    merged_into = {their: entry_id for entry_id, theirs in report.merged for their in theirs}
    return Engine.from_knowledge(kb), merged_into


def own_signatures() -> list[tuple[str, str]]:
    """(signature, their id) for every canon that has both."""
    out = []
    for path in canon_files(CANONS):
        canon = json.loads(path.read_text(encoding="utf-8"))
        error = canon.get("error") if isinstance(canon, dict) else None
        signature = error.get("signature") if isinstance(error, dict) else None
        their_id = canon.get("id") if isinstance(canon, dict) else None
        if isinstance(signature, str) and signature.strip() and isinstance(their_id, str):
            out.append((signature, their_id))
    return out


def test_each_canons_signature_finds_that_canon(imported: tuple[Engine, dict[str, str]]) -> None:
    engine, merged_into = imported
    signatures = own_signatures()
    misses, curated_proofs = [], 0
    for signature, their_id in signatures:
        expected = merged_into.get(their_id) or our_id(their_id)
        best = engine.match(signature, top=1).best
        if best is not None and best.entry.id == expected:
            continue
        if (
            best is not None
            and best.trust == 1.0
            and best.via in {"signature", "pattern"}
            and best.score >= CURATED_PROOF
        ):
            curated_proofs += 1
        else:
            misses.append(f"{expected}: {signature[:80]!r} -> {best.entry.id if best else None}")
    strict = 1 - (len(misses) + curated_proofs) / len(signatures)
    found = 1 - len(misses) / len(signatures)
    detail = f"strict {strict:.3f}, with curated proofs {found:.3f}; misses:\n" + "\n".join(misses[:30])
    assert found >= SELF_MATCH_MIN, detail
    assert strict >= STRICT_MIN, detail
