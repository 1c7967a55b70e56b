"""Rank knowledge entries for a message, and decide whether the bot should speak up unprompted.

Two stages. The lexical stage scores every entry at once from the index's postings: how much of each
signature or symptom phrasing the message covers, weighted by how rare each word is. It also picks the
candidates for the fuzzy stage, which compares the message's normalised error lines with those
candidates' normalised signatures inside rapidfuzz's C loops and runs their patterns with a time bound.
The two are combined with exception-type agreement and library hints into one score in 0..1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.knowledge.model import Entry, EntryKind
from bot.knowledge.patterns import SEARCH_TIMEOUT_S, compile_pattern, search_bounded
from bot.matching.extract import ErrorReport, extract
from bot.matching.index import FUZZY_CHARS, SIGNATURE, SYMPTOM, MatchIndex
from bot.matching.normalize import normalize
from bot.matching.text import features

MAX_QUERY_ERROR_LINES = 6
PATTERN_REGION_CHARS = 20_000
PATTERN_BUDGET_S = 0.1  # all of one query's pattern searches together
PROSE_CHARS = 6_000
NAMED_SHARE = 0.15
SAME_LENGTH = 0.9  # length ratio above which partial_ratio adds nothing to ratio
CLOSE_SIGNATURE = 0.8
PATTERN_BONUS = 0.04
EXCEPTION_CANDIDATES = 8
SPECIFIC_PATTERN = 40  # literal characters at which a pattern counts as fully specific
STRONG_PATTERN = 12  # literal characters a pattern must spell out to count as proof of the error
WORD_CHECK = 0.25
PHRASING_SHARE = 0.5
EXCEPTION_ONLY = 0.62  # below the passive threshold even with the agreement bonus


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Thresholds:
    """Score bands and the passive-reply rule; deployments may tune them in settings."""

    high: float = 0.75
    medium: float = 0.55
    minimum: float = 0.2
    reply: float = 0.75  # passive mode answers an error report at or above this ...
    reply_margin: float = 0.08  # ... this far ahead of the runner-up
    reply_symptom: float = 0.5  # a description with no error line needs ...
    reply_symptom_lead: float = 0.35  # ... to be this share ahead of the runner-up
    candidates: int = 24
    fuzzy_candidates: int = 12
    # Imported packs (every knowledge directory after the first) are mostly machine-written: by default
    # they answer /fix and /search but never speak up unprompted.
    packs_answer: bool = False


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float
    confidence: Confidence
    via: str  # which evidence won: pattern, signature, words, symptom, exception, hint
    trust: float = 1.0  # below 1 for entries from knowledge packs loaded after the first directory


@dataclass(frozen=True)
class MatchResult:
    report: ErrorReport
    matches: tuple[Match, ...]
    reply: bool  # the passive-mode decision

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def _confidence(score: float, t: Thresholds) -> Confidence:
    if score >= t.high:
        return Confidence.HIGH
    if score >= t.medium:
        return Confidence.MEDIUM
    return Confidence.LOW


class Matcher:
    def __init__(self, indexes: Sequence[MatchIndex], thresholds: Thresholds | None = None) -> None:
        """`indexes`: one per knowledge tier, the curated tier first; each scores its own entries with its
        own word statistics, so loading a pack never changes how curated entries score."""
        self.indexes = tuple(indexes)
        self.thresholds = thresholds or Thresholds()

    # -- lexical stage -------------------------------------------------------------------------------

    @staticmethod
    def _explained(ix: MatchIndex, feats: frozenset[str]) -> npt.NDArray[np.float64]:
        """Per entry: the share of the message's known words (weighted) that the entry uses somewhere."""
        acc = np.zeros(ix.size, dtype=np.float64)
        known = 0.0
        for feat in feats:
            post = ix.vocabulary.get(feat)
            if post is not None:
                known += float(post.weights[0])
                acc[post.phrasings] += post.weights
        return acc / known if known > 0 else acc

    @staticmethod
    def _coverage(ix: MatchIndex, feats: frozenset[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per entry: the best coverage of one of its signatures, and of one of its symptoms."""
        acc = np.zeros(len(ix.phrasing_total), dtype=np.float64)
        for feat in feats:
            post = ix.postings.get(feat)
            if post is not None:
                acc[post.phrasings] += post.weights  # a phrasing appears once per posting list
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = np.where(ix.phrasing_total > 0, acc / ix.phrasing_total, 0.0)
        # A phrasing of two common words is covered by almost anything; its coverage counts for less.
        cov *= np.minimum(1.0, ix.phrasing_total / 6.0) ** 0.5
        sig = np.zeros(ix.size, dtype=np.float64)
        sym = np.zeros(ix.size, dtype=np.float64)
        is_sig = ix.phrasing_kind == SIGNATURE
        np.maximum.at(sig, ix.phrasing_entry[is_sig], cov[is_sig])
        is_sym = ix.phrasing_kind == SYMPTOM
        np.maximum.at(sym, ix.phrasing_entry[is_sym], cov[is_sym])
        return sig, sym

    # -- fuzzy stage ---------------------------------------------------------------------------------

    def _signature_similarity(self, ix: MatchIndex, report: ErrorReport, candidates: list[int]) -> dict[int, float]:
        lines = report.error_lines[-MAX_QUERY_ERROR_LINES:]
        texts = list(dict.fromkeys(t for line in lines for t in (line.text, line.detail)))
        sig_ids = [s for c in candidates for s in ix.signatures_of[c]]
        if not texts or not sig_ids:
            return {}
        # Masking only what is compared keeps normalisation's cost bounded whatever the paste holds.
        texts = [t[: FUZZY_CHARS * 3] for t in texts]
        masked = self._similarity(
            [normalize(t)[:FUZZY_CHARS] for t in texts], [ix.signature_texts[s] for s in sig_ids]
        ).max(axis=0)
        # The masked form decides whether it is the same error; for the close ones, quoted names break
        # ties between errors of one shape (`"addmm" not implemented for 'Half'` against `... 'Float'`).
        close = [i for i, value in enumerate(masked) if value >= CLOSE_SIGNATURE]
        if close:
            named = self._similarity(
                [normalize(t, keep_names=True)[:FUZZY_CHARS] for t in texts],
                [ix.signature_named[sig_ids[i]] for i in close],
            ).max(axis=0)
            masked[close] = NAMED_SHARE * named + (1 - NAMED_SHARE) * masked[close]
        best: dict[int, float] = {}
        for s, value in zip(sig_ids, masked, strict=True):
            e = int(ix.signature_entry[s])
            best[e] = max(best.get(e, 0.0), float(value))
        return best

    @staticmethod
    def _similarity(queries: list[str], choices: list[str]) -> npt.NDArray[np.float64]:
        """Query x choice similarity in 0..1: whole-string ratio, or a length-discounted partial ratio."""
        ratio = process.cdist(queries, choices, scorer=fuzz.ratio, workers=1, score_cutoff=40).astype(np.float64)
        qlen = np.array([len(q) for q in queries], dtype=np.float64)[:, None]
        clen = np.array([len(c) for c in choices], dtype=np.float64)[None, :]
        # partial_ratio finds a short text inside a long one; trust it in proportion to how much of the
        # longer text the shorter one is, so a three-word fragment does not match every long message.
        overlap = np.minimum(qlen, clen) / np.maximum(np.maximum(qlen, clen), 1.0)
        partial_weight = np.clip(overlap / 0.5, 0.0, 1.0) ** 0.5 * 0.95
        partial = np.zeros_like(ratio)
        # Between texts of nearly equal length the partial score is the plain ratio again: it is only
        # worth its (much higher) cost where the lengths differ.
        for row, query in enumerate(queries):
            differ = np.flatnonzero(overlap[row] < SAME_LENGTH)
            if differ.size:
                partial[row, differ] = process.cdist(
                    [query], [choices[j] for j in differ], scorer=fuzz.partial_ratio, workers=1, score_cutoff=60
                )[0]
        result: npt.NDArray[np.float64] = np.maximum(ratio, partial * partial_weight) / 100.0
        return result

    @staticmethod
    def _pattern_hits(ix: MatchIndex, report: ErrorReport, candidates: list[int]) -> dict[int, int]:
        """Candidates whose patterns match the error region, with the literal strength of the best hit."""
        region = "\n".join(line.detail for line in report.error_lines)
        if not region:
            region = report.text[-PATTERN_REGION_CHARS:]
        region = region[-PATTERN_REGION_CHARS:]
        hits: dict[int, int] = {}
        # Each search has its own time bound; the query as a whole has one too, so many slow patterns
        # cannot add up to a stall.
        deadline = time.perf_counter() + PATTERN_BUDGET_S
        for c in candidates:
            for pattern, strength in ix.patterns[c]:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return hits
                if strength > hits.get(c, -1) and search_bounded(
                    compile_pattern(pattern), region, min(SEARCH_TIMEOUT_S, remaining)
                ):
                    hits[c] = strength
        return hits

    # -- combination ---------------------------------------------------------------------------------

    def rank(self, text: str, top: int = 5) -> MatchResult:
        t = self.thresholds
        report = extract(text)
        error_text = "\n".join(line.detail for line in report.error_lines)
        feats = features(error_text + "\n" + report.prose[:PROSE_CHARS])
        scored: list[tuple[float, str, int, MatchIndex]] = []
        for ix in self.indexes:
            if ix.size:
                scored.extend(self._score_tier(ix, report, feats))

        # Sorted before capping, so bonuses still order entries whose evidence alone reached 1.0.
        order = {id(ix): n for n, ix in enumerate(self.indexes)}
        scored.sort(key=lambda item: (-item[0], order[id(item[3])], item[2]))
        # The margin is taken within the best match's own tier: a pack entry about the same error as a
        # curated one is a duplicate, not a rival that makes the answer uncertain.
        raw = [score for score, _, _, ix in scored if scored and ix is scored[0][3]][:2]
        matches = tuple(
            Match(ix.entries[c], round(min(1.0, score), 4), _confidence(score, t), via, ix.trust)
            for score, via, c, ix in scored[:top]
            if score >= t.minimum
        )
        return MatchResult(report, matches, self._should_reply(report, matches, raw))

    def _score_tier(
        self, ix: MatchIndex, report: ErrorReport, feats: frozenset[str]
    ) -> list[tuple[float, str, int, MatchIndex]]:
        """Score one tier's candidate entries: (score times the tier's trust, winning evidence, entry, tier)."""
        t = self.thresholds
        lex_sig, lex_sym = self._coverage(ix, feats)
        # One phrasing covered says "this is how people put it"; the share of the message's words the
        # entry explains says "this is what the whole message is about". Long descriptions need both.
        lex_sym = PHRASING_SHARE * lex_sym + (1 - PHRASING_SHARE) * self._explained(ix, feats)

        lexical = np.maximum(lex_sig, lex_sym)
        # A pack's entries rarely outrank curated ones at their lower trust: half as many candidates.
        k = min(t.candidates if ix.trust >= 1.0 else t.candidates // 2, ix.size)
        candidates = set(np.argpartition(-lexical, k - 1)[:k].tolist())
        for name in report.exceptions:
            # Entries of the same exception type are candidates even when few of their words appear
            # (a bare "PermissionError" header); the lexically closest of them, so RuntimeError does not
            # bring in dozens.
            sharing = np.asarray(ix.exception_entries.get(name.lower(), ()), dtype=np.int64)
            if sharing.size:
                closest = sharing[np.argsort(-lexical[sharing], kind="stable")[:EXCEPTION_CANDIDATES]]
                candidates.update(closest.tolist())
        ordered = sorted(candidates)

        # String comparison costs the most: only the candidates whose signatures share most words with
        # the message get it.
        closest_signatures = sorted(ordered, key=lambda c: -lex_sig[c])[: t.fuzzy_candidates]
        fuzzy = self._signature_similarity(ix, report, sorted(closest_signatures)) if report.error_lines else {}
        hits = self._pattern_hits(ix, report, ordered)
        query_exceptions = {n.lower() for n in report.exceptions}

        scored: list[tuple[float, str, int, MatchIndex]] = []
        for c in ordered:
            entry = ix.entries[c]
            evidence = {
                # Two messages can differ in one word that is the whole point ("not callable" against
                # "not iterable"); the share of the signature's words present settles such near-misses.
                "signature": fuzzy.get(c, 0.0) * (1 - WORD_CHECK + WORD_CHECK * float(lex_sig[c])),
                "words": float(lex_sig[c]) * 0.9,
                "symptom": float(lex_sym[c]) * (0.92 if entry.kind is EntryKind.SYMPTOM else 0.85),
            }
            strength = hits.get(c)
            # A pack's pattern found in prose (no error line was pasted) is a hint: imported patterns are
            # written loosely (`CUDA.*out of memory`) and match people talking about an error.
            proof = strength is not None and strength >= STRONG_PATTERN
            if proof and ix.trust < 1.0 and not report.error_lines:
                proof = False
            if proof:
                # A longer literal is a more specific pattern: it wins over a generic one that also matched.
                specific = min(1.0, (strength or 0) / SPECIFIC_PATTERN)
                evidence["pattern"] = 0.82 + 0.1 * evidence["signature"] + 0.08 * specific
            elif strength is not None:
                # `(eval.*mode|not found)` matches half the chat in a channel: a hint, not a verdict.
                strength = min(strength, STRONG_PATTERN)
                evidence["hint"] = 0.3 + 0.25 * strength / STRONG_PATTERN
            if entry.exception_name and entry.exception_name.lower() in query_exceptions:
                # The exception's name alone says more the fewer entries share it: PermissionError
                # points at one entry, RuntimeError at dozens.
                shared_by = len(ix.exception_entries.get(entry.exception_name.lower(), ())) or 1
                evidence["exception"] = EXCEPTION_ONLY / shared_by**0.5
            via = max(evidence, key=lambda key: evidence[key])
            score = evidence[via]
            if entry.exception_name and query_exceptions:
                if entry.exception_name.lower() in query_exceptions:
                    score += 0.05
                elif via != "pattern":
                    score *= 0.85
            if ix.libraries[c] & report.libraries:
                score += 0.03
            if "pattern" in evidence:
                score += PATTERN_BONUS
            scored.append((score * ix.trust, via, c, ix))

        return scored

    def _should_reply(self, report: ErrorReport, matches: tuple[Match, ...], raw: list[float]) -> bool:
        """Passive mode: speak up only for an error report or a problem description we are sure of.

        `raw` holds the two best scores before capping at 1.0, so two entries that both reach the cap
        still count as tied.
        """
        t = self.thresholds
        if not matches or not report.describes_problem:  # describes_problem covers error reports too
            return False
        best = matches[0]
        if best.trust < 1.0 and not t.packs_answer:
            return False
        top, runner_up = raw[0], (raw[1] if len(raw) > 1 else 0.0)
        if best.via == "pattern" or (report.is_error_report and best.via in {"signature", "words"}):
            return top >= t.reply and top - runner_up >= t.reply_margin
        if best.via in {"exception", "hint"}:  # a name or a broad pattern alone ranks, it does not answer
            return False
        return top >= t.reply_symptom and (top - runner_up) / top >= t.reply_symptom_lead
