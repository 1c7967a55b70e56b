"""String similarity between pasted error lines and signatures: comparing each distinct string once gives the
same numbers as comparing every pair."""

from __future__ import annotations

import numpy as np
import pytest

from bot.knowledge.model import Entry, Verification
from bot.matching.index import FUZZY_CHARS, build_index, shared_forms
from bot.matching.normalize import comparable
from bot.matching.similarity import best_similarity, signature_similarity, similarity
from bot.matching.weights import default_weights

W = default_weights()

QUERIES = [
    "runtimeerror cuda out of memory tried to allocate _num_ gib",
    "runtimeerror cuda out of memory tried to allocate _num_ gib",  # the same error line twice
    "valueerror too many values to unpack",
]
CHOICES = [
    "runtimeerror cuda out of memory tried to allocate _num_ gib gpu _num_ has a total capacity of _num_ gib",
    "cuda out of memory",
    "runtimeerror cuda out of memory tried to allocate _num_ gib gpu _num_ has a total capacity of _num_ gib",
    "valueerror not enough values to unpack expected _num_ got _num_",
    "cuda out of memory",
    "keyerror",
]


def test_each_distinct_string_compared_once_gives_every_pairs_best() -> None:
    every_pair = similarity(QUERIES, CHOICES, W.selection).max(axis=0)
    assert np.array_equal(best_similarity(QUERIES, CHOICES, W.selection), every_pair)


def test_without_repeats_the_best_is_the_column_maximum() -> None:
    distinct = list(dict.fromkeys(CHOICES))
    assert np.array_equal(
        best_similarity(QUERIES[1:], distinct, W.selection), similarity(QUERIES[1:], distinct, W.selection).max(axis=0)
    )


def _entry(entry_id: str, *signatures: str) -> Entry:
    return Entry(
        id=entry_id,
        title=signatures[0],
        domain="demo",
        category="runtime_error",
        verification=Verification.REPRODUCED,
        fix_rate=0.9,
        root_cause="A fixture.",
        signatures=signatures[1:],
    )


def _every_pair(texts: list[str], candidates: list[int]) -> dict[int, float]:
    """The per-entry similarity computed pair by pair, as the matcher did before repeats were skipped."""
    ix = INDEX
    sel = W.selection
    sig_ids = [s for c in candidates for s in ix.signatures_of[c]]
    texts = [t[: FUZZY_CHARS * 3] for t in texts]
    masked = similarity([comparable(t)[:FUZZY_CHARS] for t in texts], [ix.signature_texts[s] for s in sig_ids], sel)
    masked = masked.max(axis=0)
    close = [i for i, value in enumerate(masked) if value >= sel.close_signature]
    if close:
        named = similarity(
            [comparable(t, keep_names=True)[:FUZZY_CHARS] for t in texts],
            [ix.signature_named[sig_ids[i]] for i in close],
            sel,
        ).max(axis=0)
        shared = np.array([ix.signature_shared[sig_ids[i]] for i in close])
        share = np.where(shared, W.scoring.shared_named_share, W.scoring.named_share)
        masked[close] = share * named + (1 - share) * masked[close]
    best: dict[int, float] = {}
    for s, value in zip(sig_ids, masked, strict=True):
        e = int(ix.signature_entry[s])
        best[e] = max(best.get(e, 0.0), float(value))
    return best


# Signatures that are one string once numbers and quoted names are masked, within an entry and across entries.
INDEX = build_index(
    (
        _entry(
            "demo/oom",
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB",
            "RuntimeError: CUDA out of memory. Tried to allocate 512.00 MiB (GPU 0; 7.79 GiB total capacity)",
        ),
        _entry(
            "demo/oom-again",
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 8.00 GiB",
            "CUDA out of memory",
        ),
        _entry("demo/half", "RuntimeError: \"addmm_impl_cpu_\" not implemented for 'Half'"),
        _entry("demo/float", "RuntimeError: \"addmm_impl_cpu_\" not implemented for 'Float'"),
        _entry("demo/unpack", "ValueError: too many values to unpack (expected 2)"),
    )
)


@pytest.mark.parametrize(
    "texts",
    [
        ["torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.00 GiB"],
        ["RuntimeError: \"addmm_impl_cpu_\" not implemented for 'Half'", "RuntimeError: CUDA out of memory."],
        ["ValueError: too many values to unpack (expected 3)", "ValueError: too many values to unpack (expected 4)"],
    ],
)
def test_signature_similarity_is_the_same_as_comparing_every_pair(texts: list[str]) -> None:
    candidates = list(range(INDEX.size))
    assert len(set(INDEX.signature_texts)) < len(INDEX.signature_texts)  # the fixture repeats masked signatures
    assert signature_similarity(INDEX, texts, candidates, W) == _every_pair(texts, candidates)


def _pair_by_pair(queries: list[str], choices: list[str]) -> np.ndarray:
    """`similarity` as its docstring defines it, pair by pair."""
    from rapidfuzz import fuzz

    sel = W.selection
    out = np.zeros((len(queries), len(choices)))
    for r, q in enumerate(queries):
        for c, t in enumerate(choices):
            ratio = fuzz.ratio(q, t, score_cutoff=sel.ratio_cutoff)
            overlap = min(len(q), len(t)) / max(len(q), len(t), 1)
            weight = min(1.0, max(0.0, overlap / sel.partial_overlap)) ** 0.5 * sel.partial_ceiling
            partial = fuzz.partial_ratio(q, t, score_cutoff=sel.partial_cutoff) if overlap < sel.same_length else 0.0
            out[r, c] = max(ratio, partial * weight) / 100.0
    return out


def test_similarity_is_the_ratio_or_the_length_weighted_partial_score_whichever_is_higher() -> None:
    # Pairs where the ratio beats any weighted partial score (a near-copy of different length), pairs where only
    # the partial score counts (a short line inside a long one), and pairs of equal length (no partial score).
    queries = [*dict.fromkeys(QUERIES), "cuda out of memory", "x"]
    choices = [*CHOICES, "runtimeerror cuda out of memory tried to allocate _num_ gib gpu", "y" * 90]
    # cdist scores in float32: equal to the float64 computation to about 1e-7.
    assert np.allclose(similarity(queries, choices, W.selection), _pair_by_pair(queries, choices), rtol=0, atol=1e-6)


def test_a_masked_form_is_shared_when_another_entry_has_it_or_goes_on_from_it() -> None:
    forms = [
        "importerror cannot import name _q_",  # entry 0; entry 1's form goes on from it
        "importerror cannot import name _q_ from _q_",  # entry 1; entry 2 has it too
        "importerror cannot import name _q_ from _q_",  # entry 2
        "keyerror _q_",  # entry 3; entry 4's form only starts with the same letters
        "keyerror _q_s",  # entry 4
        "valueerror bad value",  # entry 5; its own second signature goes on from it
        "valueerror bad value for _q_",  # entry 5
    ]
    owners = [0, 1, 2, 3, 4, 5, 5]
    assert shared_forms(forms, owners).tolist() == [True, True, True, False, False, False, False]


def test_where_entries_share_a_masked_form_the_quoted_names_decide_more() -> None:
    # Masked, both read "importerror cannot import name _q_ from _q_": the same shape of error. A paste of that shape
    # naming neither entry's names is a near-miss for both, further off than it is while only one entry has the form.
    joblib = _entry("demo/joblib", "ImportError: cannot import name 'joblib' from 'sklearn.externals'")
    markupsafe = _entry("demo/markupsafe", "ImportError: cannot import name 'soft_unicode' from 'markupsafe'")
    unpack = _entry("demo/unpack", "ValueError: too many values to unpack (expected 2)")
    shared, alone = build_index((joblib, markupsafe, unpack)), build_index((joblib, unpack))
    assert shared.signature_shared.tolist() == [True, True, False]
    assert not alone.signature_shared.any()
    paste = ["ImportError: cannot import name 'Result' from 'app'"]
    assert signature_similarity(shared, paste, [0], W)[0] < signature_similarity(alone, paste, [0], W)[0] - 0.05
    own = ["ImportError: cannot import name 'joblib' from 'sklearn.externals'"]
    assert signature_similarity(shared, own, [0], W)[0] == pytest.approx(1.0)
