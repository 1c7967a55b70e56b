"""From a ranking to a probability: the calibrated chance that the best match is the right entry.

The combined score ranks entries well but is not a probability: a 0.8 from a pattern proof and a 0.8
from loose symptom words are right at very different rates, and the same match is worth nothing when
the message is a helper explaining the error to someone else. A logistic regression over the best
match's evidence, the margin to the runner-up and the message's report-or-talk cues turns them into
one number that means what it says: of matches given 0.9, about nine in ten are right. Its
coefficients are fitted by `knownfix tune` (cross-validated) and live in the weights table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.matching.evidence import KINDS, Evidence, Scores
from bot.matching.extract import ErrorReport
from bot.matching.talk import TalkCues
from bot.matching.weights import CALIBRATION_FEATURES, DESCRIPTION_TERMS, TALK_CUES, Calibration

PROSE_SAMPLE = 8_000  # characters of prose counted for its length

# Evidence kinds that rank but say little on their own.
WEAK_EVIDENCE = frozenset({"exception", "hint"})


@dataclass(frozen=True, slots=True)
class TopEvidence:
    """What the calibration reads about one ranking: the best match and the message around it."""

    score: float  # the best match's combined score, before capping at 1.0
    gap: float  # best minus runner-up, both before capping
    similarity: float  # the best match's signature similarity to the pasted error lines, 0..1
    coverage: float  # the share of the best match's closest signature's words present, 0..1
    via: str  # the evidence that won for the best match
    pack: bool  # the best match comes from an imported pack
    error_report: bool
    traceback: bool
    prose_words: int
    exact: bool  # a crisp paste (see `crisp`)
    problem_cues: bool
    cues: TalkCues
    examples: float = 0.0  # the best match's similarity to its entry's labelled examples, 0..1
    examples_lead: float = 0.0  # that similarity less the closest rival's (its tier's other candidates), -1..1
    explained: float = 0.0  # the share of the message's known words the best match's entry uses anywhere, 0..1
    record: float = 0.0  # the best match's entry's track record, log-odds against the average entry's (records.py)
    raised_elsewhere: bool = False  # an installed package the best match's entry does not name raised the error


def crisp(error_report: bool, similarity: float, coverage: float, threshold: float) -> bool:
    """A crisp paste: an error line that reads like one of the entry's signatures, near enough word for word
    (`threshold` is the table's exact_similarity)."""
    return error_report and similarity >= threshold and coverage >= threshold


def top_evidence(
    report: ErrorReport,
    cues: TalkCues,
    ev: Evidence,
    scores: Scores,
    best: int,
    rivals: npt.NDArray[np.int64],
    exact_similarity: float,
    record: float = 0.0,
) -> TopEvidence:
    """What the calibration reads about a ranking whose best candidate is row `best` of `ev` and `scores`, and whose
    other candidates of its tier are the rows `rivals`, best first (the first is the runner-up the margin is taken
    from): the matcher builds it for each message, `knownfix tune` for each corpus case. `record`: the best match's
    entry's track record (`TrackRecords.lift`), read by the caller, which knows the entry."""
    runner_up = float(scores.rank[rivals[0]]) if rivals.size else 0.0
    similarity = float(ev.signature_similarity[best])
    coverage = float(ev.coverage_as_read[best])
    examples = float(ev.example_similarity[best])
    closest_rival = float(ev.example_similarity[rivals].max()) if rivals.size else 0.0
    return TopEvidence(
        score=float(scores.before_trust[best]),
        gap=float(scores.rank[best]) - runner_up,
        via=KINDS[int(scores.via[best])],
        pack=bool(ev.pack[best]),
        similarity=similarity,
        coverage=coverage,
        error_report=report.is_error_report,
        traceback=report.has_traceback,
        prose_words=prose_words(report.prose),
        exact=crisp(report.is_error_report, similarity, coverage, exact_similarity),
        problem_cues=report.describes_problem,
        cues=cues,
        examples=examples,
        examples_lead=examples - closest_rival,
        explained=float(ev.explained_share[best]),
        record=record,
        raised_elsewhere=bool(ev.raised_elsewhere[best]),
    )


def is_exact(top: TopEvidence) -> bool:
    return top.exact


def feature_vector(top: TopEvidence) -> tuple[float, ...]:
    values = {
        "score": min(top.score, 1.2),
        "gap": min(top.gap, 1.0),
        "similarity": top.similarity,
        "coverage": top.coverage,
        "exact": float(is_exact(top)),
        "via_pattern": float(top.via == "pattern"),
        "via_signature": float(top.via == "signature"),
        "via_words": float(top.via == "words"),
        "via_symptom": float(top.via == "symptom"),
        "via_weak": float(top.via in WEAK_EVIDENCE),
        "error_report": float(top.error_report),
        "traceback": float(top.traceback),
        "prose_length": math.log1p(top.prose_words),
        "problem_cues": float(top.problem_cues),
        "first_person": float(top.cues.first_person),
        "advice": float(top.cues.advice),
        "explanation": float(top.cues.explanation),
        "concept": float(top.cues.concept),
        "thanks": float(top.cues.thanks),
        "resolved": float(top.cues.resolved),
        "talk_words": top.cues.words,
        "examples": top.examples,
        "examples_lead": top.examples_lead,
        "explained": top.explained,
        "pack": float(top.pack),
        "record": top.record,
        "raised_elsewhere": float(top.raised_elsewhere),
    }
    # Talk that quotes an error matches it as well as a report of it does: the stronger the match, the more a
    # cue of talk must take away, which a cue's constant log-odds cannot do (corpus CV, 6,057 cases: strict
    # recall 0.305 -> 0.345 at the same false replies, calibration error 0.016 -> 0.013).
    for cue in TALK_CUES:
        values[f"{cue}_by_score"] = values[cue] * values["score"]
    described = 1.0 - values["error_report"]
    for name in DESCRIPTION_TERMS:
        values[f"description_by_{name}"] = described * values[name]
    return tuple(values[name] for name in CALIBRATION_FEATURES)


def prose_words(prose: str) -> int:
    """Words written around the error (capped: past a few hundred, more says nothing new)."""
    return min(len(prose[:PROSE_SAMPLE].split()), 1000)


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def probability(top: TopEvidence, calibration: Calibration) -> float:
    z = calibration.intercept + sum(c * x for c, x in zip(calibration.coefficients, feature_vector(top), strict=True))
    return sigmoid(z)
