"""One knowledge tier measured against a message: the raw evidence for each of its candidate entries.

The lexical stage (`coverage.py`) scores every entry of the tier at once and picks the candidates; for those,
rapidfuzz compares the message's error lines with their signatures, their patterns are searched with a time bound,
and the rest of their evidence (exception classes, status codes, quoted names, libraries, frames, the examples) is
read off what the message's facts say. Each tier scores with its own word statistics, so loading a pack never
changes how curated entries score. The evidence kinds are defined in `evidence.py`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.knowledge.model import EntryKind
from bot.knowledge.patterns import SEARCH_TIMEOUT_S, compile_pattern, search_bounded
from bot.matching.callees import Callees, callees_disagree
from bot.matching.coverage import TierPhrasings
from bot.matching.evidence import Evidence
from bot.matching.examples import Likeness, per_row
from bot.matching.extract import ErrorReport
from bot.matching.frames import frame_evidence
from bot.matching.index import MatchIndex, codes_disagree
from bot.matching.pinned_names import Pinned, names_disagree
from bot.matching.similarity import signature_similarity
from bot.matching.weights import Weights


@dataclass(frozen=True)
class MessageFacts:
    """What every tier's evidence reads of one message, worked out once per message (`Matcher.assess`)."""

    report: ErrorReport
    features: frozenset[str]  # the word features of the error lines and the start of the prose
    region: str  # what status codes and template names are read in: the error lines, or the text's end without any
    pattern_region: str  # what entry patterns are read in: `region` with the source shown above each error line
    status_codes: frozenset[tuple[str, str]]  # the (family, code) pairs pasted in `region` (`index.status_codes`)
    names: Pinned  # the quoted names of the pasted error lines, by the words before each (`pinned_names.py`)
    callees: Callees  # the functions the pasted call errors name (`callees.py`)
    exceptions: frozenset[str]  # the pasted exception classes, lower-cased
    examples: Likeness  # how the message reads against each entry's labelled examples (descriptions only)
    frames: tuple[str, ...]  # the paste's frames as `frames.frame_evidence` reads them


class Tier:
    """One knowledge tier's index, with what measuring a message against it reads that no message changes."""

    def __init__(self, ix: MatchIndex, weights: Weights) -> None:
        self.ix = ix
        self.weights = weights
        self.phrasings = TierPhrasings.of(ix)

    def _compared_lines(self, report: ErrorReport) -> list[str]:
        """The pasted lines compared with signatures: the last error lines. A message that holds no error line
        (no exception name: `no space left on device`, `WARNING: DATA RACE` and the lines after it) is compared
        with a pack's signatures too, by its start as error lines are, but only to see whether it holds one of
        them whole (see `evidence`)."""
        ix = self.ix
        lines = report.error_lines[-self.weights.limits.max_query_error_lines :]
        texts = list(dict.fromkeys(t for line in lines for t in (line.text, line.detail)))
        bare = report.text.strip()
        if not texts and ix.trust < 1.0 and bare:
            return [bare]
        return texts

    def _pattern_hits(self, region: str, candidates: list[int]) -> dict[int, int]:
        """Candidates whose patterns match the error region, with the literal strength of the best hit."""
        ix, limits = self.ix, self.weights.limits
        hits: dict[int, int] = {}
        # Each search has its own time bound; the query as a whole has one too, so many slow patterns
        # cannot add up to a stall. The budget counts search time only: compiling a pattern the first time
        # this process uses it is start-up work, and counting it made rankings depend on what ran before.
        searched = 0.0
        for c in candidates:
            for pattern, strength, literal in ix.patterns[c]:
                if strength <= hits.get(c, -1) or literal not in region:
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

    def _candidates(self, report: ErrorReport, lexical: npt.NDArray[np.float64]) -> list[int]:
        ix, sel = self.ix, self.weights.selection
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

    def evidence(self, facts: MessageFacts) -> tuple[list[int], Evidence]:
        """Raw evidence for one tier's candidates. The examples count for curated entries only: packs are not in
        the corpus."""
        ix, w = self.ix, self.weights
        report, region = facts.report, facts.region
        ids = ix.feature_ids(facts.features)
        short = w.selection.short_phrasing_words
        coverage = self.phrasings.coverage(ix, ids, description=not report.is_error_report, short_phrasing_words=short)
        filled = self.phrasings.cover_templates(region, ids, coverage.signature, short)
        lex_sig, lex_sym = coverage.signature, coverage.symptom
        explained = coverage.explained
        blended = w.scoring.phrasing_share * lex_sym + (1 - w.scoring.phrasing_share) * explained
        ordered = self._candidates(report, np.maximum(lex_sig, blended))
        # String comparison costs the most: only the candidates whose signatures share most words with
        # the message get it.
        closest = sorted(ordered, key=lambda c: -lex_sig[c])[: w.selection.fuzzy_candidates]
        texts = self._compared_lines(report)
        fuzzy = signature_similarity(ix, texts, sorted(closest), w) if texts else {}
        hits = self._pattern_hits(facts.pattern_region, ordered)
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
        # so does another name where the entry's signatures pin one (`module 'emoji'` against NumPy's `module 'numpy'`)
        # or where its pattern spells out a dotted one (`'torch'` against `'torch\._six'`), and another function where
        # its pattern spells out the one a call error names (`greet()` against `forward\(\) takes`), unless one of
        # the entry's patterns matches: a pattern written to take any name there has the last word.
        disagrees = [
            (bool(n) and bool(facts.exceptions) and not own & facts.exceptions)
            or (bool(facts.status_codes) and codes_disagree(facts.status_codes, ix.status_codes[c]))
            or (
                c not in hits
                and (
                    names_disagree(facts.names, ix.pinned_names[c])
                    or names_disagree(facts.names, ix.pinned_packages[c])
                    or callees_disagree(facts.callees, ix.pinned_callees[c])
                )
            )
            for n, own, c in zip(names, raised_as, ordered, strict=True)
        ]
        raising = report.raising_package
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
            raised_elsewhere=np.array(
                [raising is not None and raising not in ix.libraries[c] for c in ordered], dtype=np.bool_
            ),
            description=np.full(len(ordered), not report.is_error_report, dtype=np.bool_),
            frame_hint=np.array([frame_evidence(facts.frames, ix.paths[c]) for c in ordered], dtype=np.float64),
            symptom_entry=np.array([ix.entries[c].kind is EntryKind.SYMPTOM for c in ordered], dtype=np.bool_),
            summary=np.array([ix.entries[c].summary for c in ordered], dtype=np.bool_),
            pack=np.full(len(ordered), pack, dtype=np.bool_),
        )
        return ordered, evidence
