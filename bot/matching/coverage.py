"""The lexical stage: how much of each entry's phrasings a message's words cover, for every entry of a tier at once.

From the index's postings (`MatchIndex.phrasing_weights`: per phrasing, the summed weight of the message's words it
holds, rarer words weighing more), each entry gets the coverage of its best signature and of its best symptom
phrasing, the share of the message it explains, and, for a description, how alike the message and its closest
symptom phrasing are. Template signatures (`No module named '{module}'`) are covered a second time without their
example names, when the paste fills the placeholder with a name of its own. What does not depend on the message (the
phrasings grouped by entry, the templates cut) is worked out once per tier: `TierPhrasings.of`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.knowledge.patterns import first_match
from bot.knowledge.placeholders import captured
from bot.matching.index import SIGNATURE, SYMPTOM, MatchIndex
from bot.matching.text import features

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_NO_WEIGHT = 1e-12  # a message and a phrasing without known words share none: 0, not a division by zero


@dataclass(frozen=True)
class Coverage:
    """Per entry of a tier: how much of its best phrasings the message's words cover."""

    signature: FloatArray  # best signature, short phrasings discounted
    symptom: FloatArray  # best symptom phrasing, short phrasings discounted
    signature_words: FloatArray  # best signature, undiscounted: are all of its words there?
    symptom_likeness: FloatArray  # closest symptom phrasing, alike both ways; 0 for an error report
    explained: FloatArray  # share of the message's known words the entry uses anywhere


@dataclass(frozen=True)
class PhrasingRuns:
    """One tier's phrasings of one kind, grouped by entry, so that the best value per entry is one reduction
    (`np.maximum.at` over a mask took 45 to 110 us a call for our 309 entries and the 1,839 imported canons, this
    29 to 83 us; four calls a tier and match)."""

    size: int  # entries in the tier
    rows: IntArray  # the phrasings of the kind, entry by entry
    starts: IntArray  # where each entry's run begins in `rows`
    owners: IntArray  # the entry of each run

    @classmethod
    def of(cls, ix: MatchIndex, kind: int) -> PhrasingRuns:
        rows = np.flatnonzero(ix.phrasing_kind == kind)
        rows = rows[np.argsort(ix.phrasing_entry[rows], kind="stable")]
        owner_of_row = ix.phrasing_entry[rows].astype(np.int64)
        starts = np.flatnonzero(np.diff(owner_of_row, prepend=-1))
        return cls(ix.size, rows, starts, owner_of_row[starts])

    def best(self, per_phrasing: FloatArray) -> FloatArray:
        """Per entry: its best phrasing's value, 0 for an entry without phrasings of the kind (values are >= 0)."""
        best = np.zeros(self.size, dtype=np.float64)
        if self.rows.size:
            best[self.owners] = np.maximum(np.maximum.reduceat(per_phrasing[self.rows], self.starts), 0.0)
        return best


@dataclass(frozen=True)
class Template:
    """A signature whose placeholders take the asker's names, with its example names cut out (`templates`)."""

    entry: int  # in its tier
    placeholders: Mapping[str, str]  # the entry's: name -> pattern with a group of that name
    ids: IntArray  # the tier's ids of the features left once the example names are cut out
    weights: FloatArray  # their weights, in the same order
    filled_weight: float  # the whole signature's summed feature weight: filled in, it has as many words as this


def templates(ix: MatchIndex) -> tuple[Template, ...]:
    """The tier's template signatures, cut once: they depend on the entries and the tier's word weights alone."""
    found: list[Template] = []
    for c, entry in enumerate(ix.entries):
        if not entry.placeholders:
            continue
        placeholders = dict(entry.placeholders)
        for signature in entry.all_signatures:
            template = signature
            for name, pattern in placeholders.items():
                # A pattern that runs out of time leaves the example in: counted as plain words, not lost.
                example = first_match(pattern, template)
                if example is not None and example.group(name):
                    template = template[: example.start(name)] + " " + template[example.end(name) :]
            if template == signature:
                continue  # no example name in this one: its coverage is counted as it is
            ids = ix.feature_ids(features(template))
            weights = ix.feature_weights[ids]
            if float(weights.sum()) <= 0:
                continue
            filled_weight = float(ix.feature_weights[ix.feature_ids(features(signature))].sum())
            found.append(Template(c, placeholders, ids, weights, filled_weight))
    return tuple(found)


@dataclass(frozen=True)
class TierPhrasings:
    """What the lexical stage reads of one tier that no message changes, worked out once."""

    signatures: PhrasingRuns
    symptoms: PhrasingRuns
    templates: tuple[Template, ...]

    @classmethod
    def of(cls, ix: MatchIndex) -> TierPhrasings:
        return cls(PhrasingRuns.of(ix, SIGNATURE), PhrasingRuns.of(ix, SYMPTOM), templates(ix))

    def coverage(self, ix: MatchIndex, ids: IntArray, description: bool, short_phrasing_words: float) -> Coverage:
        """Per entry: the best coverage of one of its signatures and of one of its symptoms, how much of the
        message the entry explains, and for a `description` (no error line) how alike the message and the entry's
        closest symptom phrasing are (0 for an error report: it is about its error line, and an error entry's
        phrasing alike a whole traceback's prose outranked the signature that names the error)."""
        used, known = ix.entry_weights(ids)
        acc = ix.phrasing_weights(ids)
        with np.errstate(invalid="ignore", divide="ignore"):
            whole = np.where(ix.phrasing_total > 0, acc / ix.phrasing_total, 0.0)
        # A phrasing of two common words is covered by almost anything; its coverage counts for less.
        cov = whole * np.minimum(1.0, ix.phrasing_total / short_phrasing_words) ** 0.5
        if description:
            # Alike both ways: the shared words over the larger of the two texts (weighted), so a phrasing is not
            # alike a message that says much more, nor the message alike a phrasing that says much more. A share
            # of the message alone read a message of few words the tier knows as all said by any phrasing holding
            # one.
            likeness = self.symptoms.best(acc / np.maximum(np.maximum(ix.phrasing_total, known), _NO_WEIGHT))
        else:
            likeness = np.zeros(ix.size, dtype=np.float64)
        return Coverage(
            signature=self.signatures.best(cov),
            symptom=self.symptoms.best(cov),
            signature_words=self.signatures.best(whole),
            symptom_likeness=likeness,
            explained=used / known if known > 0 else used,
        )

    def cover_templates(
        self, region: str, ids: IntArray, signature_coverage: FloatArray, short_phrasing_words: float
    ) -> FloatArray | None:
        """`signature_coverage` with the entries whose placeholders take a name from the paste (`region`) covered
        without the example names their signatures hold in those places (None when no placeholder takes one): `No
        module named 'torchvision'` holds every word of the template `No module named '{module}'`, though not the
        example `torch`, so it never read as a word-for-word paste and asked mode was unsure of the most common
        error."""
        filled: FloatArray | None = None
        taken: dict[int, bool] = {}  # per entry: does one of its placeholders take a name from the paste
        for t in self.templates:
            if t.entry not in taken:
                taken[t.entry] = bool(captured(t.placeholders, region))
            if not taken[t.entry]:
                continue
            whole = float(t.weights[np.isin(t.ids, ids)].sum()) / float(t.weights.sum())
            discount = min(1.0, t.filled_weight / short_phrasing_words) ** 0.5
            if filled is None:
                filled = signature_coverage.copy()
            filled[t.entry] = max(filled[t.entry], whole * discount)
        return filled
