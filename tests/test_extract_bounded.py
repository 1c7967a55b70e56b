"""Extraction's caps bound its work without losing the paste's final exception.

A log can hold thousands of distinct error-looking lines (warnings, retries) before the traceback that
matters. Extraction keeps at most MAX_ERROR_LINES error lines and MAX_ERROR_TEXT_CHARS of their details;
these tests pin that the lines after those caps cost only the per-line checks the traceback state needs,
and that the last exceptions of the paste are still kept. No wall time is asserted: `python -m benchmarks
--hostile` measures it.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

from benchmarks.inputs import traceback
from bot.matching.extract import (
    MAX_CHARS,
    MAX_DETAIL_CHARS,
    MAX_ERROR_LINES,
    MAX_ERROR_TEXT_CHARS,
    ErrorReport,
    extract,
)

# `bot.matching` re-exports the function `extract`, which hides the module of the same name.
extract_module = importlib.import_module("bot.matching.extract")
lines_module = importlib.import_module("bot.matching.lines")
# The line-by-line work is extract's and its helper modules': what a line is, errors cited in a sentence, cmd's
# lines in other languages.
LINE_MODULES = (
    extract_module,
    lines_module,
    importlib.import_module("bot.matching.citations"),
    importlib.import_module("bot.matching.cmd_lines"),
)

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/home/ada/train.py", line 12, in <module>\n'
    "    logits = model(batch)\n"
    "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x10 and 20x5)\n"
)
CHAINED = (
    "Traceback (most recent call last):\n"
    '  File "/home/ada/train.py", line 4, in <module>\n'
    '    config["lr"]\n'
    "KeyError: 'lr'\n"
    "\n"
    "During handling of the above exception, another exception occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    '  File "/home/ada/train.py", line 6, in <module>\n'
    '    raise ValueError("learning rate missing from config")\n'
    "ValueError: learning rate missing from config\n"
)


def _warnings(count: int) -> str:
    """Distinct warning lines, as a long training log prints them before it fails."""
    return "".join(f"/home/ada/lib/opt.py:{i}: UserWarning: option {i} is deprecated\n" for i in range(count))


def _long_errors(count: int) -> str:
    """Distinct error lines long enough that a few fill the details' cap."""
    return "".join(f"ValueError: case {i} " + "not what was expected " * 90 + "\n" for i in range(count))


def _within_caps(report: ErrorReport) -> bool:
    return (
        len(report.error_lines) <= MAX_ERROR_LINES
        and all(len(line.detail) <= MAX_DETAIL_CHARS for line in report.error_lines)
        and sum(len(line.detail) for line in report.error_lines) <= MAX_ERROR_TEXT_CHARS
    )


@pytest.mark.parametrize("before", [_warnings(3 * MAX_ERROR_LINES), _long_errors(20)], ids=["many", "long"])
def test_the_final_exception_after_the_caps_is_kept(before: str) -> None:
    report = extract(before + TRACEBACK)
    assert report.error_lines[-1].exception == "RuntimeError"
    assert report.error_lines[-1].message.startswith("mat1 and mat2 shapes cannot be multiplied")
    assert report.error_lines[-1].in_traceback
    assert _within_caps(report)


def test_a_chained_traceback_after_the_caps_keeps_its_last_exceptions_in_order() -> None:
    report = extract(_warnings(3 * MAX_ERROR_LINES) + CHAINED)
    assert [line.exception for line in report.error_lines[-2:]] == ["KeyError", "ValueError"]
    assert _within_caps(report)


def test_the_first_error_lines_stay_kept_when_the_final_one_joins_them() -> None:
    report = extract(_warnings(3 * MAX_ERROR_LINES) + TRACEBACK)
    assert report.error_lines[0].message == "option 0 is deprecated"
    assert len(report.error_lines) == MAX_ERROR_LINES


def test_an_error_line_repeated_at_the_end_is_not_kept_twice() -> None:
    report = extract(_warnings(3 * MAX_ERROR_LINES) + _warnings(1))
    texts = [line.text for line in report.error_lines]
    assert len(texts) == len(set(texts))


def test_below_the_caps_nothing_moves() -> None:
    text = _warnings(5) + TRACEBACK + _warnings(2)
    report = extract(text)
    assert [line.message for line in report.error_lines] == [
        *(f"option {i} is deprecated" for i in range(5)),
        "mat1 and mat2 shapes cannot be multiplied (64x10 and 20x5)",
    ]


class _CountingPattern:
    """A compiled pattern that counts the searches made through it: the unit of extraction's work per line."""

    def __init__(self, pattern: re.Pattern[str], counts: dict[str, int]) -> None:
        self._pattern = pattern
        self._counts = counts
        self.pattern = pattern.pattern
        self.flags = pattern.flags

    def _count(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self._counts[self.pattern] = self._counts.get(self.pattern, 0) + 1
        return getattr(self._pattern, method)(*args, **kwargs)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        return self._count("search", *args, **kwargs)

    def match(self, *args: Any, **kwargs: Any) -> Any:
        return self._count("match", *args, **kwargs)

    def sub(self, *args: Any, **kwargs: Any) -> Any:
        return self._count("sub", *args, **kwargs)

    def finditer(self, *args: Any, **kwargs: Any) -> Any:
        return self._count("finditer", *args, **kwargs)

    def findall(self, *args: Any, **kwargs: Any) -> Any:
        return self._count("findall", *args, **kwargs)


def _calls_by_pattern(monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for module in LINE_MODULES:
        for name, value in list(vars(module).items()):
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, _CountingPattern(value, counts))
    extract(text)
    monkeypatch.undo()
    return counts


def _pattern_calls(monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    return sum(_calls_by_pattern(monkeypatch, text).values())


# What one more error line may cost once the caps are full: the look that finds it worth a look, and the
# exception parse that tells an exception (which ends a traceback) from prose. The frame, traceback-header
# and IPython patterns need words such an error line does not hold.
PATTERN_CALLS_PER_ERROR_LINE = 3


@pytest.mark.parametrize(
    "line",
    [
        "ValueError: bad value {i}\n",
        # One search more: whether the quote closing the citation is glued to a word (a name inside the message).
        'after upgrading I keep getting "ValueError: bad value {i}" when I run it\n',
        # One search more: whether the words before the error are a sentence or a prefix.
        "after upgrading I keep getting ValueError: bad value {i}\n",
        # A console error's wording, quoted in a sentence: one more (the glued-quote check, as above).
        'after setup it says "bash: tool{i}: command not found" when I run it\n',
    ],
)
def test_error_lines_past_the_caps_cost_a_bounded_number_of_pattern_searches(
    monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    # As many lines as fit under the text bound (MAX_CHARS), far past the caps.
    lines = min(4_000, MAX_CHARS // len(line.format(i=4_000)) // 2 * 2)
    allowed = PATTERN_CALLS_PER_ERROR_LINE + (0 if line.startswith("ValueError") else 1)
    distinct = "".join(line.format(i=i) for i in range(lines))
    fewer = "".join(line.format(i=i) for i in range(lines // 2))
    # The difference between the two pastes is 2,000 error lines past both caps: it is their cost alone.
    per_line = (_pattern_calls(monkeypatch, distinct) - _pattern_calls(monkeypatch, fewer)) / (lines - lines // 2)
    assert per_line <= allowed


def test_the_costly_searches_run_only_on_lines_holding_the_words_they_need(monkeypatch: pytest.MonkeyPatch) -> None:
    # The exception search tries every word start of a frame's long path, the traceback-header search every
    # position: a 60-line traceback spent half its extraction in them, on frames that cannot match either.
    text = traceback(60)
    calls = _calls_by_pattern(monkeypatch, text)
    lines = text.split("\n")
    naming_an_exception = [line for line in lines if re.search("rror|Exception|Warning|Exit|Interrupt|Fault", line)]
    assert calls[lines_module._EXCEPTION.pattern] <= len(naming_an_exception)
    assert calls[lines_module.TRACEBACK_HEAD.pattern] <= sum("Traceback" in line for line in lines)


_sre_parse: Any = importlib.import_module("re._parser")
_sre_constants: Any = importlib.import_module("re._constants")


def _first_op(op: Any, value: Any) -> str:
    """LITERAL, IN (a set of characters), or what else an alternative starts with; a set holding a class such
    as `\\w` is CATEGORY: nearly every character is in it."""
    if op == _sre_constants.IN and any(kind == _sre_constants.CATEGORY for kind, _ in value):
        return "CATEGORY"
    return str(op)


def _first_ops(pattern: re.Pattern[str]) -> list[str]:
    """The kind of the first operation of each top-level alternative of a pattern."""
    (op, value), *rest = list(_sre_parse.parse(pattern.pattern, pattern.flags))
    if op == _sre_constants.BRANCH and not rest:
        return [_first_op(*alternative[0]) for alternative in value[1]]
    return [_first_op(op, value)]


def test_the_per_line_gate_scans_for_first_characters_in_c() -> None:
    # Every line of a paste meets the gate. `re` skips positions whose character starts no alternative, in
    # C, only when every alternative starts with a literal; one `\w` or `^` alternative made it try all 36
    # alternatives at every position of every line: 60% of the time of a 5,000-line log's extraction.
    assert set(_first_ops(lines_module._WORTH_A_LOOK)) <= {"LITERAL", "IN"}


def test_blank_lines_left_by_removed_fences_cost_no_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # Blank-line runs are folded before the fences go; each fence then leaves a blank line of its own.
    assert _pattern_calls(monkeypatch, "```\n" * 10_000) < 10


def test_only_a_line_starting_with_a_space_or_an_arrow_is_tried_as_numbered_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _calls_by_pattern(monkeypatch, "x = 1\n" * 1_000 + "  12 y = 2\n-> 13 z()\n")
    assert calls.get(lines_module._NUMBERED_START.pattern, 0) == 2
