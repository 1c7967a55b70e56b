"""Rank knowledge entries for a message, say how likely the best one is right, and decide what to do.

Three steps, each in its own place:
1. `assess` measures raw evidence for a few candidate entries per knowledge tier. A lexical stage scores
   every entry at once from the index's postings (how much of each signature or symptom phrasing the
   message covers, weighted by how rare each word is) and picks the candidates; for those, rapidfuzz
   compares the message's normalised error lines with their signatures and their patterns are searched
   with a time bound. The evidence kinds are defined in `evidence.py`.
2. `evidence.combine` turns the evidence into one score per candidate with the weights of the table
   (`weights.toml`), and the candidates are ranked.
3. `calibration.probability` turns the best match's evidence and the message's report-or-talk cues into
   the chance that it is right; the passive reply, the asked answer and the confidence band all follow
   from that probability and the table's thresholds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import regex

from bot.environment import Environment, fits
from bot.knowledge.model import Entry, EntryKind
from bot.knowledge.patterns import SEARCH_TIMEOUT_S, compile_pattern, required_literal, search_bounded
from bot.knowledge.placeholders import captured
from bot.matching.calibration import WEAK_EVIDENCE, TopEvidence, is_exact, probability, sigmoid, top_evidence
from bot.matching.evidence import KINDS, Evidence, Scores, combine
from bot.matching.examples import ExampleModel, Likeness, default_examples, for_descriptions, per_row
from bot.matching.extract import ErrorReport, extract
from bot.matching.frames import frame_evidence, frame_keys
from bot.matching.index import SIGNATURE, SYMPTOM, MatchIndex, codes_disagree, status_codes
from bot.matching.pinned_names import Pinned, names_disagree, pasted_names
from bot.matching.similarity import signature_similarity
from bot.matching.talk import TalkCues, TalkWords, default_talk_words, talk_cues
from bot.matching.text import features
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


@dataclass(frozen=True)
class _MessageFacts:
    """What every tier's evidence reads of one message, worked out once per message (`Matcher.assess`)."""

    report: ErrorReport
    features: frozenset[str]  # the word features of the error lines and the start of the prose
    region: str  # what status codes and template names are read in: the error lines, or the text's end without any
    pattern_region: str  # what entry patterns are read in: `region` with the source shown above each error line
    status_codes: frozenset[tuple[str, str]]  # the (family, code) pairs pasted in `region` (`index.status_codes`)
    names: Pinned  # the quoted names of the pasted error lines, by the words before each (`pinned_names.py`)
    exceptions: frozenset[str]  # the pasted exception classes, lower-cased
    examples: Likeness  # how the message reads against each entry's labelled examples (descriptions only)
    frames: tuple[str, ...]  # the paste's frames as `frames.frame_evidence` reads them


@dataclass(frozen=True)
class _Template:
    """A signature whose placeholders take the asker's names, with its example names cut out (`_templates`)."""

    entry: int  # in its tier
    placeholders: Mapping[str, str]  # the entry's: name -> pattern with a group of that name
    ids: npt.NDArray[np.int64]  # the tier's ids of the features left once the example names are cut out
    weights: npt.NDArray[np.float64]  # their weights, in the same order
    filled_weight: float  # the whole signature's summed feature weight: filled in, it has as many words as this


def _templates(ix: MatchIndex) -> tuple[_Template, ...]:
    """The tier's template signatures, cut once: they depend on the entries and the tier's word weights alone."""
    found: list[_Template] = []
    for c, entry in enumerate(ix.entries):
        if not entry.placeholders:
            continue
        placeholders = dict(entry.placeholders)
        for signature in entry.all_signatures:
            template = signature
            for name, pattern in placeholders.items():
                example = regex.search(pattern, template, timeout=SEARCH_TIMEOUT_S)
                if example is not None and example.group(name):
                    template = template[: example.start(name)] + " " + template[example.end(name) :]
            if template == signature:
                continue  # no example name in this one: its coverage is counted as it is
            ids = ix.feature_ids(features(template))
            weights = ix.feature_weights[ids]
            if float(weights.sum()) <= 0:
                continue
            filled_weight = float(ix.feature_weights[ix.feature_ids(features(signature))].sum())
            found.append(_Template(c, placeholders, ids, weights, filled_weight))
    return tuple(found)


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
    ) -> None:
        """`indexes`: one per knowledge tier, the curated tier first; each scores its own entries with its
        own word statistics, so loading a pack never changes how curated entries score. `talk`: the fitted
        report-or-talk word model, `examples` the entries' labelled examples (the bundled ones by default)."""
        self.indexes = tuple(indexes)
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or default_weights()
        self.talk = talk or default_talk_words()
        self.examples = examples if examples is not None else default_examples()
        # Per tier, the signatures that are templates: placeholders take the asker's names from the paste.
        self._templates = {id(ix): _templates(ix) for ix in self.indexes}
        # Classes entries are filed under that extraction would not read as exceptions (no Error/Exception/Warning
        # ending): a line opening with one is an error line (`ImproperlyConfigured: Requested setting ...`).
        self._known_classes = frozenset(
            name
            for ix in self.indexes
            for names in ix.exception_names
            for name in names
            if not name.endswith(("error", "exception", "warning"))
        )
        # Per tier, each kind of phrasing grouped by entry: the best phrasing per entry is then one reduction.
        self._runs = {id(ix): (_PhrasingRuns.of(ix, SIGNATURE), _PhrasingRuns.of(ix, SYMPTOM)) for ix in self.indexes}

    # -- lexical stage -------------------------------------------------------------------------------

    def _coverage(self, ix: MatchIndex, ids: npt.NDArray[np.int64], description: bool) -> Coverage:
        """Per entry: the best coverage of one of its signatures and of one of its symptoms, how much of the
        message the entry explains, and for a `description` (no error line) how alike the message and the entry's
        closest symptom phrasing are (0 for an error report: it is about its error line, and an error entry's
        phrasing alike a whole traceback's prose outranked the signature that names the error)."""
        used, known = ix.entry_weights(ids)
        acc = ix.phrasing_weights(ids)
        with np.errstate(invalid="ignore", divide="ignore"):
            whole = np.where(ix.phrasing_total > 0, acc / ix.phrasing_total, 0.0)
        # A phrasing of two common words is covered by almost anything; its coverage counts for less.
        cov = whole * np.minimum(1.0, ix.phrasing_total / self.weights.selection.short_phrasing_words) ** 0.5
        signatures, symptoms = self._runs[id(ix)]
        if description:
            # Alike both ways: the shared words over the larger of the two texts (weighted), so a phrasing is not
            # alike a message that says much more, nor the message alike a phrasing that says much more. A share
            # of the message alone read a message of few words the tier knows as all said by any phrasing holding
            # one.
            likeness = symptoms.best(acc / np.maximum(np.maximum(ix.phrasing_total, known), _NO_WEIGHT))
        else:
            likeness = np.zeros(ix.size, dtype=np.float64)
        return Coverage(
            signature=signatures.best(cov),
            symptom=symptoms.best(cov),
            signature_words=signatures.best(whole),
            symptom_likeness=likeness,
            explained=used / known if known > 0 else used,
        )

    def _cover_templates(
        self,
        templates: Sequence[_Template],
        region: str,
        ids: npt.NDArray[np.int64],
        signature_coverage: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64] | None:
        """`signature_coverage` with the entries whose placeholders take a name from the paste (`region`) covered
        without the example names their signatures hold in those places (None when no placeholder takes one): `No
        module named 'torchvision'` holds every word of the template `No module named '{module}'`, though not the
        example `torch`, so it never read as a word-for-word paste and asked mode was unsure of the most common
        error."""
        filled: npt.NDArray[np.float64] | None = None
        taken: dict[int, bool] = {}  # per entry: does one of its placeholders take a name from the paste
        for t in templates:
            if t.entry not in taken:
                taken[t.entry] = bool(captured(t.placeholders, region))
            if not taken[t.entry]:
                continue
            whole = float(t.weights[np.isin(t.ids, ids)].sum()) / float(t.weights.sum())
            discount = min(1.0, t.filled_weight / self.weights.selection.short_phrasing_words) ** 0.5
            if filled is None:
                filled = signature_coverage.copy()
            filled[t.entry] = max(filled[t.entry], whole * discount)
        return filled

    # -- fuzzy stage ---------------------------------------------------------------------------------

    def _compared_lines(self, ix: MatchIndex, report: ErrorReport) -> list[str]:
        """The pasted lines compared with signatures: the last error lines. A message that holds no error line
        (no exception name: `no space left on device`, `WARNING: DATA RACE` and the lines after it) is compared
        with a pack's signatures too, by its start as error lines are, but only to see whether it holds one of
        them whole (see `_tier_evidence`)."""
        lines = report.error_lines[-self.weights.limits.max_query_error_lines :]
        texts = list(dict.fromkeys(t for line in lines for t in (line.text, line.detail)))
        bare = report.text.strip()
        if not texts and ix.trust < 1.0 and bare:
            return [bare]
        return texts

    def _pattern_hits(self, ix: MatchIndex, region: str, candidates: list[int]) -> dict[int, int]:
        """Candidates whose patterns match the error region, with the literal strength of the best hit."""
        limits = self.weights.limits
        hits: dict[int, int] = {}
        # Each search has its own time bound; the query as a whole has one too, so many slow patterns
        # cannot add up to a stall. The budget counts search time only: compiling a pattern the first time
        # this process uses it is start-up work, and counting it made rankings depend on what ran before.
        searched = 0.0
        for c in candidates:
            for pattern, strength in ix.patterns[c]:
                if strength <= hits.get(c, -1) or required_literal(pattern) not in region:
                    continue
                compiled = compile_pattern(pattern)
                remaining = limits.pattern_budget_s - searched
                if remaining <= 0:
                    return hits
                started = time.perf_counter()
                found = search_bounded(compiled, region, min(SEARCH_TIMEOUT_S, remaining))
                searched += time.perf_counter() - started
                if found:
                    hits[c] = strength
        return hits

    # -- evidence ------------------------------------------------------------------------------------

    def _candidates(self, ix: MatchIndex, report: ErrorReport, lexical: npt.NDArray[np.float64]) -> list[int]:
        sel = self.weights.selection
        per_tier = sel.candidates if ix.trust >= 1.0 else int(sel.candidates * sel.pack_candidate_share)
        k = min(per_tier, ix.size)
        candidates = set(np.argpartition(-lexical, k - 1)[:k].tolist())
        for name in report.exceptions:
            # Entries of the same exception type are candidates even when few of their words appear
            # (a bare "PermissionError" header); the lexically closest of them, so RuntimeError does not
            # bring in dozens.
            sharing = np.asarray(ix.exception_entries.get(name.lower(), ()), dtype=np.int64)
            if sharing.size:
                closest = sharing[np.argsort(-lexical[sharing], kind="stable")[: sel.exception_candidates]]
                candidates.update(closest.tolist())
        return sorted(candidates)

    def _tier_evidence(self, ix: MatchIndex, facts: _MessageFacts) -> tuple[list[int], Evidence]:
        """Raw evidence for one tier's candidates. The examples count for curated entries only: packs are not in
        the corpus."""
        w = self.weights
        report, region = facts.report, facts.region
        ids = ix.feature_ids(facts.features)
        coverage = self._coverage(ix, ids, description=not report.is_error_report)
        filled = self._cover_templates(self._templates[id(ix)], region, ids, coverage.signature)
        lex_sig, lex_sym = coverage.signature, coverage.symptom
        explained = coverage.explained
        blended = w.scoring.phrasing_share * lex_sym + (1 - w.scoring.phrasing_share) * explained
        ordered = self._candidates(ix, report, np.maximum(lex_sig, blended))
        # String comparison costs the most: only the candidates whose signatures share most words with
        # the message get it.
        closest = sorted(ordered, key=lambda c: -lex_sig[c])[: w.selection.fuzzy_candidates]
        texts = self._compared_lines(ix, report)
        fuzzy = signature_similarity(ix, texts, sorted(closest), w) if texts else {}
        hits = self._pattern_hits(ix, facts.pattern_region, ordered)
        pack = ix.trust < 1.0
        # Word for word: the whole string (quoted names too) and every word of the signature, counted without
        # the discount for short phrasings (`OOMKilled` pasted alone is all of that signature).
        word_for_word = w.selection.exact_signature
        exact = {
            c for c, value in fuzzy.items()
            if pack and value >= word_for_word and coverage.signature_words[c] >= word_for_word
        }  # fmt: skip
        if not report.error_lines:
            # A message without an error line is prose, unless it holds one of a pack's signatures whole (a
            # perfect partial match: the signature is at least half of what is compared), as a pasted
            # `UNAVAILABLE: DNS resolution failed for api.internal:443` does.
            fuzzy = {c: value for c, value in fuzzy.items() if value >= w.selection.partial_ceiling}
        rows = np.asarray(ordered, dtype=np.int64)
        names = [(ix.entries[c].exception_name or "").lower() for c in ordered]
        agrees = [bool(n) and n in facts.exceptions for n in names]
        # An entry filed under a class is contradicted by a paste of other classes, but not by one its own
        # signatures open with (see `index.exception_names`). The agreement bonus stays with the filed class:
        # counting the signatures' classes there too cost corpus CV strict passive recall 0.379 -> 0.356 and
        # calibration error 0.013 -> 0.016; letting entries filed under none disagree cost answers they had.
        raised_as = [ix.exception_names[c] for c in ordered]
        # A different status code of the same enum contradicts an entry the way a different exception class does, and
        # so does another name where the entry's signatures pin one (`module 'emoji'` against NumPy's `module 'numpy'`).
        disagrees = [
            (bool(n) and bool(facts.exceptions) and not own & facts.exceptions)
            or (bool(facts.status_codes) and codes_disagree(facts.status_codes, ix.status_codes[c]))
            or names_disagree(facts.names, ix.pinned_names[c])
            for n, own, c in zip(names, raised_as, ordered, strict=True)
        ]
        similarity, probability = per_row(facts.examples, (ix.entries[c].id for c in ordered), [pack] * len(ordered))
        evidence = Evidence(
            signature_similarity=np.array([fuzzy.get(c, 0.0) for c in ordered], dtype=np.float64),
            signature_coverage=lex_sig[rows],
            filled_coverage=None if filled is None else filled[rows],
            symptom_coverage=lex_sym[rows],
            explained_share=explained[rows],
            symptom_likeness=coverage.symptom_likeness[rows],  # descriptions only, as the examples are
            pattern_strength=np.array([hits.get(c, -1) for c in ordered], dtype=np.int64),
            example_similarity=np.array(similarity, dtype=np.float64),
            example_probability=np.array(probability, dtype=np.float64),
            # A pack's pattern found in prose (no error line was pasted) is a hint: imported patterns are
            # written loosely (`CUDA.*out of memory`) and match people talking about an error.
            pattern_counts_as_proof=np.full(len(ordered), not (pack and not report.error_lines), dtype=np.bool_),
            # The same for a pack's signature words: short imported signatures of common words ("Already on
            # 'main'") are covered by sentences about something else. A pasted signature still counts.
            words_count_as_proof=np.array(
                [not (pack and not report.error_lines) or c in fuzzy for c in ordered], dtype=np.bool_
            ),
            exact_signature=np.array([c in exact for c in ordered], dtype=np.bool_),
            exception_agrees=np.array(agrees, dtype=np.bool_),
            exception_shared_by=np.array([len(ix.exception_entries.get(n, ())) for n in names], dtype=np.int64),
            exception_disagrees=np.array(disagrees, dtype=np.bool_),
            library_hint=np.array([bool(ix.libraries[c] & report.libraries) for c in ordered], dtype=np.bool_),
            description=np.full(len(ordered), not report.is_error_report, dtype=np.bool_),
            frame_hint=np.array([frame_evidence(facts.frames, ix.paths[c]) for c in ordered], dtype=np.float64),
            symptom_entry=np.array([ix.entries[c].kind is EntryKind.SYMPTOM for c in ordered], dtype=np.bool_),
            pack=np.full(len(ordered), pack, dtype=np.bool_),
        )
        return ordered, evidence

    def assess(self, text: str) -> Assessment:
        limits = self.weights.limits
        report = extract(text, self._known_classes)
        error_text = "\n".join(line.detail for line in report.error_lines)
        feats = features(error_text + "\n" + report.prose[: limits.prose_chars])
        region = (error_text or report.text)[-limits.pattern_region_chars :]
        # Entry patterns read the source a traceback showed above each error line too (`ErrorLine.shown_code`).
        shown = "\n".join(
            f"{line.shown_code}\n{line.detail}" if line.shown_code else line.detail for line in report.error_lines
        )
        pattern_region = (shown or report.text)[-limits.pattern_region_chars :]
        facts = _MessageFacts(
            report=report,
            features=feats,
            region=region,
            pattern_region=pattern_region,
            status_codes=status_codes(region),
            names=pasted_names(error_text[-limits.pattern_region_chars :]),
            exceptions=frozenset(n.lower() for n in report.exceptions),
            examples=for_descriptions(self.examples, report.is_error_report, feats),
            frames=frame_keys(report.frames),
        )
        parts: list[Evidence] = []
        entries: list[Entry] = []
        tiers: list[int] = []
        positions: list[int] = []
        for n, ix in enumerate(self.indexes):
            if not ix.size:
                continue
            ordered, evidence = self._tier_evidence(ix, facts)
            parts.append(evidence)
            entries.extend(ix.entries[c] for c in ordered)
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
        evidence = top_evidence(a.report, a.cues, a.evidence, scores, best, same_tier[1:], w.selection.exact_similarity)
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


@dataclass(frozen=True)
class Coverage:
    """Per entry of a tier: how much of its best phrasings the message's words cover."""

    signature: npt.NDArray[np.float64]  # best signature, short phrasings discounted
    symptom: npt.NDArray[np.float64]  # best symptom phrasing, short phrasings discounted
    signature_words: npt.NDArray[np.float64]  # best signature, undiscounted: are all of its words there?
    symptom_likeness: npt.NDArray[np.float64]  # closest symptom phrasing, alike both ways; 0 for an error report
    explained: npt.NDArray[np.float64]  # share of the message's known words the entry uses anywhere


_NO_WEIGHT = 1e-12  # a message and a phrasing without known words share none: 0, not a division by zero


@dataclass(frozen=True)
class _PhrasingRuns:
    """One tier's phrasings of one kind, grouped by entry, so that the best value per entry is one reduction
    (`np.maximum.at` over a mask took 45 to 110 us a call for our 309 entries and the 1,839 imported canons, this
    29 to 83 us; four calls a tier and match)."""

    size: int  # entries in the tier
    rows: npt.NDArray[np.int64]  # the phrasings of the kind, entry by entry
    starts: npt.NDArray[np.int64]  # where each entry's run begins in `rows`
    owners: npt.NDArray[np.int64]  # the entry of each run

    @classmethod
    def of(cls, ix: MatchIndex, kind: int) -> _PhrasingRuns:
        rows = np.flatnonzero(ix.phrasing_kind == kind)
        rows = rows[np.argsort(ix.phrasing_entry[rows], kind="stable")]
        owner_of_row = ix.phrasing_entry[rows].astype(np.int64)
        starts = np.flatnonzero(np.diff(owner_of_row, prepend=-1))
        return cls(ix.size, rows, starts, owner_of_row[starts])

    def best(self, per_phrasing: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Per entry: its best phrasing's value, 0 for an entry without phrasings of the kind (values are >= 0)."""
        best = np.zeros(self.size, dtype=np.float64)
        if self.rows.size:
            best[self.owners] = np.maximum(np.maximum.reduceat(per_phrasing[self.rows], self.starts), 0.0)
        return best
