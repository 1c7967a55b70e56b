"""An entry pattern's required literal: the substring test that lets a query skip most regex searches.

Skipping a search is only right when no text without the literal can match, so the literal must be inside every
match: checked on the parse of hand-picked shapes and on every bundled pattern's matches in its entry's own text.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.knowledge.patterns import compile_pattern, required_literal


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        (r"CUDA out of memory\. Tried to allocate", "CUDA out of memory. Tried to allocate"),  # escapes undone
        (r'could not select device driver "[^"\n]*" with capabilities', 'could not select device driver "'),
        (r"No module named .?torch\._six", "No module named "),
        (r"x(abc)+y", "abc"),  # a group repeated at least once is there once
        (r"ab(cdefg)?h", "ab"),  # an optional group is not, and it splits the runs around it
        (r"ab(?i:cdefg)h", "ab"),  # nor is a part matched in either case
        (r"(?i)cuda error", ""),  # the whole pattern in either case
        (r"(eval.*mode|not found)", ""),  # one of two: neither is sure
        (r"[Ee]rror: bad", "rror: bad"),  # a class is one of several characters: it ends a run
        ("é€ lit", "é€ lit"),
        (r"unbalanced (", ""),  # the standard parser cannot read it: no literal, the search runs
    ],
)
def test_the_literal_is_the_longest_run_every_match_spells_out(pattern: str, literal: str) -> None:
    assert required_literal(pattern) == literal


def test_every_bundled_pattern_holds_its_literal_in_each_of_its_matches(bundled_engine: Engine) -> None:
    checked = 0
    for entry in bundled_engine.kb.entries:
        texts = [*entry.all_signatures, *entry.symptoms, entry.title]
        for pattern in entry.patterns:
            literal = required_literal(pattern)
            for text in texts:
                for found in compile_pattern(pattern).finditer(text):
                    assert literal in found.group(0), (entry.id, pattern, text)
                    checked += 1
    assert checked > 300  # the patterns are written to match their own signatures: most of them are checked
