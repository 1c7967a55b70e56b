"""Curated against observed fix rates, for `/stats`, `knownfix stats` and `kb apply-feedback`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.feedback.rates import Tally, fix_rate, unapplied
from bot.knowledge.loader import KnowledgeBase


@dataclass(frozen=True, slots=True)
class RateChange:
    entry_id: str
    workaround_id: str  # the stable key its votes are stored under
    number: int  # the workaround's position in its entry today (for people; votes do not depend on it)
    title: str
    curated: float
    observed: float
    reports: int  # votes not yet folded into the curated rate
    total: Tally  # every vote that counts for this workaround

    @property
    def moved(self) -> float:
        return self.observed - self.curated


def workaround_ids(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Each entry's workaround ids in file order: what the store's schema 4 migration maps positions to."""
    return {e.id: tuple(w.id for w in e.workarounds) for e in kb.entries}


def rate_changes(kb: KnowledgeBase, tallies: Mapping[str, Mapping[str, Tally]]) -> list[RateChange]:
    """Every workaround with votes, the ones whose rate moved most first."""
    out: list[RateChange] = []
    for entry_id, by_id in tallies.items():
        entry = kb.get(entry_id)
        if entry is None:
            continue
        for number, w in enumerate(entry.workarounds, 1):
            tally = by_id.get(w.id)
            if tally is None or not tally.reports:
                continue
            fresh = unapplied(tally, w.applied_fixed, w.applied_failed)
            if not fresh.reports:
                continue
            rate = fix_rate(w.success_rate, entry.verification, fresh)
            out.append(RateChange(entry_id, w.id, number, w.title, w.success_rate, rate.observed, fresh.reports, tally))
    out.sort(key=lambda c: (-abs(c.moved), c.entry_id, c.number))
    return out
