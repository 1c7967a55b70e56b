"""Curated against observed fix rates, for `/stats`, `knownfix stats` and `kb apply-feedback`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.feedback.rates import Tally, fix_rate, unapplied
from bot.knowledge.loader import KnowledgeBase


@dataclass(frozen=True, slots=True)
class RateChange:
    entry_id: str
    number: int  # the workaround's number in its entry
    title: str
    curated: float
    observed: float
    reports: int  # votes not yet folded into the curated rate
    total: Tally  # every vote stored for this workaround

    @property
    def moved(self) -> float:
        return self.observed - self.curated


def rate_changes(kb: KnowledgeBase, tallies: Mapping[str, Mapping[int, Tally]]) -> list[RateChange]:
    """Every workaround with votes, the ones whose rate moved most first."""
    out: list[RateChange] = []
    for entry_id, by_number in tallies.items():
        entry = kb.get(entry_id)
        if entry is None:
            continue
        for number, tally in by_number.items():
            if not 1 <= number <= len(entry.workarounds) or not tally.reports:
                continue
            w = entry.workarounds[number - 1]
            fresh = unapplied(tally, w.applied_fixed, w.applied_failed)
            if not fresh.reports:
                continue
            rate = fix_rate(w.success_rate, entry.verification, fresh)
            out.append(RateChange(entry_id, number, w.title, w.success_rate, rate.observed, fresh.reports, tally))
    out.sort(key=lambda c: (-abs(c.moved), c.entry_id, c.number))
    return out
