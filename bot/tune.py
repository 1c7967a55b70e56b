"""`knownfix tune`: fit the weights table on the labelled corpus, cross-validated, and calibrate.

1. Every corpus case is matched once, keeping the raw evidence of every candidate (`Matcher.assess`).
   The evidence does not depend on the weights, so refitting never matches again.
2. k folds, grouped by source (cases from one thread stay in one fold), seeded: on each training part a
   coordinate search adjusts the [scoring] weights for top-1 and MRR, then a logistic regression maps
   the best match's evidence to the chance it is right. The held-out part is scored with both.
3. The decision thresholds are read off the out-of-fold probabilities: the lowest passive threshold that
   keeps false and wrong unprompted replies at or under 1%, the lowest asked threshold that keeps the
   full answers 97% right, the band where answers are right 95% of the time.
4. Finally the same fit runs on the whole corpus and its values are written into the table, with the entries' track
   records (`bot/matching/records.py`) counted on it, which the calibration reads; within a fold they are counted
   on its training part, and a training case reads its entry's record without its own outcome.

The figures printed are the cross-validated ones, with the same names as ../shared/eval/score.py. The decisions
in them are held out too: each fold's cases meet thresholds read off the other folds' probabilities, as a new
message meets thresholds fitted without it (read off all the cases, as the table's are, a threshold is fitted
to the very replies it is then scored on).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.decisions_fit import (
    THRESHOLDS,
    Figures,
    Ranked,
    Reliability,
    calibration_error,
    figures,
    fit_decisions,
    held_out_thresholds,
)
from bot.engine import Engine
from bot.examples_fit import fit_examples as fit_example_models
from bot.knowledge.model import Entry
from bot.matching import examples
from bot.matching.calibration import feature_vector, is_exact, top_evidence
from bot.matching.evidence import Evidence, combine, ranking_features
from bot.matching.matcher import Assessment, passive_gate, score_rule
from bot.matching.records import RECORDS_FILE, TrackRecords
from bot.matching.records import count as count_records
from bot.matching.records import dump as dump_records
from bot.matching.talk import TALK_WORDS_FILE, TalkWords, dump_talk_words, talk_tokens
from bot.matching.text import features
from bot.matching.weights import (
    CALIBRATION_FEATURES,
    RANKING_FEATURES,
    WEIGHTS_FILE,
    Calibration,
    Scoring,
    Weights,
    write_values,
)
from bot.newton import minimise
from bot.ranking_fit import conditional_logit
from bot.talk_fit import auc, fit_talk_words, talk_logits, topic_words

CORPUS_DIR = Path(__file__).resolve().parent.parent / "evaluation" / "corpus"
SEED = 20261202
FOLDS = 5
L2 = 1.0  # ridge on the calibration's coefficients: 30 features against thousands of cases
# Relative steps the coordinate search tries for each weight, and how many passes it makes.
STEPS = (-0.4, -0.2, -0.1, 0.1, 0.2, 0.4)
PASSES = 2
# Weights the corpus cannot inform: imported packs are not in it, and a summary pasted below another entry's proven
# error is a handful of its cases (summary_yield only has to order the two). (How much the labelled examples weigh
# is not a [scoring] weight: `fit_ranking` fits it on cross-fitted similarities, which never saw the case they are
# read for.)
FIXED = frozenset({"pack_trust", "pack_exact_trust", "pack_prose_words", "summary_yield"})

FloatArray = npt.NDArray[np.float64]


class CorpusError(ValueError):
    """A corpus file or line that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    expected: str | None
    kind: str
    source: str


def load_corpus(directory: Path, known_ids: set[str]) -> tuple[list[Case], list[str]]:
    """Every case of every .jsonl file in `directory`; problems (unknown ids, bad lines) are reported."""
    cases: list[Case] = []
    problems: list[str] = []
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise CorpusError(f"no .jsonl files in {directory}")
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path.name}:{number}: not JSON ({exc.msg})")
                continue
            if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw.get("source"):
                problems.append(f"{path.name}:{number}: needs text and source")
                continue
            expected = raw.get("expected")
            if expected is not None and expected not in known_ids:
                problems.append(f"{path.name}:{number}: unknown entry {expected!r}")
                continue
            cases.append(Case(raw["text"], expected, str(raw.get("kind", "")), str(raw["source"])))
    return cases, problems


# -- measured once -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """The corpus matched once: every candidate's raw evidence, flattened, with the case it belongs to."""

    cases: list[Case]
    evidence: Evidence
    case_of: npt.NDArray[np.int64]  # row -> case
    tier: npt.NDArray[np.int64]  # row -> tier order (curated first)
    order: npt.NDArray[np.int64]  # row -> entry position in its tier (the tie-break)
    right: npt.NDArray[np.bool_]  # row -> this candidate is the case's expected entry
    assessments: list[Assessment]
    row_start: npt.NDArray[np.int64]  # case -> its first row


def example_likeness(
    m: Measured, model: examples.ExampleModel, which: Sequence[int], similarity: FloatArray, probability: FloatArray
) -> None:
    """Fill `similarity` and `probability` (one value per row) for the cases in `which`: each row's similarity to its
    entry's examples, and the discriminative model's probability for it, under `model`."""
    for c in which:
        a = m.assessments[c]
        likeness = examples.for_descriptions(model, a.report.is_error_report, a.features)
        if not likeness.similarity:
            continue
        start = int(m.row_start[c])
        similar, likely = examples.per_row(likeness, (e.id for e in a.entries), a.evidence.pack.tolist())
        similarity[start : start + len(similar)] = similar
        probability[start : start + len(likely)] = likely


def fit_examples(
    m: Measured, subset: npt.NDArray[np.int64], curated: Sequence[tuple[frozenset[str], str]] = ()
) -> examples.ExampleModel:
    """The centroids and the discriminative model on the labelled cases in `subset`. `curated`: each entry's own
    text as one more example, so an entry with few labelled messages still has a centroid that names what sets
    it apart (`docker`, `容器`), and one with many does not win by numbers."""
    labelled = [(m.assessments[i].features, m.cases[i].expected) for i in subset.tolist() if m.cases[i].expected]
    return fit_example_models([*labelled, *curated])


def curated_examples(entries: Sequence[Entry]) -> list[tuple[frozenset[str], str]]:
    """Each curated entry's own text, each piece an example of its own (as the matcher's features): its title,
    signatures and symptom phrasings, which describe the problem as a message does; its root cause, its
    workarounds' titles and the conditions they are for, and what its dead ends say people try, which are what
    a description tells of its setting ("inside docker", "only with num_workers > 0", "I reinstalled CUDA"). One
    example per entry of all its text together reads like no message at all. Corpus 5-fold CV on 11,192 cases,
    descriptions top-1 / top-3: 0.7752 / 0.907 all together, 0.7778 / 0.914 the phrasings apart, 0.7863 / 0.917
    with the root cause, workaround titles and conditions and dead ends' actions too (the dead ends' reasons
    added nothing: 0.7844 / 0.918)."""
    return [(features(text), e.id) for e in entries for text in _curated_texts(e)]


def _curated_texts(e: Entry) -> list[str]:
    return [
        e.title,
        *e.all_signatures,
        *e.symptoms,
        e.root_cause,
        *(w.title for w in e.workarounds),
        *(w.condition for w in e.workarounds if w.condition),
        *(d.action for d in e.dead_ends),
    ]


def measure(engine: Engine, cases: Sequence[Case]) -> Measured:
    parts: list[Evidence] = []
    case_of: list[npt.NDArray[np.int64]] = []
    tier: list[npt.NDArray[np.int64]] = []
    order: list[npt.NDArray[np.int64]] = []
    right: list[npt.NDArray[np.bool_]] = []
    assessments: list[Assessment] = []
    for n, case in enumerate(cases):
        a = engine.matcher.assess(case.text)
        assessments.append(a)
        rows = len(a.evidence)
        parts.append(a.evidence)
        case_of.append(np.full(rows, n, dtype=np.int64))
        tier.append(a.tier)
        order.append(a.position)
        right.append(np.array([e.id == case.expected for e in a.entries], dtype=np.bool_))
    return Measured(
        cases=list(cases),
        evidence=Evidence.concatenate(parts),
        case_of=np.concatenate(case_of),
        tier=np.concatenate(tier),
        order=np.concatenate(order),
        right=np.concatenate(right),
        assessments=assessments,
        row_start=np.cumsum([0] + [len(a.entries) for a in assessments[:-1]]).astype(np.int64),
    )


# -- ranking -----------------------------------------------------------------------------------------


def rank_all(
    m: Measured,
    w: Weights,
    talk: FloatArray | None = None,
    records: TrackRecords | None = None,
    own: npt.NDArray[np.bool_] | None = None,
) -> Ranked:
    """`talk`: per case, the word model's log-odds to use instead of the bundled model's (cross-validation
    fits the word model on each fold's training cases). `records`: the entries' track records the calibration
    reads (none: every record reads 0), counted on the cases `own` marks, whose own outcome is taken out of the
    record they read."""
    return _rank(m, w, talk, records, own)[0]


# What a case's ranking put first: (the entry, the case is a description, it is the right entry); None for no match.
Outcome = tuple[str, bool, bool] | None


def _rank(
    m: Measured,
    w: Weights,
    talk: FloatArray | None,
    records: TrackRecords | None,
    own: npt.NDArray[np.bool_] | None,
) -> tuple[Ranked, list[Outcome]]:
    scores = combine(m.evidence, w.scoring, w.selection, w.ranking, m.case_of)
    rank_key = scores.rank
    rows = np.lexsort((m.order, m.tier, -rank_key, m.case_of))  # by case, then best first
    n = len(m.cases)
    starts = np.searchsorted(m.case_of[rows], np.arange(n))
    ends = np.searchsorted(m.case_of[rows], np.arange(n), side="right")
    rank = np.zeros(n, dtype=np.int64)
    top_right = np.zeros(n, dtype=np.bool_)
    has = np.zeros(n, dtype=np.bool_)
    gate = np.zeros(n, dtype=np.bool_)
    exact = np.zeros(n, dtype=np.bool_)
    rule = np.zeros(n, dtype=np.bool_)
    feats = np.zeros((n, len(CALIBRATION_FEATURES)), dtype=np.float64)
    outcomes: list[Outcome] = [None] * n
    listed = scores.listed(w.decisions)
    exact_similarity = w.selection.exact_similarity
    for c in range(n):
        block = rows[starts[c] : ends[c]]
        block = block[listed[block]]
        if not block.size:
            continue
        has[c] = True
        hits = np.flatnonzero(m.right[block])
        rank[c] = int(hits[0]) + 1 if hits.size else 0
        top_right[c] = bool(m.right[block[0]])
        best = block[0]
        same_tier = block[m.tier[block] == m.tier[best]]
        a = m.assessments[c]
        entry, described = a.entries[int(best - m.row_start[c])].id, not a.report.is_error_report
        outcomes[c] = (entry, described, bool(top_right[c]))
        record = 0.0
        if records is not None:
            mine = bool(top_right[c]) if own is not None and own[c] else None
            record = records.lift(entry, described, w.records.prior_cases, mine)
        cues = a.cues if talk is None else replace(a.cues, words=float(talk[c]))
        top = top_evidence(a.report, cues, m.evidence, scores, int(best), same_tier[1:], exact_similarity, record)
        feats[c] = feature_vector(top)
        gate[c] = passive_gate(a.report, top, w)
        exact[c] = is_exact(top)
        rule[c] = gate[c] and score_rule(top, w)
    ranked = Ranked(rank=rank, top_right=top_right, features=feats, has_match=has, gate=gate, exact=exact, rule=rule)
    return ranked, outcomes


def track_records(outcomes: Sequence[Outcome], subset: npt.NDArray[np.int64]) -> TrackRecords:
    """The entries' track records on the cases in `subset`, as a ranking put them (`_rank`'s outcomes)."""
    return count_records(o for o in (outcomes[i] for i in subset.tolist()) if o is not None)


def ranking_objective(r: Ranked, labelled: npt.NDArray[np.bool_], subset: npt.NDArray[np.int64]) -> float:
    ranks = r.rank[subset][labelled[subset]]
    if not ranks.size:
        return 0.0
    top1 = float(np.mean(ranks == 1))
    mrr = float(np.mean(np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0)))
    return top1 + mrr


def fit_scoring(m: Measured, w: Weights, subset: npt.NDArray[np.int64]) -> Weights:
    """Coordinate search over the [scoring] weights, on the cases in `subset` only."""
    labelled = np.array([c.expected is not None for c in m.cases], dtype=np.bool_)
    best = ranking_objective(rank_all(m, w), labelled, subset)
    names = [f.name for f in fields(Scoring) if f.name not in FIXED]
    for _ in range(PASSES):
        improved = False
        for name in names:
            current = getattr(w.scoring, name)
            for step in STEPS:
                value = current * (1 + step) if current else step / 10
                trial = replace(w, scoring=replace(w.scoring, **{name: value}))
                got = ranking_objective(rank_all(m, trial), labelled, subset)
                if got > best + 1e-9:
                    best, w, improved = got, trial, True
                    current = value
        if not improved:
            break
    return w


def fit_ranking(m: Measured, w: Weights, subset: npt.NDArray[np.int64]) -> Weights:
    """The [ranking] weights, fitted on the labelled descriptions in `subset` whose right entry is among their
    candidates (`ranking_fit`), divided by the capped score's own weight: the ranking adds them to that score."""
    scores = combine(m.evidence, w.scoring, w.selection, w.ranking, m.case_of)
    capped = np.minimum(scores.score, 1.0)
    chosen = np.zeros(len(m.cases), dtype=np.bool_)
    chosen[subset] = True
    rows = chosen[m.case_of] & scores.described & scores.listed(w.decisions)
    has_right = np.zeros(len(m.cases), dtype=np.bool_)
    has_right[m.case_of[rows & m.right]] = True
    rows &= has_right[m.case_of]
    if not rows.any():
        return w
    features = np.column_stack([capped, ranking_features(m.evidence, w.ranking) * scores.trust[:, None]])[rows]
    _, group = np.unique(m.case_of[rows], return_inverse=True)
    coefficients = conditional_logit(features, group.astype(np.int64), m.right[rows])
    if coefficients[0] <= 0:  # the score itself no longer orders: nothing to add weights to (never seen)
        return w
    fitted = dict(zip(RANKING_FEATURES, (coefficients[1:] / coefficients[0]).tolist(), strict=True))
    return replace(w, ranking=replace(w.ranking, **fitted))


# -- the talk word model -------------------------------------------------------------------------------


def talk_labels(cases: Sequence[Case]) -> FloatArray:
    """1 for talk about an error (the corpus's chat), 0 for a report (answerable or not)."""
    return np.array([1.0 if c.kind == "chat" else 0.0 for c in cases])


# -- calibration ---------------------------------------------------------------------------------------


def fit_logistic(x: FloatArray, y: FloatArray, l2: float = L2) -> tuple[float, FloatArray]:
    """Ridge-penalised logistic regression by Newton's method (`bot/newton.py`; the intercept is not penalised)."""
    design = np.hstack([np.ones((x.shape[0], 1)), x])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0

    def objective(beta: FloatArray) -> tuple[float, FloatArray]:
        z = np.clip(design @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        # log(1 + e^z) - y z, the negative log-likelihood, written to stay finite at either end of the clip.
        loss = float(np.sum(np.logaddexp(0.0, z) - y * z)) + 0.5 * float(penalty @ (beta * beta))
        return loss, p

    def derivatives(beta: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        gradient = design.T @ (p - y) + penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        return gradient, hessian

    beta = minimise(objective, derivatives, np.zeros(design.shape[1]))
    return float(beta[0]), beta[1:]


def predict(intercept: float, coef: FloatArray, x: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(intercept + x @ coef, -30, 30)))
    return result


# -- the whole procedure -------------------------------------------------------------------------------


def folds(cases: Sequence[Case], k: int = FOLDS, seed: int = SEED) -> list[npt.NDArray[np.int64]]:
    """k folds of case indices; every case of one source lands in the same fold, and which fold depends on the
    source and the seed alone (`fold_of`), never on what else the corpus holds. Dealt from a shuffled list of all
    sources, as they were before, every file of new threads re-dealt every old case: the same 11,027 cases read
    0.881 and 0.876 top-1 out of fold before and after 165 were added, differences the size of what a change is
    measured by. Now an addition leaves each old case in its fold, and figures before and after compare case for
    case. A fold may come out empty when there are barely more sources than folds (a test's corpus): it is skipped
    like any empty part."""
    fold = np.array([fold_of(c.source, k, seed) for c in cases], dtype=np.int64)
    return [np.flatnonzero(fold == f).astype(np.int64) for f in range(k)]


def fold_of(source: str, k: int, seed: int) -> int:
    """The fold of a source's cases: a hash of the seed and the source, so stable across corpus versions and Python
    processes (`hash()` is salted per process)."""
    digest = hashlib.sha256(f"{seed}:{source}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % k


@dataclass(frozen=True)
class TuneResult:
    weights: Weights
    cross_validated: Figures
    reliability: Reliability
    problems: list[str]
    talk: TalkWords
    example_model: examples.ExampleModel
    records: TrackRecords


def _fit(
    m: Measured, w: Weights, subset: npt.NDArray[np.int64], scoring: bool, talk: FloatArray | None = None
) -> tuple[Weights, TrackRecords]:
    """The weights fitted on `subset`, and the entries' track records counted on it under them."""
    if scoring:
        w = fit_scoring(m, w, subset)
    w = fit_ranking(m, w, subset)
    records = track_records(_rank(m, w, talk, None, None)[1], subset)
    own = np.zeros(len(m.cases), dtype=np.bool_)
    own[subset] = True
    r = rank_all(m, w, talk, records, own)
    labelled = np.array([c.expected is not None for c in m.cases], dtype=np.bool_)
    y = (r.top_right & labelled).astype(np.float64, copy=False)
    keep = subset[r.has_match[subset]]
    intercept, coef = fit_logistic(r.features[keep], y[keep])
    return replace(w, calibration=Calibration(intercept, tuple(float(c) for c in coef))), records


def tune(
    engine: Engine, cases: list[Case], base: Weights, k: int = FOLDS, seed: int = SEED, scoring: bool = False
) -> TuneResult:
    """`scoring`: refit the [scoring] weights too (a coordinate search); otherwise only the talk word model, the
    calibration and its thresholds are fitted and the scoring weights stay as they are in the table."""
    m = measure(engine, cases)
    n = len(cases)
    tokens = [talk_tokens(a.report.prose) for a in m.assessments]
    is_talk = talk_labels(cases)
    topics = topic_words(engine.kb.entries)
    domain_of = {e.id: e.domain for e in engine.kb.entries}
    domains = [domain_of[c.expected] if c.expected else None for c in cases]
    curated = curated_examples(engine.indexes[0].entries if engine.indexes else ())
    oof = np.zeros(n)
    oof_talk = np.zeros(n)
    oof_rank = np.zeros(n, dtype=np.int64)
    oof_right = np.zeros(n, dtype=np.bool_)
    oof_has = np.zeros(n, dtype=np.bool_)
    oof_gate = np.zeros(n, dtype=np.bool_)
    oof_exact = np.zeros(n, dtype=np.bool_)
    oof_rule = np.zeros(n, dtype=np.bool_)
    oof_features = np.zeros((n, len(CALIBRATION_FEATURES)))
    measured = m
    fold_list = folds(cases, k, seed)
    for test in fold_list:
        train = np.setdiff1d(np.arange(n), test)
        m, talk = stacked(measured, tokens, is_talk, topics, domains, curated, train, test, k, seed)
        fitted, records = _fit(m, base, train, scoring, talk)
        r = rank_all(m, fitted, talk, records)
        c = fitted.calibration
        oof[test] = predict(c.intercept, np.array(c.coefficients), r.features[test])
        oof_talk[test] = talk[test]
        oof_rank[test], oof_right[test], oof_has[test] = r.rank[test], r.top_right[test], r.has_match[test]
        oof_gate[test], oof_features[test], oof_exact[test] = r.gate[test], r.features[test], r.exact[test]
        oof_rule[test] = r.rule[test]
    held_out = Ranked(oof_rank, oof_right, oof_features, oof_has, oof_gate, oof_exact, oof_rule)
    oof = np.where(oof_has, oof, 0.0)
    decisions = fit_decisions(cases, held_out, oof, base.decisions)
    per_case = held_out_thresholds(cases, held_out, oof, base.decisions, fold_list)
    cv = figures(cases, held_out, oof, decisions, auc(oof_talk, is_talk > 0), per_case)
    labelled = np.array([c.expected is not None for c in cases], dtype=np.bool_)
    _, reliability = calibration_error(oof[oof_has], (oof_right & labelled)[oof_has])
    everything = np.arange(n)
    m, talk = stacked(
        measured, tokens, is_talk, topics, domains, curated, everything, np.zeros(0, dtype=np.int64), k, seed
    )
    final, records = _fit(m, base, everything, scoring, talk)
    talk_model = fit_talk_words(tokens, is_talk, everything, topics, domains)
    example_model = fit_examples(measured, everything, curated)
    return TuneResult(replace(final, decisions=decisions), cv, reliability, [], talk_model, example_model, records)


def stacked(
    m: Measured,
    tokens: Sequence[frozenset[str]],
    is_talk: FloatArray,
    topics: frozenset[str],
    domains: Sequence[str | None],
    curated: Sequence[tuple[frozenset[str], str]],
    train: npt.NDArray[np.int64],
    test: npt.NDArray[np.int64],
    k: int,
    seed: int,
) -> tuple[Measured, FloatArray]:
    """The two fitted models' outputs - example similarity per row, talk log-odds per case - as the
    calibration may see them. The test cases get the models fitted on all of `train`; each training case
    gets models fitted on the other training folds (cross-fitting), because a model's output on the cases it
    was fitted on is surer than it will ever be on a new message, and a calibration fitted on such outputs
    trusts them too much. `domains`: per case, the domain of the entry it reports (see `general_words`)."""
    similarity = np.zeros(len(m.evidence))
    probability = np.zeros(len(m.evidence))
    talk = np.zeros(len(m.cases))
    inner = folds([m.cases[i] for i in train.tolist()], k, seed + 1)
    parts = [(train[np.setdiff1d(np.arange(train.size), part)], train[part]) for part in inner]
    for fit_on, apply_to in [*parts, (train, test)]:
        if not apply_to.size:
            continue
        example_likeness(m, fit_examples(m, fit_on, curated), apply_to.tolist(), similarity, probability)
        talk_model = fit_talk_words(tokens, is_talk, fit_on, topics, domains)
        talk[apply_to] = talk_logits(talk_model, [tokens[i] for i in apply_to.tolist()])  # the cases it never saw
    ev = replace(m.evidence, example_similarity=similarity, example_probability=probability)
    return replace(m, evidence=ev), talk


def write(
    result: TuneResult,
    path: Path = WEIGHTS_FILE,
    scoring: bool = False,
    talk_path: Path = TALK_WORDS_FILE,
    examples_path: Path = examples.EXAMPLES_FILE,
    records_path: Path = RECORDS_FILE,
) -> None:
    weights = result.weights
    dump_talk_words(result.talk, talk_path)
    examples.dump(result.example_model, examples_path)
    dump_records(result.records, records_path)
    if scoring:
        write_values(path, "scoring", {f.name: getattr(weights.scoring, f.name) for f in fields(Scoring)})
    write_values(path, "ranking", dict(zip(RANKING_FEATURES, weights.ranking.coefficients, strict=True)))
    cal = weights.calibration
    coefficients = dict(zip(CALIBRATION_FEATURES, cal.coefficients, strict=True))
    write_values(path, "calibration", {"intercept": cal.intercept, **coefficients})
    d = weights.decisions
    thresholds = {name: float(getattr(d, name)) for name in THRESHOLDS}
    write_values(path, "decisions", thresholds)


def report(result: TuneResult, cases: int) -> str:
    f = result.cross_validated
    d = result.weights.decisions
    lines = [
        f"corpus: {cases} cases ({f.labelled} labelled), {FOLDS}-fold cross-validation grouped by source, seed {SEED}"
        " (each fold's decisions with thresholds fitted on the other folds)",
        f"top1 {f.top1:.3f}  top3 {f.top3:.3f}  mrr {f.mrr:.3f}  symptom top1 {f.symptom_top1:.3f}",
        f"passive_recall {f.passive_recall:.3f}  passive_wrong {f.passive_wrong:.3f}  passive_fp {f.passive_fp:.3f}"
        "  (strict level)",
        f"passive_recall {f.normal_recall:.3f}  passive_wrong {f.normal_wrong:.3f}  passive_fp {f.normal_fp:.3f}"
        "  (normal level)",
        f"asked_precision {f.asked_precision:.3f}  asked_recall {f.asked_recall:.3f}  asked_fp {f.asked_fp:.3f}",
        f"calibration_error {f.calibration_error:.3f}",
        f"score rules (the default decisions): passive_recall {f.rule_recall:.3f}  passive_wrong {f.rule_wrong:.3f}"
        f"  passive_fp {f.rule_fp:.3f}",
        f"talk word model: chat told from reports with AUC {f.talk_auc:.3f}",
        f"thresholds: passive strict {d.passive:.3f} (crisp paste {d.passive_exact:.3f}), "
        f"normal {d.passive_normal:.3f} (crisp paste {d.passive_exact_normal:.3f})",
        f"            asked {d.asked:.3f}  high confidence from {d.band_high_probability:.3f}",
        "",
        "reliability (cross-validated): predicted probability against observed accuracy",
        "  bin        cases  predicted  observed",
    ]
    for name, count, predicted, observed in result.reliability:
        if count:
            lines.append(f"  {name:<9} {count:>6}  {predicted:>9.3f}  {observed:>8.3f}")
        else:
            lines.append(f"  {name:<9} {count:>6}          -         -")
    return "\n".join(lines) + "\n"
