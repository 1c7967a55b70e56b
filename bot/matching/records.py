"""The entries' track records: how often each entry, ranked first, was the right answer on the corpus.

The calibration reads a ranking's evidence (the score, the margin, the cues of talk), and the same evidence
means more for some entries than for others. An entry whose problem people describe in words shared with its
neighbours ("my GPU memory keeps growing" against "CUDA out of memory"), or whose error is often quoted where
the thread settled another cause, is ranked first wrongly more often than one whose error names itself. For
each entry, `knownfix tune` counts the corpus messages it was ranked first for and how many of them it was
right for, apart for messages with an error line and descriptions in words (each counted as ranked by the
cross-validated matcher, so the record is what a new message can expect). The calibration reads the record as
its log-odds against the share right of all entries (`lift`), shrunk towards zero for an entry with few
messages (the table's [records] prior_cases): an entry the corpus never ranked first, a pack's or a new one,
gets nothing from it. Only counts are kept, never a message.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.values import read_json

RECORDS_FILE = Path(__file__).with_name("records.json")
# Shares are held inside this distance from 0 and 1 before their log-odds are taken: one entry right every time
# in a few messages is not proof it cannot be wrong.
SHARE_LIMIT = 1e-3


class RecordsError(ValueError):
    """The records file is missing, malformed, or holds a count of the wrong type."""


@dataclass(frozen=True, slots=True)
class Tally:
    """Of the messages an entry was ranked first for, how many it was right for."""

    right: int
    first: int

    def without(self, right: bool) -> Tally:
        """The tally less one message of it (tune reads a training message's record without its own outcome)."""
        return Tally(self.right - int(right), self.first - 1)


@dataclass(frozen=True)
class TrackRecords:
    """Per entry id, its tally for messages with an error line (`reports`) and for descriptions."""

    reports: Mapping[str, Tally] = field(default_factory=dict)
    descriptions: Mapping[str, Tally] = field(default_factory=dict)

    def tally(self, entry: str, described: bool) -> Tally:
        return (self.descriptions if described else self.reports).get(entry, Tally(0, 0))

    @functools.cached_property
    def _shares(self) -> tuple[float, float]:
        return _share(self.reports.values()), _share(self.descriptions.values())

    def share_right(self, described: bool) -> float:
        """The share of all messages of that kind whose entry ranked first was right (the prior a record is
        shrunk towards)."""
        return self._shares[described]

    def lift(self, entry: str, described: bool, prior_cases: float, own: bool | None = None) -> float:
        """How much likelier than the average entry `entry` is right when ranked first, in log-odds: its tally,
        shrunk towards the share of all entries as if `prior_cases` average messages were added to it. `own`:
        the message being read is in the tally, right or not; its outcome is taken out (a training case)."""
        tally = self.tally(entry, described)
        if own is not None and tally.first:
            tally = tally.without(own)
        prior = self.share_right(described)
        if not tally.first or not 0.0 < prior < 1.0:
            return 0.0
        shrunk = (tally.right + prior_cases * prior) / (tally.first + prior_cases)
        return _logit(shrunk) - _logit(prior)


def _share(tallies: Iterable[Tally]) -> float:
    right = first = 0
    for t in tallies:
        right += t.right
        first += t.first
    return right / first if first else 0.0


def _logit(share: float) -> float:
    share = min(max(share, SHARE_LIMIT), 1.0 - SHARE_LIMIT)
    return math.log(share / (1.0 - share))


def count(outcomes: Iterable[tuple[str, bool, bool]]) -> TrackRecords:
    """The records of (entry ranked first, the message is a description, it was right) outcomes."""
    right: dict[tuple[str, bool], int] = {}
    first: dict[tuple[str, bool], int] = {}
    for entry, described, ok in outcomes:
        key = (entry, described)
        first[key] = first.get(key, 0) + 1
        right[key] = right.get(key, 0) + int(ok)
    parts: tuple[dict[str, Tally], dict[str, Tally]] = ({}, {})
    for (entry, described), n in sorted(first.items()):
        parts[described][entry] = Tally(right[entry, described], n)
    return TrackRecords(reports=parts[0], descriptions=parts[1])


def parse(raw: object) -> TrackRecords:
    if not isinstance(raw, dict):
        raise RecordsError("records: expected an object with reports and descriptions")
    reports = _parse_part(raw.get("reports"), "reports")
    return TrackRecords(reports=reports, descriptions=_parse_part(raw.get("descriptions"), "descriptions"))


def _parse_part(raw: object, part: str) -> dict[str, Tally]:
    if not isinstance(raw, dict):
        raise RecordsError(f"records: {part} must map entry ids to [right, ranked first]")
    tallies: dict[str, Tally] = {}
    for entry, value in raw.items():
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 0 <= value[0] <= value[1]
        )
        if not ok:
            shape = "[right, ranked first] with 0 <= right <= ranked first"
            raise RecordsError(f"records: {part} of {str(entry)[:80]!r} must be {shape}")
        tallies[str(entry)] = Tally(value[0], value[1])
    return tallies


def load(path: Path = RECORDS_FILE) -> TrackRecords:
    return parse(read_json(path, RecordsError, "records"))


@functools.cache
def default_records() -> TrackRecords:
    """The bundled records, read once per process."""
    return load()


def dump(records: TrackRecords, path: Path = RECORDS_FILE) -> None:
    about = (
        "Written by `knownfix tune` from the labelled corpus (evaluation/corpus): per entry, of the messages the "
        "matcher ranked it first for (with labelled examples fitted without the message), [how many it was right "
        "for, how many], apart for messages with an error line (reports) and descriptions in words. Counts only, "
        "no message text. See bot/matching/records.py."
    )
    parts = []
    for name, tallies in (("reports", records.reports), ("descriptions", records.descriptions)):
        rows = ",\n".join(
            f"  {json.dumps(e, ensure_ascii=False)}: [{t.right}, {t.first}]" for e, t in sorted(tallies.items())
        )
        parts.append(f"{json.dumps(name)}: {{\n{rows}\n}}" if rows else f"{json.dumps(name)}: {{}}")
    # One entry a line: a refit's change to the records reads as a diff of the entries it moved.
    path.write_text("{\n" + ",\n".join([f'"about": {json.dumps(about)}', *parts]) + "\n}\n", encoding="utf-8")
