"""Hostile input stays bounded: no regex over user text has a shape that goes quadratic, huge input is
cut before the work starts, and a long entry-pattern search lets other threads (the event loop) run.

Nothing here asserts a wall time; `python -m benchmarks --hostile` measures the times.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
import sys
import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
import regex

import bot.chat
import bot.matching
import bot.render
from benchmarks.hostile import SHAPES
from bot.engine import Engine
from bot.knowledge import patterns
from bot.knowledge.patterns import compile_pattern, search_bounded, search_shape_problem
from bot.matching.extract import (
    MAX_CHARS,
    MAX_DETAIL_CHARS,
    MAX_ERROR_LINES,
    MAX_ERROR_TEXT_CHARS,
    MAX_LINE_CHARS,
    extract,
)

MEGABYTE = 1_000_000


def _modules_reading_user_text() -> list[ModuleType]:
    """Every module of the packages that see message text, found by walking them (a new module is
    checked without being listed here), plus the entry-pattern guard and the engine."""
    names = ["bot.knowledge.patterns", "bot.engine", "bot.reply"]
    for package in (bot.matching, bot.chat, bot.render):
        names += [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    return [importlib.import_module(name) for name in names]


def _patterns_in(value: Any, depth: int = 0) -> Iterator[re.Pattern[str] | regex.Pattern[str]]:
    if isinstance(value, re.Pattern | regex.Pattern):
        yield value
    elif depth < 3 and isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _patterns_in(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item, depth + 1)


def test_no_pattern_over_user_text_has_a_quadratic_shape() -> None:
    found = {
        (module.__name__, name, p.pattern): search_shape_problem(p.pattern, p.flags)
        for module in _modules_reading_user_text()
        for name, value in vars(module).items()
        for p in _patterns_in(value)
        if isinstance(p.pattern, str)
    }
    assert len(found) >= 40  # the walk reached the extraction, normalisation and concept patterns
    assert {key: problem for key, problem in found.items() if problem} == {}


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [
        # The four patterns of issue 8 as they were, and the shapes the check exists for.
        (r"^\s*(?:from|import)\s+(?P<lib>[A-Za-z_]\w*)", re.MULTILINE),
        (r"^\s*(?:ERROR:|error:|fatal:)|command not found", re.MULTILINE),
        (r"Traceback \(most recent call last\)|^\s*Stack trace:|^\s*Traceback:\s*$", re.MULTILINE),
        (r'^\s*File "(?P<path>[^"\n]{1,500})", line \d+', re.MULTILINE),
        (r"\s*x", 0),  # no anchor: every start in a run of spaces scans to its end
        (r"torch\.Size\(\[[^\]]*\]\)", 0),  # the run's class holds the prefix: every `torch.Size([` rescans
        (r"\[\s*-?\d+(?:\s*,\s*-?\d+)*\s*,?\s*\]", 0),  # two `\s*` around an optional comma
        (r"\b[\w.+-]+\.py\b", 0),  # `\b` holds nothing back in `a.a.a.a`
        (r"(?<![\w.])(?::[ \t]*[^\n]*x)", 0),  # overlapping neighbours with something after them
        (r"^(a+)+b", 0),  # a run split between iterations
        (r"(?:\s*\w+)*$", 0),
    ],
)
def test_the_shape_check_names_quadratic_shapes(pattern: str, flags: int) -> None:
    assert search_shape_problem(pattern, flags) is not None


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [
        (r"^\s*x", 0),  # without MULTILINE, `^` starts once
        (r"^[^\S\n]*(?:from|import)[^\S\n]+(?P<lib>[A-Za-z_]\w*)", re.MULTILINE),  # stops at the line end
        (r"\s+", 0),  # nothing after the run can fail
        (r"(?<![\w.])(?:[A-Za-z_]\w*\.)*[A-Z]\w*Error", 0),  # the look-behind allows one start per run
        (r"\b\d+(?:x\d+)+\b", 0),  # `\b` before word characters: one start per word
        (r"\(\s*-?\d+(?:\s*,\s*-?\d+)+(?:\s*,)?\s*\)", 0),  # separated by mandatory characters
        (r"n(?<!\w\w)(?:ot|ever)\b", 0),
    ],
)
def test_the_shape_check_passes_linear_shapes(pattern: str, flags: int) -> None:
    assert search_shape_problem(pattern, flags) is None


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_extraction_cuts_every_hostile_shape_to_bounded_work(shape: str) -> None:
    report = extract(SHAPES[shape](MEGABYTE))
    assert report.truncated
    assert len(report.text) <= MAX_CHARS + 1
    assert max(map(len, report.text.split("\n"))) <= MAX_LINE_CHARS
    assert len(report.error_lines) <= MAX_ERROR_LINES
    assert all(len(line.detail) <= MAX_DETAIL_CHARS for line in report.error_lines)
    assert sum(len(line.detail) for line in report.error_lines) <= MAX_ERROR_TEXT_CHARS


def test_a_paste_of_blank_lines_is_one_blank_line() -> None:
    for blank in ("\n", "\r\n", "\r", "   \n", "\t\u00a0\n"):
        report = extract("first\n" + blank * 50_000 + "last")
        assert report.text == "first\n\nlast"


def test_the_engine_answers_every_hostile_shape(demo_engine: Engine) -> None:
    for make in SHAPES.values():
        result = demo_engine.match(make(MEGABYTE))
        assert result.report.truncated and len(result.report.text) <= MAX_CHARS + 1


# A switch interval no test outlives: with it, a thread holding the GIL keeps it until it blocks or
# releases it on purpose, so whether the main thread runs during a search is not a matter of timing.
SWITCH_NEVER_S = 1_000.0
TICKS = 10_000
# Overlapping alternatives: on 24 `a` and a `!` the search takes tens of milliseconds (it grows like the
# Fibonacci numbers), long enough for the other thread to wake, short enough to finish without a time-out.
EXPONENTIAL = r"^(a|aa)+$"
RUN = "a" * 24 + "!"


def _ticks_during(search: Callable[[], object]) -> int:
    """How many ticks the main thread (standing for the event loop) counts while a worker thread runs
    `search`: all TICKS when the search lets go of the GIL, none when it holds it to the end."""
    finished = threading.Event()

    def work() -> None:
        search()
        finished.set()

    ticks = 0
    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_NEVER_S)
    worker = threading.Thread(target=work)
    try:
        worker.start()
        while not finished.is_set() and ticks < TICKS:
            ticks += 1
    finally:
        sys.setswitchinterval(previous)
        worker.join()
    return ticks


def test_an_entry_pattern_search_lets_other_threads_run() -> None:
    # The control: a search that keeps the GIL (the standard library's) leaves the main thread no tick.
    assert _ticks_during(lambda: re.compile(EXPONENTIAL).search(RUN)) == 0
    slow = compile_pattern(EXPONENTIAL)
    assert _ticks_during(lambda: search_bounded(slow, RUN, timeout=60.0)) == TICKS


def test_pattern_time_outs_log_one_warning_per_query(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This thread's memory of the last text searched starts empty: another test may have searched the same text.
    monkeypatch.setattr(patterns, "_last_search", patterns._LastSearch())
    slow = compile_pattern(r"^(a|aa)+$")
    first, second = "a" * 5_000 + "!", "a" * 4_000 + "!"
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.patterns"):
        # One query searches one region with pattern after pattern (each tier builds an equal region).
        for region in (first, first, "".join([first])):
            assert search_bounded(slow, region, timeout=0.01) is False
        assert search_bounded(slow, second, timeout=0.01) is False  # the next query
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
