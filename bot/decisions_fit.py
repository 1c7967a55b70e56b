"""The decision thresholds `knownfix tune` fits, and the figures they give.

The passive thresholds (strict and normal, each with its own for crisp pastes), the asked threshold and where the
"high" band starts are read off probabilities the calibration gave cases it was not fitted on: the lowest threshold
that keeps its promise (at most 1% or 3% false and 1% wrong unprompted replies; 97% right full answers and at most
10% full pages for messages that need none; 95% right in the high band). The figures are those of
../shared/eval/score.py, with each case meeting thresholds read off the other folds when `held_out_thresholds` gives
them.

Tuning time only: the bot reads the thresholds from the table and needs nothing of this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.matching.matcher import level_replies, rule_replies
from bot.matching.weights import Decisions

FloatArray = npt.NDArray[np.float64]

# What the decisions promise (the targets): the thresholds are fitted to keep these.
PASSIVE_FALSE_MAX = 0.01
PASSIVE_FALSE_MAX_NORMAL = 0.03
HIGH_ACCURACY = 0.95
PASSIVE_WRONG_MAX = 0.01
ASKED_PRECISION_MIN = 0.97
ASKED_FALSE_MAX = 0.10


class Labelled(Protocol):
    """What the decisions read of a corpus case (`tune.Case`): its label and kind."""

    @property
    def expected(self) -> str | None: ...

    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class Ranked:
    """Per case: the rank of the expected entry (0 when absent) and what the calibration reads."""

    rank: npt.NDArray[np.int64]
    top_right: npt.NDArray[np.bool_]
    features: FloatArray  # one row of calibration features per case
    has_match: npt.NDArray[np.bool_]
    gate: npt.NDArray[np.bool_]  # passive mode may speak at all (see `matcher.passive_gate`)
    exact: npt.NDArray[np.bool_]  # a crisp paste: its own passive threshold
    rule: npt.NDArray[np.bool_]  # the score rules' passive reply (the default decisions), gate included


# -- figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    cases: int
    labelled: int
    top1: float
    top3: float
    mrr: float
    symptom_top1: float
    passive_recall: float
    passive_wrong: float
    passive_fp: float
    normal_recall: float  # the same three at the normal passive level
    normal_wrong: float
    normal_fp: float
    asked_precision: float
    asked_recall: float
    asked_fp: float
    calibration_error: float
    rule_recall: float  # the score rules' passive replies (the default decisions)
    rule_wrong: float
    rule_fp: float
    talk_auc: float  # the word model telling the corpus's chat from its reports, held out


def _share(mask: npt.NDArray[np.bool_], of: npt.NDArray[np.bool_]) -> float:
    return float(np.sum(mask & of)) / max(1, int(np.sum(of)))


# The thresholds `fit_decisions` fits, which the figures apply.
THRESHOLDS = ("passive", "passive_exact", "passive_normal", "passive_exact_normal", "asked", "band_high_probability")
PerCase = dict[str, FloatArray]  # threshold name -> its value for each case


def figures(
    cases: Sequence[Labelled],
    r: Ranked,
    prob: FloatArray,
    d: Decisions,
    talk_auc: float = math.nan,
    per_case: PerCase | None = None,
) -> Figures:
    """`per_case`: each case's thresholds (`held_out_thresholds`) instead of `d`'s."""
    labelled = np.array([c.expected is not None for c in cases], dtype=np.bool_)
    symptom = np.array([c.kind == "symptom" for c in cases], dtype=np.bool_) & labelled

    def threshold(name: str) -> float | FloatArray:
        return per_case[name] if per_case is not None else float(getattr(d, name))

    reply = passive_replies(r, prob, threshold("passive"), threshold("passive_exact"))
    normal = passive_replies(r, prob, threshold("passive_normal"), threshold("passive_exact_normal"))
    answer = r.has_match & (prob >= threshold("asked"))
    right = r.top_right & labelled
    answered_labelled = answer & labelled
    rule = np.asarray(rule_replies(r.rule, prob, normal, d), dtype=np.bool_)
    return Figures(
        cases=len(cases),
        labelled=int(labelled.sum()),
        top1=_share(r.rank == 1, labelled),
        top3=_share((r.rank >= 1) & (r.rank <= 3), labelled),
        mrr=float(np.sum(np.where(r.rank > 0, 1.0 / np.maximum(r.rank, 1), 0.0)[labelled])) / max(1, labelled.sum()),
        symptom_top1=_share(r.rank == 1, symptom),
        passive_recall=_share(reply & right, labelled),
        passive_wrong=_share(reply & ~right, labelled),
        passive_fp=_share(reply, ~labelled),
        normal_recall=_share(normal & right, labelled),
        normal_wrong=_share(normal & ~right, labelled),
        normal_fp=_share(normal, ~labelled),
        asked_precision=_share(right, answered_labelled),
        asked_recall=_share(answer & right, labelled),
        asked_fp=_share(answer, ~labelled),
        calibration_error=calibration_error(prob, right)[0],
        rule_recall=_share(rule & right, labelled),
        rule_wrong=_share(rule & ~right, labelled),
        rule_fp=_share(rule, ~labelled),
        talk_auc=talk_auc,
    )


Reliability = list[tuple[str, int, float, float]]  # bin, cases, mean predicted, observed accuracy


def calibration_error(prob: FloatArray, right: npt.NDArray[np.bool_]) -> tuple[float, Reliability]:
    """Expected calibration error over tenths, and the reliability table (bin, cases, predicted, observed)."""
    table: Reliability = []
    total = 0.0
    bins = np.minimum((prob * 10).astype(np.int64), 9)
    for b in range(10):
        inside = bins == b
        count = int(inside.sum())
        if not count:
            table.append((f"{b / 10:.1f}-{(b + 1) / 10:.1f}", 0, math.nan, math.nan))
            continue
        predicted = float(prob[inside].mean())
        observed = float(right[inside].mean())
        total += count * abs(predicted - observed)
        table.append((f"{b / 10:.1f}-{(b + 1) / 10:.1f}", count, predicted, observed))
    return total / max(1, len(prob)), table


# -- thresholds ----------------------------------------------------------------------------------------


def _lowest(candidates: FloatArray, ok: object) -> float:
    for t in np.sort(np.unique(candidates)):
        if ok(float(t)):  # type: ignore[operator]
            return float(t)
    return 1.0


def passive_replies(
    r: Ranked, prob: FloatArray, passive: float | FloatArray, passive_exact: float | FloatArray
) -> npt.NDArray[np.bool_]:
    replies: npt.NDArray[np.bool_] = r.has_match & np.asarray(
        level_replies(r.gate, r.exact, prob, passive, passive_exact), dtype=np.bool_
    )
    return replies


def _fit_passive(
    r: Ranked,
    prob: FloatArray,
    labelled: npt.NDArray[np.bool_],
    right: npt.NDArray[np.bool_],
    false_max: float = PASSIVE_FALSE_MAX,
) -> tuple[float, float]:
    """The pair of passive thresholds (other messages, crisp pastes) with the most right replies while false
    and wrong replies stay within their budgets; with no such pair, the surest one (both at 1.0)."""
    grid = np.unique(np.round(np.concatenate([np.quantile(prob[r.has_match], np.linspace(0, 1, 41)), [1.0]]), 4))
    best = (-1.0, 1.0, 1.0)
    for t in grid:
        for te in grid:
            reply = passive_replies(r, prob, float(t), float(te))
            if _share(reply, ~labelled) > false_max or _share(reply & ~right, labelled) > PASSIVE_WRONG_MAX:
                continue
            recall = _share(reply & right, labelled)
            if recall > best[0]:
                best = (recall, float(t), float(te))
    return best[1], best[2]


def fit_decisions(cases: Sequence[Labelled], r: Ranked, prob: FloatArray, d: Decisions) -> Decisions:
    labelled = np.array([c.expected is not None for c in cases], dtype=np.bool_)
    right = r.top_right & labelled
    grid = np.round(np.concatenate([prob[r.has_match], [0.5, 1.0]]), 4)

    passive, passive_exact = _fit_passive(r, prob, labelled, right)

    def asked_ok(t: float) -> bool:
        answer = r.has_match & (prob >= t)
        return _share(right, answer & labelled) >= ASKED_PRECISION_MIN and _share(answer, ~labelled) <= ASKED_FALSE_MAX

    passive_normal, passive_exact_normal = _fit_passive(r, prob, labelled, right, PASSIVE_FALSE_MAX_NORMAL)

    def high_ok(t: float) -> bool:
        shown = r.has_match & (prob >= t)
        return bool(shown.any()) and float(right[shown].mean()) >= HIGH_ACCURACY

    return replace(
        d,
        passive=passive,
        passive_exact=passive_exact,
        passive_normal=passive_normal,
        passive_exact_normal=passive_exact_normal,
        asked=_lowest(grid, asked_ok),
        band_high_probability=_lowest(grid, high_ok),
    )


def held_out_thresholds(
    cases: Sequence[Labelled], r: Ranked, prob: FloatArray, d: Decisions, fold_list: Sequence[npt.NDArray[np.int64]]
) -> PerCase:
    """Per case, the thresholds `fit_decisions` reads off the other folds' cases."""
    n = len(cases)
    per_case = {name: np.zeros(n) for name in THRESHOLDS}
    for test in fold_list:
        train = np.setdiff1d(np.arange(n), test)
        part = Ranked(*(getattr(r, f.name)[train] for f in fields(Ranked)))
        fitted = fit_decisions([cases[i] for i in train.tolist()], part, prob[train], d)
        for name in THRESHOLDS:
            per_case[name][test] = float(getattr(fitted, name))
    return per_case
