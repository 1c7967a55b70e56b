"""The kinds of evidence that an entry is the one a message is about, and how they combine into a score.

The matcher measures raw evidence for each candidate entry once (`Evidence`, one array per kind,
one row per candidate); each function below turns one kind into a score in about 0..1 with the weights
of the table; `combine` takes the strongest as the entry's score and adds the small agreements. The
raw evidence does not depend on the weights, so `knownfix tune` measures it once per corpus case and
refits the weights without matching again. Everything is vectorised: one call scores all candidates
(or, in `tune`, every candidate of every case).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from bot.matching.weights import Decisions, Ranking, Scoring, Selection

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The kinds in the order ties between them are broken (see `combine`): the first of the strongest names the winner.
KINDS = ("signature", "words", "pattern", "symptom", "exception", "hint")
_ABSENT = -1.0  # a kind of evidence this candidate does not have
# Kinds closer than this are tied: the table's sums tie some exactly, and float rounding leaves them a few units
# in the last place apart (about 1e-16), far below any difference that evidence makes.
TIE = 1e-9


@dataclass(frozen=True)
class Evidence:
    """Raw evidence for a set of candidates, one row each."""

    signature_similarity: FloatArray  # best string similarity of an error line to a signature, 0..1
    signature_coverage: FloatArray  # weighted share of a signature's words present, best signature, 0..1
    symptom_coverage: FloatArray  # the same for the best symptom phrasing
    explained_share: FloatArray  # share of the message's known words the entry uses anywhere
    symptom_likeness: FloatArray  # closest symptom phrasing: shared words over the larger text's (descriptions only)
    pattern_strength: IntArray  # literal characters of the strongest pattern that matched, -1 for none
    pattern_counts_as_proof: BoolArray  # False where a pack pattern matched only prose (no error line)
    words_count_as_proof: BoolArray  # False where a pack's signature words were found only in prose (no error line)
    exact_signature: BoolArray  # a pasted line is one of a pack entry's signatures near word for word (packs only)
    exception_agrees: BoolArray  # the pasted exception type is the entry's
    exception_shared_by: IntArray  # how many entries of the tier share the entry's exception type
    # the paste names exceptions, the entry has one, none of its classes is pasted; or the paste names a status code
    # of an enum the entry's signatures name (`CUBLAS_STATUS_...`) and none of the entry's; or a pasted error line
    # quotes another name where the entry's signatures pin one (`pinned_names.py`: `module 'emoji'`, not `'numpy'`)
    exception_disagrees: BoolArray
    library_hint: BoolArray  # frames, imports or prose name one of the entry's libraries
    # the innermost frame runs in an installed package none of the entry's libraries names: a library raised the
    # error (often its own bug, fixed by a release) where the entry explains a mistake in the writer's code
    raised_elsewhere: BoolArray
    frame_hint: FloatArray  # a frame passes through a file the entry names, by how few entries name it (frames.py)
    symptom_entry: BoolArray  # the entry is a symptom (nothing to paste), not an error
    summary: BoolArray  # the entry's error only reports that a process it ran failed (`Entry.summary`)
    pack: BoolArray  # the entry comes from an imported pack (a knowledge directory after the first)
    example_similarity: FloatArray  # how alike the entry's labelled examples (bot/matching/examples.py), 0..1
    example_probability: FloatArray  # the examples' discriminative model's probability for the entry, 0..1
    # the message pasted no error (a description): ordered by the [ranking] weights, not by its score alone
    description: BoolArray
    # signature_coverage with a template's example names counted as the asker's
    # (`coverage.TierPhrasings.cover_templates`); None: the same as signature_coverage. The calibration reads it,
    # the ranking does not: ranked by it, the generic `No module named '{module}'` tied entries about one named
    # module (`'tensorflow.contrib'`) and won.
    filled_coverage: FloatArray | None = None

    def __len__(self) -> int:
        return int(self.signature_similarity.shape[0])

    @property
    def coverage_as_read(self) -> FloatArray:
        """The signature coverage the calibration reads (see `filled_coverage`)."""
        return self.signature_coverage if self.filled_coverage is None else self.filled_coverage

    @classmethod
    def empty(cls) -> Evidence:
        """No candidates: an empty array per kind, of the kind's type (read off the annotations, so a new kind
        needs nothing here)."""
        dtypes = {"FloatArray": np.float64, "IntArray": np.int64, "BoolArray": np.bool_}
        return cls(**{f.name: np.zeros(0, dtype=dtypes[str(f.type)]) for f in fields(cls) if str(f.type) in dtypes})

    @classmethod
    def concatenate(cls, parts: list[Evidence]) -> Evidence:
        columns = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in cls.__dataclass_fields__
            if name != "filled_coverage"
        }
        return cls(**columns, filled_coverage=np.concatenate([p.coverage_as_read for p in parts]))


def signature(ev: Evidence, w: Scoring) -> FloatArray:
    """The error line reads like one of the entry's signatures. Two messages can differ in one word that is
    the whole point ("not callable" against "not iterable"): the share of the signature's words present
    settles such near-misses."""
    return ev.signature_similarity * (1 - w.word_check + w.word_check * ev.signature_coverage)


def words(ev: Evidence, w: Scoring) -> FloatArray:
    """A signature's words are all there, in any order or spread over a message. A pack's short signatures of
    common words ("Already on 'main'") are covered by people talking about something else: found in prose
    alone they are a hint (`prose_words`), not this."""
    return np.where(ev.words_count_as_proof, ev.signature_coverage * w.words, _ABSENT)


def prose_words(ev: Evidence, w: Scoring) -> FloatArray:
    """A pack signature's words found in prose alone: a hint that ranks, never a verdict."""
    return np.where(ev.words_count_as_proof, _ABSENT, ev.signature_coverage * w.pack_prose_words)


def symptom(ev: Evidence, w: Scoring) -> FloatArray:
    """The message describes what one of the entry's symptoms describes. One phrasing covered says "this is
    how people put it"; the share of the message the entry explains says "this is what it is about". How alike
    the message and one phrasing are both ways tells the specific entry from the general one that explains the
    same words somewhere: "torch.cuda.is_available() is False in the docker image" is alike the container entry's
    phrasing with "docker" in it, less alike the general entry's shorter one. The matcher measures that likeness
    for descriptions only (0 for an error report)."""
    blended = w.phrasing_share * ev.symptom_coverage + (1 - w.phrasing_share) * ev.explained_share
    # Not capped at 1: capped, the many close phrasings of a short description all reached it and ranked only by
    # their labelled examples ("pip install stuck for hours" went to conda's solver).
    covered = blended + w.symptom_likeness * ev.symptom_likeness
    return covered * np.where(ev.symptom_entry, w.symptom_entry, w.symptom_error_entry)


def pattern_proof(ev: Evidence, w: Scoring, s: Selection) -> FloatArray:
    """An entry pattern that spells out the error matched: a longer literal is a more specific pattern."""
    proof = ev.pattern_counts_as_proof & (ev.pattern_strength >= s.strong_pattern)
    specific = np.minimum(1.0, np.maximum(ev.pattern_strength, 0) / s.specific_pattern)
    value = w.pattern_base + w.pattern_similarity * signature(ev, w) + w.pattern_specific * specific
    return np.where(proof, value, _ABSENT)


def pattern_hint(ev: Evidence, w: Scoring, s: Selection) -> FloatArray:
    """A loose pattern matched (`(eval.*mode|not found)` matches half a channel's chat): a hint only."""
    hit = ev.pattern_strength >= 0
    proof = ev.pattern_counts_as_proof & (ev.pattern_strength >= s.strong_pattern)
    strength = np.minimum(np.maximum(ev.pattern_strength, 0), s.strong_pattern) / s.strong_pattern
    return np.where(hit & ~proof, w.hint_base + w.hint_strength * strength, _ABSENT)


def exception_name(ev: Evidence, w: Scoring) -> FloatArray:
    """The pasted exception type is the entry's; it says more the fewer entries share it."""
    shared = np.maximum(ev.exception_shared_by, 1).astype(np.float64)
    return np.where(ev.exception_agrees, w.exception_only / np.sqrt(shared), _ABSENT)


@dataclass(frozen=True)
class Scores:
    score: FloatArray  # combined and trusted, before capping at 1.0 (two entries at the cap still count as tied)
    via: IntArray  # index into KINDS of the evidence that won
    # A description's [ranking] evidence, trusted: orders its candidates, never adds to how sure a score is; 0 and
    # False for an error report, which its score alone orders
    reorder: FloatArray
    described: BoolArray
    trust: FloatArray  # per row, how far its score is believed (`trust`); `score` already holds it

    def listed(self, d: Decisions) -> BoolArray:
        """Which rows are listed at all: a description's candidates from a lower score (`minimum_symptom_score`),
        since its [ranking] evidence reorders them; an error report's from `minimum_score`."""
        listed: BoolArray = self.score >= np.where(self.described, d.minimum_symptom_score, d.minimum_score)
        return listed

    @property
    def rank(self) -> FloatArray:
        """What entries are ordered by: an error report's by its score, a description's by its score capped at 1.0
        plus the [ranking] evidence (the weights are fitted against the capped score). A property, so a penalty
        applied to `score` (`matcher._fit_versions`) orders too."""
        key: FloatArray = np.where(self.described, np.minimum(self.score, 1.0) + self.reorder, self.score)
        return key

    @property
    def before_trust(self) -> FloatArray:
        """The evidence's own strength: a pack's lower trust orders it below curated entries, but the
        calibration (which never saw a pack) and the score rules judge how well the message matched. Divided
        back out of `score` (not kept from before the multiplication) so a version penalty applied to the
        trusted score (`matcher._fit_versions`) is seen here too, exactly as it always was."""
        untrusted: FloatArray = self.score / self.trust
        return untrusted


def ranking_features(ev: Evidence, r: Ranking) -> FloatArray:
    """Per row, the evidence the [ranking] weights multiply, in RANKING_FEATURES order."""
    return np.column_stack(
        [
            # The log-odds scale, 0 where the model says nothing (a pack's rows, which it never saw, stay at 0 and are
            # not lifted above a curated entry it finds unlikely): within a message, log(p + floor) less a constant.
            np.log1p(ev.example_probability / r.examples_floor),
            ev.symptom_coverage,
            ev.explained_share,
            ev.symptom_likeness,
            ev.symptom_entry.astype(np.float64),
            ev.library_hint.astype(np.float64),
        ]
    )


def combine(ev: Evidence, w: Scoring, s: Selection, r: Ranking, case_of: IntArray | None = None) -> Scores:
    """Each candidate's score: its strongest kind of evidence plus the agreements. `case_of`: the message each
    row belongs to, when the rows are several messages' (tune); otherwise they are one message's candidates.

    Kinds within `TIE` of the strongest are tied, and the first of them in KINDS names the winner (`via`, which
    the calibration and the score rules read): the pasted line against the signature's own text (in order, then
    its words in any order), then a pattern proof, a symptom, the exception name, a loose hint. The table ties
    kinds exactly: a fully specific pattern proof is pattern_base + pattern_specific (0.9, all of a signature's
    words) plus pattern_similarity times the signature evidence (1.0 at a perfect paste, the signature's own
    score). Before, the last bit of those float sums picked the winner, so a refitted weight could flip it.
    The signature kinds go first because a pattern proof that only equals them adds nothing they do not show
    (no closer string, or no pasted error line at all: 47 of the corpus's 54 words-pattern ties); naming the
    pattern there cost corpus CV strict passive recall 0.382 -> 0.357 and calibration error 0.013 -> 0.016.
    A pattern proof tied for the strongest still counts as proof against a disagreeing exception name."""
    # A message that is one of a pack entry's signatures word for word is that error pasted, not a description of
    # a problem: how people describe problems has no say in it, neither the labelled examples nor how alike a
    # curated symptom phrasing reads (both lifted curated neighbours over the deadends.dev canons' own error
    # lines, pasted alone).
    pasted = _per_case(ev.exact_signature, case_of, np.logical_or, False)
    if pasted.any():
        ev = replace(ev, symptom_likeness=np.where(pasted, 0.0, ev.symptom_likeness))
    hint = np.maximum(pattern_hint(ev, w, s), prose_words(ev, w))
    by_kind = {
        "pattern": pattern_proof(ev, w, s),
        "signature": signature(ev, w),
        "words": words(ev, w),
        "symptom": symptom(ev, w),
        "exception": exception_name(ev, w),
        "hint": hint,
    }
    kinds = np.vstack([by_kind[kind] for kind in KINDS])
    score = kinds.max(axis=0)
    via = np.argmax(kinds >= score - TIE, axis=0).astype(np.int64)  # the first of the tied kinds
    has_proof = by_kind["pattern"] > _ABSENT
    # Proof whether or not the tie named it: a perfect paste with a pattern proof is not judged below a near one.
    won_by_proof = has_proof & (by_kind["pattern"] >= score - TIE)
    score = np.where(ev.exception_agrees, score + w.exception_agrees, score)
    # A pattern proof names the error exactly; a different exception name beside it is a chained cause.
    score = np.where(ev.exception_disagrees & ~won_by_proof, score * w.exception_disagrees, score)
    score = np.where(ev.library_hint, score + w.library_hint, score)
    score = score + w.frame_hint * ev.frame_hint
    score = np.where(has_proof, score + w.pattern_bonus, score)
    score = np.where(_yields(ev, has_proof, s, case_of), score * w.summary_yield, score)
    trusted = trust(ev, w)
    score = np.maximum(score, 0.0) * trusted
    # A description's evidence reorders, the score decides how sure: a message that reads like an entry's examples
    # is about that entry more likely than about its neighbour, but people talking about a topic read like its
    # examples too. A message that holds one of a pack's signatures whole is that error pasted, though extraction
    # found no error line in it (no exception name: `UNAVAILABLE: DNS resolution failed for ...`): its score alone
    # orders it, as an error report's does. (A description is compared with a pack's signatures only to see whether
    # it holds one whole, so its signature similarity is 0 or at least partial_ceiling.)
    holds_signature = ev.description & (ev.signature_similarity >= s.partial_ceiling)
    described = ev.description & ~pasted & ~_per_case(holds_signature, case_of, np.logical_or, False)
    reorder = np.zeros_like(score)
    if described.any():  # an error report (most messages) is ordered by its score: no ranking evidence to build
        weights = np.array(r.coefficients)
        reorder = np.where(described, (ranking_features(ev, r) @ weights) * trusted, 0.0)
    return Scores(score=score, via=via, reorder=reorder, described=described, trust=trusted)


def _yields(ev: Evidence, has_proof: BoolArray, s: Selection, case_of: IntArray | None) -> BoolArray:
    """Per row: a summary entry (`Entry.summary`: torchrun's ChildFailedError, pip's subprocess-exited-with-error)
    in a message where another curated entry proves its own error, pasted word for word or spelt out by a pattern.
    The summary's answer is "find the failure above me"; the paste holds it, and that entry explains it.

    Another summary is no failure of its own (pip's build summary inside torchrun's), except to a summary that no
    pattern proves: a pattern proving one launcher's own form of a generic summary line (PyTorch's old launcher's
    command in `CalledProcessError: Command '[...]' returned non-zero exit status 1`) is the more specific answer."""
    pasted = (ev.signature_similarity >= s.exact_similarity) & (ev.signature_coverage >= s.exact_similarity)
    curated = ~ev.pack & ~ev.description
    direct = (pasted | has_proof) & ~ev.summary & curated
    proven_summary = has_proof & ev.summary & curated
    yields: BoolArray = ev.summary & (
        _per_case(direct, case_of, np.logical_or, False)
        | (~has_proof & _per_case(proven_summary, case_of, np.logical_or, False))
    )
    return yields


_Kind = TypeVar("_Kind", bound=np.generic)


def _per_case(
    values: npt.NDArray[_Kind], case_of: IntArray | None, reduce: np.ufunc, identity: object
) -> npt.NDArray[_Kind]:
    """Per row: `reduce` over its message's rows (np.logical_or: does any row have the flag; np.maximum: the largest
    value). `case_of`: the message each row belongs to, or None when all rows are one message's. `identity`:
    `reduce`'s value over no rows."""
    if case_of is None:
        whole: npt.NDArray[_Kind] = np.full(values.shape, reduce.reduce(values, initial=identity), dtype=values.dtype)
        return whole
    cases = np.full(int(case_of.max()) + 1 if case_of.size else 0, identity, dtype=values.dtype)
    reduce.at(cases, case_of, values)
    per_row: npt.NDArray[_Kind] = cases[case_of]
    return per_row


def trust(ev: Evidence, w: Scoring) -> FloatArray:
    """How far an entry's score is believed: fully for curated entries, `pack_trust` for an imported one, and
    more (`pack_exact_trust`) when the paste is one of its signatures word for word, which is evidence no
    looser curated match (an exception name alone, some of a signature's words) can outweigh."""
    pack = np.where(ev.exact_signature, w.pack_exact_trust, w.pack_trust)
    return np.where(ev.pack, pack, 1.0)
