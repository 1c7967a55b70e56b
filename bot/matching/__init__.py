"""Matching: message text -> extraction -> normalisation -> ranked entries. Knows nothing of Discord."""

from bot.matching.extract import ErrorReport, extract
from bot.matching.index import MatchIndex, build_index, build_indexes
from bot.matching.matcher import Confidence, Match, Matcher, MatchResult, Thresholds

__all__ = [
    "Confidence",
    "ErrorReport",
    "Match",
    "MatchIndex",
    "MatchResult",
    "Matcher",
    "Thresholds",
    "build_index",
    "build_indexes",
    "extract",
]
