"""String similarity between a message's error lines and candidate signatures (rapidfuzz).

The fuzzy stage of matching: the costliest step of a match, so it runs only for the few candidates the
lexical stage picked.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.matching.index import FUZZY_CHARS, MatchIndex
from bot.matching.normalize import comparable
from bot.matching.weights import Selection, Weights


def signature_similarity(ix: MatchIndex, texts: list[str], candidates: list[int], w: Weights) -> dict[int, float]:
    """Per candidate entry: the best similarity in 0..1 of one of its signatures to one of `texts`."""
    sel = w.selection
    sig_ids = [s for c in candidates for s in ix.signatures_of[c]]
    if not texts or not sig_ids:
        return {}
    # Masking only what is compared keeps normalisation's cost bounded whatever the paste holds.
    texts = [t[: FUZZY_CHARS * 3] for t in texts]
    queries = [comparable(t)[:FUZZY_CHARS] for t in texts]
    masked = best_similarity(queries, [ix.signature_texts[s] for s in sig_ids], sel)
    # The masked form decides whether it is the same error; for the close ones, quoted names break
    # ties between errors of one shape (`"addmm" not implemented for 'Half'` against `... 'Float'`).
    close = [i for i, value in enumerate(masked) if value >= sel.close_signature]
    if close:
        named = best_similarity(
            [comparable(t, keep_names=True)[:FUZZY_CHARS] for t in texts],
            [ix.signature_named[sig_ids[i]] for i in close],
            sel,
        )
        # Where other entries' signatures share the masked form, the names are all that can tell them apart.
        shared = ix.signature_shared[[sig_ids[i] for i in close]]
        share = np.where(shared, w.scoring.shared_named_share, w.scoring.named_share)
        masked[close] = share * named + (1 - share) * masked[close]
    best: dict[int, float] = {}
    for s, value in zip(sig_ids, masked, strict=True):
        e = int(ix.signature_entry[s])
        best[e] = max(best.get(e, 0.0), float(value))
    return best


def best_similarity(queries: list[str], choices: list[str], sel: Selection) -> npt.NDArray[np.float64]:
    """Per choice: its best similarity to one of the queries (`similarity`, the maximum over its column).

    Each distinct string is compared once: signatures repeat once masked (20 of the 129 signatures that the
    benchmark's traceback is compared with) and error lines repeat once normalised. The value of a pair depends
    on its two strings alone, so the result is the same as comparing every pair."""
    distinct_queries = list(dict.fromkeys(queries))
    distinct_choices = list(dict.fromkeys(choices))
    best: npt.NDArray[np.float64] = similarity(distinct_queries, distinct_choices, sel).max(axis=0)
    if len(distinct_choices) == len(choices):
        return best
    column = {choice: n for n, choice in enumerate(distinct_choices)}
    return best[[column[choice] for choice in choices]]


def similarity(queries: list[str], choices: list[str], sel: Selection) -> npt.NDArray[np.float64]:
    """Query x choice similarity in 0..1: whole-string ratio, or a length-discounted partial ratio."""
    ratio = process.cdist(queries, choices, scorer=fuzz.ratio, workers=1, score_cutoff=sel.ratio_cutoff).astype(
        np.float64
    )
    qlen = np.array([len(q) for q in queries], dtype=np.float64)[:, None]
    clen = np.array([len(c) for c in choices], dtype=np.float64)[None, :]
    # partial_ratio finds a short text inside a long one; trust it in proportion to how much of the
    # longer text the shorter one is, so a three-word fragment does not match every long message.
    overlap = np.minimum(qlen, clen) / np.maximum(np.maximum(qlen, clen), 1.0)
    partial_weight = np.clip(overlap / sel.partial_overlap, 0.0, 1.0) ** 0.5 * sel.partial_ceiling
    partial = np.zeros_like(ratio)
    # Between texts of nearly equal length the partial score is the plain ratio again: it is only
    # worth its (much higher) cost where the lengths differ.
    for row, query in enumerate(queries):
        differ = np.flatnonzero(overlap[row] < sel.same_length)
        if differ.size:
            partial[row, differ] = process.cdist(
                [query],
                [choices[j] for j in differ],
                scorer=fuzz.partial_ratio,
                workers=1,
                score_cutoff=sel.partial_cutoff,
            )[0]
    result: npt.NDArray[np.float64] = np.maximum(ratio, partial * partial_weight) / 100.0
    return result
