"""The reply model: what the bot tells a person about a match, independent of how it is rendered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.feedback.rates import FixRate, Tally, fix_rate, unapplied
from bot.knowledge.model import DeadEnd, Entry, Workaround
from bot.matching.matcher import Confidence, Match, MatchResult

# Runner-up entries are worth showing when the best match is not clearly ahead of them.
ALTERNATIVES_MARGIN = 0.15


@dataclass(frozen=True, slots=True)
class RankedWorkaround:
    workaround: Workaround
    number: int  # 1-based position in the entry's own list (votes are keyed by workaround.id, not this)
    rate: FixRate


@dataclass(frozen=True, slots=True)
class Reply:
    entry: Entry
    score: float
    confidence: Confidence
    workarounds: tuple[RankedWorkaround, ...]  # best live fix rate first
    dead_ends: tuple[DeadEnd, ...]  # most often failing first
    alternatives: tuple[Match, ...]  # runner-ups, only when the best match is not clearly ahead
    wrong_match_votes: int = 0


def live_tally(workaround: Workaround, tally: Tally) -> Tally:
    return unapplied(tally, workaround.applied_fixed, workaround.applied_failed)


def rank_workarounds(entry: Entry, tallies: Mapping[str, Tally] | None = None) -> tuple[RankedWorkaround, ...]:
    """The entry's workarounds ordered by their live fix rate; ties keep the curated order.
    `tallies` maps workaround ids to the votes that count for them."""
    tallies = tallies or {}
    ranked = [
        RankedWorkaround(w, n, fix_rate(w.success_rate, entry.verification, live_tally(w, tallies.get(w.id, Tally()))))
        for n, w in enumerate(entry.workarounds, 1)
    ]
    ranked.sort(key=lambda r: (-round(r.rate.observed, 6), r.number))
    return tuple(ranked)


def build_reply(
    match: Match,
    others: tuple[Match, ...] = (),
    tallies: Mapping[str, Tally] | None = None,
    wrong_match_votes: int = 0,
) -> Reply:
    alternatives = tuple(m for m in others if match.score - m.score < ALTERNATIVES_MARGIN)
    if match.confidence is not Confidence.HIGH:
        alternatives = others[:3]
    return Reply(
        entry=match.entry,
        score=match.score,
        confidence=match.confidence,
        workarounds=rank_workarounds(match.entry, tallies),
        dead_ends=tuple(sorted(match.entry.dead_ends, key=lambda d: -d.fail_rate)),
        alternatives=alternatives[:3],
        wrong_match_votes=wrong_match_votes,
    )


def reply_for(result: MatchResult, tallies: Mapping[str, Tally] | None = None) -> Reply | None:
    if not result.matches:
        return None
    return build_reply(result.matches[0], result.matches[1:], tallies)
