"""Fix rates that move with the evidence.

Each workaround's curated success rate is a prior worth a number of pseudo-reports that grows with how
well the entry was checked; votes are reports. The estimate is the Beta-Binomial posterior mean, so a
handful of votes nudges a reproduced entry's rate a little and an unchecked entry's rate a lot.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.markdown import percent
from bot.knowledge.model import Verification

PRIOR_WEIGHT = {
    Verification.AI_GENERATED: 4.0,
    Verification.COMMUNITY: 8.0,
    Verification.STALE: 8.0,  # checked once, but on older versions than people now run: no firmer than community
    Verification.REPRODUCED: 12.0,
    Verification.EXPERT: 20.0,
}


@dataclass(frozen=True, slots=True)
class Tally:
    """Votes on one workaround: `fixed` said it worked, `failed` said it did not."""

    fixed: int = 0
    failed: int = 0

    @property
    def reports(self) -> int:
        return self.fixed + self.failed


@dataclass(frozen=True, slots=True)
class FixRate:
    curated: float
    observed: float  # the posterior estimate the workarounds are ranked by
    reports: int  # votes that count (not yet folded into the curated rate)
    fixed: int = 0  # of those, the ones that said it worked

    @property
    def share_fixed(self) -> float:
        """What the reports alone say: the fraction of them that said it worked (0 with no reports)."""
        return self.fixed / self.reports if self.reports else 0.0


def unapplied(tally: Tally, applied_fixed: int, applied_failed: int) -> Tally:
    """The votes not yet folded into the curated rate by `kb apply-feedback`."""
    return Tally(max(0, tally.fixed - applied_fixed), max(0, tally.failed - applied_failed))


def fix_rate(curated: float, verification: Verification, tally: Tally) -> FixRate:
    weight = PRIOR_WEIGHT[verification]
    posterior = (curated * weight + tally.fixed) / (weight + tally.reports)
    return FixRate(curated=curated, observed=posterior, reports=tally.reports, fixed=tally.fixed)


def rate_basis(rate: FixRate) -> str:
    """Where a shown rate comes from, in plain words: the curated estimate alone, or what N reports said."""
    if not rate.reports:
        return "curated estimate"
    reports = f"{rate.reports} report{'s' if rate.reports != 1 else ''}"
    return f"observed: {rate.share_fixed:.0%} of {reports}, curated {percent(rate.curated)}%"
