"""`SyntaxError: invalid syntax` is what most syntax mistakes print, and a few specific ones too.

The generic entry (python/invalid-syntax, a `summary`) answers the message as such; where the paste shows what the
specific entries are about (`pip install` typed into Python, a Python 2 print statement), their patterns prove it
and the generic entry yields to them (tests/test_summary_entries.py). Before the generic entry, every syntax mistake
pasted went to the pip entry, whose signatures end in the same line.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

GENERIC = "python/invalid-syntax"


@pytest.mark.parametrize(
    "text",
    [
        "SyntaxError: invalid syntax",
        "my code fails with SyntaxError: invalid syntax and I can't see why",
        # As Python 3.11 prints a missing comma and a keyword used as a name, with and without the file header.
        '  File "main.py", line 1\n    sizes = [10, 20 30]\n                 ^^^^^\n'
        "SyntaxError: invalid syntax. Perhaps you forgot a comma?",
        "    class = 'warrior'\n          ^\nSyntaxError: invalid syntax",
    ],
)
def test_a_syntax_mistake_is_answered_by_the_generic_entry(bundled_engine: Engine, text: str) -> None:
    assert best_entry_id(bundled_engine, text) == GENERIC


def test_other_syntax_errors_keep_their_own_entries(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, "SyntaxError: invalid character '“' (U+201C)") == (
        "python/invalid-character-in-source"
    )
    assert best_entry_id(bundled_engine, "SyntaxError: unexpected EOF while parsing") == "python/unexpected-eof-parsing"
