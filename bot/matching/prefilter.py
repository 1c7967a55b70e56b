"""The passive pre-filter: clear ordinary chat in microseconds, before any matching.

Most traffic in a watched channel is conversation. The matcher answers unprompted only a message that
holds an error (an exception line, a traceback, console error output) or describes a problem (a problem
cue such as "not", "error", "?") in words the knowledge base uses. This check is a cheap superset of
those conditions: it may pass chat on to the matcher, which then stays silent, but it never clears a
message the matcher would have answered (a test holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.matching.extract import PROBLEM_CUES
from bot.matching.lines import may_hold_error
from bot.matching.text import CONCEPT_PATTERNS, fold_accents, spaced, word_keys


@dataclass(frozen=True)
class Prefilter:
    """`stems` holds every stemmed word the knowledge base's signatures and symptoms use."""

    stems: frozenset[str]

    def may_answer(self, text: str) -> bool:
        """False when the passive matcher cannot answer this message unprompted; True otherwise."""
        if may_hold_error(text):
            return True
        # Read as the matcher reads it (bot.matching.text.features): accents folded, Cyrillic words, CJK pairs.
        lowered = fold_accents(text.lower())
        if not PROBLEM_CUES.search(lowered):
            return False
        if any(w in self.stems for w in word_keys(lowered)):
            return True
        seamed = spaced(lowered)
        return any(pattern.search(seamed) for pattern in CONCEPT_PATTERNS)
