"""The gaps loop: errors people reported that the bot could not answer, counted by fingerprint.

An unanswered error report is reduced to a fingerprint, the way error groupers (Sentry) group events:
its last error line (the exception that ended the run), masked by `bot.matching.normalize` so that two
reports differing only in numbers, shapes, paths or quoted names share one fingerprint. Only that
masked line, its hash, the exception type and counts are kept: never the message, never who sent it.
Curators read the most frequent ones (`knownfix kb gaps`, `/kb gaps`) to decide what to write next.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.matching.normalize import normalize

if TYPE_CHECKING:
    from bot.matching.extract import ErrorReport
    from bot.matching.matcher import MatchResult

# How fingerprints are computed. Stored with each one: a later change to the masking or to the choice of
# line bumps it, so old counts stay apart from new ones instead of being scrambled into them.
FINGERPRINT_SCHEME = 1
# An error line is cut to this before masking: enough to tell errors apart, bounded for a 2 MB paste.
LINE_CHARS = 400
# The stored masked line is cut to this: it is shown in a Discord list, one line per gap.
STORED_LINE_CHARS = 300
# Hex digits of sha256 kept: 64 bits, no collision in any table this bot will hold.
HASH_HEX_DIGITS = 16
# How many gaps `kb gaps` lists by default: a curator's reading list, not a dump.
DEFAULT_SHOWN = 15


@dataclass(frozen=True, slots=True)
class Fingerprint:
    hash: str
    scheme: int
    line: str  # the normalised, masked error line
    exception: str | None
    candidate: str | None = None  # the closest entry id, when there was one


@dataclass(frozen=True, slots=True)
class Gap:
    """A fingerprint with its counts, as the store returns it."""

    hash: str
    scheme: int
    line: str
    exception: str | None
    count: int
    first_seen: str
    last_seen: str
    candidate: str | None


def fingerprint(report: ErrorReport, candidate: str | None = None) -> Fingerprint | None:
    """The fingerprint of the report's last error line; None when the report has no error line."""
    if not report.error_lines:
        return None
    last = report.error_lines[-1]
    line = normalize(last.text[:LINE_CHARS])[:STORED_LINE_CHARS]
    if not line:
        return None
    digest = hashlib.sha256(f"{FINGERPRINT_SCHEME}\n{line}".encode()).hexdigest()[:HASH_HEX_DIGITS]
    return Fingerprint(digest, FINGERPRINT_SCHEME, line, last.exception, candidate)


def unanswered_gap(result: MatchResult) -> Fingerprint | None:
    """The gap a match result shows: an error report without a confident answer (the asked-mode
    decision), fingerprinted; None when the message was no error report or the bot could answer it.

    Passive mode's stricter silence alone is no gap: the knowledge has the entry, only not surely
    enough to speak unprompted."""
    if result.answer or not result.report.error_lines:
        return None
    return fingerprint(result.report, result.best.entry.id if result.best else None)


def gaps_text(gaps: list[Gap], width: int = STORED_LINE_CHARS) -> str:
    """The list a curator reads: count, exception, masked line, closest entry."""
    if not gaps:
        return "No unanswered errors recorded yet.\n"
    lines = []
    for gap in gaps:
        closest = f"  (closest: {gap.candidate})" if gap.candidate else ""
        lines.append(f"{gap.count:>5} × {gap.line[:width]}{closest}  [last {gap.last_seen[:10]}]")
    return "\n".join(lines) + "\n"
