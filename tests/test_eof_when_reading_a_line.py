"""`EOFError: EOF when reading a line`: input() where nothing is connected for a person to type into.

Before its entry, the pickle entry (`EOFError: Ran out of input`) came first for it at 0.69, within a hundredth of
the threshold for a full page when asked.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import Engine

from .conftest import best_entry_id

ENTRY = "python/eof-when-reading-a-line"


def test_input_with_standard_input_closed_is_answered_by_its_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    # real_traceback runs it with standard input closed, as an editor's output pane, a container without -i or a
    # cron job does: at its end from the start.
    paste = real_traceback('name = input("Enter your name: ")\nprint("hi", name)\n')
    assert "EOFError: EOF when reading a line" in paste
    result = bundled_engine.match(paste, top=3)
    assert result.best is not None and result.best.entry.id == ENTRY


def test_pickles_end_of_input_keeps_its_entry(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, "EOFError: Ran out of input") == "python/pickle-ran-out-of-input"
