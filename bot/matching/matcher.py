"""Rank knowledge entries for a message, say how likely the best one is right, and decide what to do.

Three steps, each in its own place:
1. `assess` extracts the error report (`extract.py`), works out once what every tier reads of the message
   (`tier.MessageFacts`), and has each knowledge tier measure raw evidence for a few candidate entries
   (`tier.Tier`: a lexical stage over every entry, `coverage.py`, picks the candidates; rapidfuzz and the
   entry patterns compare them with the error lines). The evidence kinds are defined in `evidence.py`.
2. `evidence.combine` turns the evidence into one score per candidate with the weights of the table
   (`weights.toml`), and the candidates are ranked.
3. `calibration.probability` turns the best match's evidence and the message's report-or-talk cues into
   the chance that it is right; the passive reply, the asked answer and the confidence band all follow
   from that probability and the table's thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from bot.environment import Environment, fits
from bot.knowledge.model import Entry
from bot.matching.calibration import WEAK_EVIDENCE, TopEvidence, is_exact, probability, sigmoid, top_evidence
from bot.matching.callees import pasted_callees
from bot.matching.evidence import KINDS, Evidence, Scores, combine
from bot.matching.examples import ExampleModel, default_examples, for_descriptions
from bot.matching.extract import ErrorReport, extract
from bot.matching.frames import frame_keys
from bot.matching.index import MatchIndex, status_codes
from bot.matching.pinned_names import pasted_names
from bot.matching.records import TrackRecords, default_records
from bot.matching.talk import TalkCues, TalkWords, default_talk_words, talk_cues
from bot.matching.text import features
from bot.matching.tier import MessageFacts, Tier
from bot.matching.weights import Decisions, Weights, default_weights


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Thresholds:
    """What a deployment may override; every other number is in the weights table."""

    reply: float | None = None  # passive mode's score threshold (None: the table's)
    reply_margin: float | None = None  # ... and margin over the runner-up (None: the table's)
    # Imported packs (every knowledge directory after the first) are mostly machine-written: by default
    # they answer /fix and /search but never speak up unprompted.
    packs_answer: bool = False
    # "calibrated": decide by the calibrated probability and the fitted thresholds; "score": the hand-set
    # score rules of the weights table.
    decisions: str = "score"
    # How sure passive mode must be: "strict" (fitted for at most 1% false unprompted replies) or "normal" (3%).
    passive_level: str = "normal"

    def __post_init__(self) -> None:
        if self.decisions not in DECISION_MODES:
            raise ValueError(f"decisions must be one of {', '.join(DECISION_MODES)}, not {self.decisions!r}")
        if self.passive_level not in PASSIVE_LEVELS:
            raise ValueError(f"passive level must be one of {', '.join(PASSIVE_LEVELS)}, not {self.passive_level!r}")


DECISION_MODES = ("calibrated", "score")
PASSIVE_LEVELS = ("strict", "normal")


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float
    confidence: Confidence
    via: str  # which evidence won: pattern, signature, words, symptom, exception, hint
    trust: float = 1.0  # below 1 for entries from knowledge packs loaded after the first directory
    probability: float = 0.0  # the calibrated chance this is the right entry (the best match's; 0 for others)


@dataclass(frozen=True)
class MatchResult:
    report: ErrorReport
    matches: tuple[Match, ...]
    reply: bool  # the passive-mode decision: answer unprompted
    answer: bool = False  # the asked-mode decision: show the full answer, not "no confident match"
    offer: bool = False  # with no full answer: name the closest entries as leads (worth it only for some reports)
    environment: Environment | None = None  # the versions the message pasted, when it was ranked with them

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def probability(self) -> float:
        return self.matches[0].probability if self.matches else 0.0


@dataclass(frozen=True)
class Assessment:
    """A message measured against the knowledge: raw evidence for every candidate, before any weighting."""

    report: ErrorReport
    cues: TalkCues
    evidence: Evidence  # one row per candidate, all tiers
    entries: tuple[Entry, ...]  # per row
    tier: npt.NDArray[np.int64]  # per row: the tier's position (curated first), breaks ties
    position: npt.NDArray[np.int64]  # per row: the entry's position in its tier, breaks the remaining ties
    features: frozenset[str] = frozenset()  # the message's word features (what the examples are compared on)


def _confidence(p: float, w: Weights) -> Confidence:
    """The band shown to people follows the calibrated probability in every mode: "high" is right at least 95%
    of the time in cross-validation, "medium" is where asked mode shows the full answer."""
    d = w.decisions
    return Confidence.HIGH if p >= d.band_high_probability else Confidence.MEDIUM if p >= d.asked else Confidence.LOW


class Matcher:
    def __init__(
        self,
        indexes: Sequence[MatchIndex],
        thresholds: Thresholds | None = None,
        weights: Weights | None = None,
        talk: TalkWords | None = None,
        examples: ExampleModel | None = None,
        records: TrackRecords | None = None,
    ) -> None:
        """`indexes`: one per knowledge tier, the curated tier first; each scores its own entries with its
        own word statistics, so loading a pack never changes how curated entries score. `talk`: the fitted
        report-or-talk word model, `examples` the entries' labelled examples, `records` their track records (the
        bundled ones by default)."""
        self.indexes = tuple(indexes)
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or default_weights()
        self.talk = talk or default_talk_words()
        self.examples = examples if examples is not None else default_examples()
        self.records = records if records is not None else default_records()
        # Per tier, what measuring a message against it reads that no message changes (phrasings, templates).
        self._tiers = tuple(Tier(ix, self.weights) for ix in self.indexes)
        # Classes entries are filed under that extraction would not read as exceptions (no Error/Exception/Warning
        # ending): a line opening with one is an error line (`ImproperlyConfigured: Requested setting ...`).
        self._known_classes = frozenset(
            name
            for ix in self.indexes
            for names in ix.exception_names
            for name in names
            if not name.endswith(("error", "exception", "warning"))
        )

    def assess(self, text: str) -> Assessment:
        limits = self.weights.limits
        report = extract(text, self._known_classes)
        error_text = "\n".join(line.detail for line in report.error_lines)
        last_errors = error_text[-limits.pattern_region_chars :]  # what quoted names and call errors are read in
        feats = features(error_text + "\n" + report.prose[: limits.prose_chars])
        region = (error_text or report.text)[-limits.pattern_region_chars :]
        # Entry patterns read the source a traceback showed above each error line too (`ErrorLine.shown_code`), and
        # the frame it was raised in (`ErrorLine.raised_in`).
        shown = "\n".join(
            "\n".join(part for part in (line.raised_in, line.shown_code, line.detail) if part)
            for line in report.error_lines
        )
        pattern_region = (shown or report.text)[-limits.pattern_region_chars :]
        facts = MessageFacts(
            report=report,
            features=feats,
            region=region,
            pattern_region=pattern_region,
            status_codes=status_codes(region),
            names=pasted_names(last_errors),
            callees=pasted_callees(last_errors),
            exceptions=frozenset(n.lower() for n in report.exceptions),
            examples=for_descriptions(self.examples, report.is_error_report, feats),
            frames=frame_keys(report.frames),
        )
        parts: list[Evidence] = []
        entries: list[Entry] = []
        tiers: list[int] = []
        positions: list[int] = []
        for n, tier in enumerate(self._tiers):
            if not tier.ix.size:
                continue
            ordered, evidence = tier.evidence(facts)
            parts.append(evidence)
            entries.extend(tier.ix.entries[c] for c in ordered)
            tiers.extend([n] * len(ordered))
            positions.extend(ordered)
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return Assessment(report, self._talk_cues(report), Evidence.empty(), (), empty, empty, feats)
        return Assessment(
            report=report,
            cues=self._talk_cues(report),
            evidence=Evidence.concatenate(parts),
            entries=tuple(entries),
            tier=np.asarray(tiers, dtype=np.int64),
            position=np.asarray(positions, dtype=np.int64),
            features=feats,
        )

    # -- ranking and decisions -----------------------------------------------------------------------

    def _talk_cues(self, report: ErrorReport) -> TalkCues:
        return talk_cues(report.prose, self.talk)

    def rank(self, text: str, top: int = 5, environment: Environment | None = None) -> MatchResult:
        return self.decide(self.assess(text), top, environment)

    def decide(self, a: Assessment, top: int = 5, environment: Environment | None = None) -> MatchResult:
        w = self.weights
        scores = _fit_versions(combine(a.evidence, w.scoring, w.selection, w.ranking), a.entries, environment, w)
        # Sorted before capping, so bonuses still order entries whose evidence alone reached 1.0.
        order = np.lexsort((a.position, a.tier, -scores.rank))
        order = order[scores.listed(w.decisions)[order]]
        if not order.size:
            return MatchResult(a.report, (), reply=False, answer=False, environment=environment)
        best = int(order[0])
        # The margin is taken within the best match's own tier: a pack entry about the same error as a
        # curated one is a duplicate, not a rival that makes the answer uncertain.
        same_tier = order[a.tier[order] == a.tier[best]]
        record = self.records.lift(a.entries[best].id, not a.report.is_error_report, w.records.prior_cases)
        evidence = top_evidence(
            a.report, a.cues, a.evidence, scores, best, same_tier[1:], w.selection.exact_similarity, record
        )
        p = round(probability(evidence, w.calibration), 4)
        calibrated = self.thresholds.decisions == "calibrated"
        matches = tuple(
            Match(
                entry=a.entries[r],
                score=round(min(1.0, float(scores.score[r])), 4),
                confidence=_confidence(p if r == best else 0.0, w),
                via=KINDS[int(scores.via[r])],
                trust=float(scores.trust[r]),  # pack_exact_trust for a pack signature pasted word for word
                probability=p if r == best else 0.0,
            )
            for r in order[:top].tolist()
        )
        d = w.decisions
        exact = is_exact(evidence)
        gate = self._gate(a.report, evidence)
        normal = bool(level_replies(gate, exact, p, d.passive_normal, d.passive_exact_normal))
        if calibrated:
            strict = bool(level_replies(gate, exact, p, d.passive, d.passive_exact))
            reply = strict if self.thresholds.passive_level == "strict" else normal
        else:
            reply = bool(rule_replies(gate and self._score_rule(evidence), p, normal, d))
        # Asked mode follows the probability in both modes: its threshold is fitted for 97% right full answers.
        answer = p >= w.decisions.asked
        # Leads instead of an answer: only for a problem report (the closest entries to "thanks!" are noise)
        # whose best match is likely enough that the right entry is often among the closest.
        offer = not answer and a.report.describes_problem and p >= w.decisions.candidates
        return MatchResult(a.report, matches, reply=reply, answer=answer, offer=offer, environment=environment)

    def _gate(self, report: ErrorReport, best: TopEvidence) -> bool:
        return passive_gate(report, best, self.weights, self.thresholds.packs_answer)

    def _score_rule(self, best: TopEvidence) -> bool:
        t = self.thresholds
        return score_rule(best, self.weights, t.reply, t.reply_margin)


def passive_gate(report: ErrorReport, best: TopEvidence, w: Weights, packs_answer: bool = False) -> bool:
    """Passive mode speaks only for a problem report, never on a pack entry unless allowed, and never on a
    name or a broad pattern alone (those rank, they do not answer)."""
    # describes_problem covers error reports too. A bare paste with no word of trouble (`too many indices for
    # array ...`) stays unanswered: the pre-filter clears such messages before matching, and telling them
    # from chat there would need the knowledge's rare words (see the issue notes).
    if not report.describes_problem:
        return False
    if best.pack and not packs_answer:
        return False
    return best.via not in WEAK_EVIDENCE


def bare_paste(best: TopEvidence, w: Weights) -> bool:
    """A short message that one of the entry's patterns proves, or that holds every word of one of its
    signatures, is a paste of that error even without an exception name to show it (`too many indices for
    array: array is 2-dimensional, but 3 were indexed`): extraction cannot know it for an error line, the
    match can."""
    if best.error_report or best.prose_words > w.decisions.bare_paste_words:
        return False  # an error line was found: the prose is the person's own words around it
    return best.via == "pattern" or (
        best.via in {"signature", "words"} and best.coverage >= w.selection.exact_similarity
    )


Flags = bool | npt.NDArray[np.bool_]  # one message's decision, or one per message (tune's figures)
Probabilities = float | npt.NDArray[np.float64]


def level_replies(
    gate: Flags,
    exact: Flags,
    p: Probabilities,
    threshold: float | Probabilities,
    exact_threshold: float | Probabilities,
) -> Flags:
    """A calibrated level's passive replies: past the gate, the probability reaches the level's threshold (a crisp
    paste has its own). Over one message or, elementwise, over many: `tune` measures with this same rule."""
    replies: Flags = gate & (p >= np.where(exact, exact_threshold, threshold))
    return replies


def rule_replies(rule: Flags, p: Probabilities, normal: Flags, d: Decisions) -> Flags:
    """The default decisions' passive replies. `rule`: the score rules' verdict, gate included. Beside them, what
    the calibrated normal level answers: a description the hand-set thresholds leave below reply_symptom is
    answered when the calibration is that sure of it (corpus CV, 6,398 cases: recall 0.700 -> 0.712, false replies
    0.0992 -> 0.1000; nearly every false reply of the normal level is one of the score rules' already)."""
    replies: Flags = (rule & (p >= d.rule_probability)) | normal
    return replies


def score_rule(best: TopEvidence, w: Weights, reply: float | None = None, margin: float | None = None) -> bool:
    """The score rules' passive decision, after the gate: an error report needs a high score and a margin, a
    description a clear lead, and neither speaks when the word model reads the prose as talk. `reply` and
    `margin`: a server's own settings, else the table's. A bare paste's words are the error itself, not talk."""
    d = w.decisions
    # A whole traceback is pasted by the person who ran the code; people answering quote its last line. The
    # corpus's chat holds tracebacks mostly in pull-request texts, which a help channel does not see.
    if sigmoid(best.cues.words) > d.talk_gate and not (best.traceback or bare_paste(best, w)):
        return False
    reply = d.reply if reply is None else reply
    margin = d.reply_margin if margin is None else margin
    if best.via == "pattern" or (best.error_report and best.via in {"signature", "words"}):
        return best.score >= reply and best.gap >= margin
    return best.score >= d.reply_symptom and best.gap / best.score >= d.reply_symptom_lead


def _fit_versions(scores: Scores, entries: Sequence[Entry], environment: Environment | None, w: Weights) -> Scores:
    """Lower the score of each entry whose `applies_to` excludes a version the asker pasted, so the entry for
    their version ranks first among near-equals (weights.toml, [environment])."""
    if environment is None or environment.empty:
        return scores
    outside = np.array([bool(e.applies_to) and fits(e.applies_to, environment) is False for e in entries])
    if not outside.any():
        return scores
    lowered = np.maximum(scores.score - w.environment.outside_range * outside, 0.0)
    return replace(scores, score=lowered)
