"""The reply model: what the bot tells a person about a match, independent of how it is rendered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.environment import Environment, describe, fits
from bot.feedback.rates import FixRate, Tally, fix_rate, unapplied
from bot.knowledge.model import DeadEnd, Entry, VersionRow, Workaround
from bot.knowledge.placeholders import captured, fill
from bot.matching.extract import ErrorReport
from bot.matching.matcher import Confidence, Match, MatchResult

# Runner-up entries are worth showing when the best match is not clearly ahead of them.
ALTERNATIVES_MARGIN = 0.15


@dataclass(frozen=True, slots=True)
class RankedWorkaround:
    workaround: Workaround
    number: int  # 1-based position in the entry's own list (votes are keyed by workaround.id, not this)
    rate: FixRate
    # Whether the workaround's `applies_to` holds for the asker's pasted versions; None when it names no
    # versions or the asker pasted none of them.
    for_asker: bool | None = None
    # The code as shown: the entry's `{{name:example}}` placeholders filled with the asker's own names.
    code: str = ""

    @property
    def shown_code(self) -> str:
        return self.code or fill(self.workaround.code, {})


@dataclass(frozen=True, slots=True)
class MarkedRow:
    row: VersionRow
    for_asker: bool | None  # whether the row's `applies_to` holds for the asker's versions; None: unknown


@dataclass(frozen=True, slots=True)
class Reply:
    entry: Entry
    # How the entry was found for this message: None for both when someone asked for the entry by id
    # (`/entry`, `knownfix kb show`): no message was matched, so there is no score to show.
    score: float | None
    confidence: Confidence | None
    workarounds: tuple[RankedWorkaround, ...]  # best live fix rate first
    dead_ends: tuple[DeadEnd, ...]  # most often failing first
    alternatives: tuple[Match, ...]  # runner-ups, only when the best match is not clearly ahead
    wrong_match_votes: int = 0
    environment: Environment | None = None  # what the asker pasted about their versions, None when nothing
    entry_for_asker: bool | None = None  # whether the entry's own `applies_to` holds for those versions
    # The asker's own error line, shown above the entry's title: their numbers and names, not the example's.
    asker_error: str | None = None

    @property
    def looked_up(self) -> bool:
        """Whether this is an entry asked for by id rather than a match for someone's message."""
        return self.confidence is None

    @property
    def asker_versions(self) -> str:
        """`torch 2.1.2 + CUDA 12.1, Python 3.10.12, ...`: the asker's versions that matter to this entry, or ""."""
        if self.environment is None:
            return ""
        e = self.entry
        named = [r.library for r in e.applies_to] + [r.library for w in e.workarounds for r in w.applies_to]
        named += [r.library for v in e.versions for r in v.applies_to]
        return describe(self.environment, [*named, *e.context.libraries])

    @property
    def version_rows(self) -> tuple[MarkedRow, ...]:
        return tuple(MarkedRow(v, fits(v.applies_to, self.environment)) for v in self.entry.versions)


def live_tally(workaround: Workaround, tally: Tally) -> Tally:
    return unapplied(tally, workaround.applied_fixed, workaround.applied_failed)


def rank_workarounds(
    entry: Entry,
    tallies: Mapping[str, Tally] | None = None,
    environment: Environment | None = None,
    asker_error: str | None = None,
) -> tuple[RankedWorkaround, ...]:
    """The entry's workarounds ordered by their live fix rate; ties keep the curated order. A workaround
    whose `applies_to` excludes the asker's pasted version comes after all the others, whatever its rate.
    `tallies` maps workaround ids to the votes that count for them."""
    tallies = tallies or {}
    names = captured(dict(entry.placeholders), asker_error) if asker_error and entry.placeholders else {}
    ranked = [
        RankedWorkaround(
            w,
            n,
            fix_rate(w.success_rate, entry.verification, live_tally(w, tallies.get(w.id, Tally()))),
            fits(w.applies_to, environment) if w.applies_to else None,
            fill(w.code, names),
        )
        for n, w in enumerate(entry.workarounds, 1)
    ]
    ranked.sort(key=lambda r: (r.for_asker is False, -round(r.rate.observed, 6), r.number))
    return tuple(ranked)


def ranked_dead_ends(entry: Entry) -> tuple[DeadEnd, ...]:
    """The entry's dead ends, the most often failing first."""
    return tuple(sorted(entry.dead_ends, key=lambda d: -d.fail_rate))


def build_reply(
    match: Match,
    others: tuple[Match, ...] = (),
    tallies: Mapping[str, Tally] | None = None,
    wrong_match_votes: int = 0,
    environment: Environment | None = None,
    asker_error: str | None = None,
) -> Reply:
    """The reply for the best match; `environment` (the asker's pasted versions) marks the workarounds and
    version rows that are for their versions and puts those that are not last."""
    if environment is not None and environment.empty:
        environment = None
    alternatives = tuple(m for m in others if match.score - m.score < ALTERNATIVES_MARGIN)
    if match.confidence is not Confidence.HIGH:
        alternatives = others[:3]
    return Reply(
        entry=match.entry,
        score=match.score,
        confidence=match.confidence,
        workarounds=rank_workarounds(match.entry, tallies, environment, asker_error),
        dead_ends=ranked_dead_ends(match.entry),
        alternatives=alternatives[:3],
        wrong_match_votes=wrong_match_votes,
        environment=environment,
        entry_for_asker=fits(match.entry.applies_to, environment) if match.entry.applies_to else None,
        asker_error=asker_error,
    )


def entry_reply(entry: Entry, tallies: Mapping[str, Tally] | None = None, wrong_match_votes: int = 0) -> Reply:
    """The reply for an entry someone asked for by id: its workarounds ranked by their live fix rates, no
    match behind it (no score, no confidence, no runner-ups, no asker's versions or error line)."""
    return Reply(
        entry=entry,
        score=None,
        confidence=None,
        workarounds=rank_workarounds(entry, tallies),
        dead_ends=ranked_dead_ends(entry),
        alternatives=(),
        wrong_match_votes=wrong_match_votes,
    )


def reply_for(
    result: MatchResult, tallies: Mapping[str, Tally] | None = None, wrong_match_votes: int = 0
) -> Reply | None:
    """The reply for a match's best entry, with the asker's versions and error line from what they pasted;
    `tallies` and `wrong_match_votes` are the votes so far (bot.service reads them from the store)."""
    if not result.matches:
        return None
    return build_reply(
        result.matches[0],
        result.matches[1:],
        tallies,
        wrong_match_votes,
        environment=result.environment,
        asker_error=asker_error_line(result.report),
    )


# The asker's error line is shown as a title: one line, and a title has room for about this much.
ASKER_ERROR_MAX = 240


def asker_error_line(report: ErrorReport) -> str | None:
    """The error line the asker's run ended with (the last one reported), first line only; None when they
    described a symptom in words."""
    if not report.error_lines:
        return None
    line = report.error_lines[-1].text.split("\n", 1)[0]
    # Control characters (a terminal escape sequence in a paste) are never passed on to a renderer.
    line = "".join(ch for ch in line if ch.isprintable()).strip()
    return line[:ASKER_ERROR_MAX] or None
