"""Reading a paste's versions skips, outside `pip list` / `conda list` tables, the lines that cannot say anything
(a traceback's frames and code): the environment read is the same as reading every line."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.inputs import SYMPTOM, chat_messages, traceback, training_log
from bot.environment import Environment, _lines, _may_say_something, parse_environment

PASTES = Path(__file__).parent / "fixtures" / "environment"
FIXTURES = sorted(PASTES.glob("*.txt"))
# Both table headers hold this word: a paste with it is read line by line in full, whatever its lines hold.
FULL_READING = "\nVersion"

NEAR_MISSES = [
    "torch 2.1.0",  # a row only inside a table, or padded into columns
    "numpy 1.26.4 py311h64a7726_0",
    "Driver Version 535.54.03",  # nvidia-smi says it with a colon
    "pytorch version 2.1.0",
    "Name Version Build Channel",
    "GPU 0 NVIDIA A100",
    "torch==",
    "~~~~~~~~",
    "# packages in environment at /opt/conda:",
]


def _texts() -> list[str]:
    return [
        *(path.read_text(encoding="utf-8") for path in FIXTURES),
        traceback(60),
        training_log(400),
        SYMPTOM,
        *chat_messages(50),
        *NEAR_MISSES,
    ]


def _every_line() -> list[str]:
    return sorted({line for text in _texts() for line in _lines(text)})


def test_a_line_the_quick_test_passes_over_records_nothing_when_read_in_full() -> None:
    silent = [line for line in _every_line() if not _may_say_something(line)]
    assert len(silent) > 100  # frames, code, log lines and chat: the lines the quick test saves work on
    for line in silent:
        assert parse_environment(line + FULL_READING) == Environment(), line


@pytest.mark.parametrize("text", _texts(), ids=lambda text: text[:30])
def test_a_paste_reads_the_same_as_when_every_line_is_read(text: str) -> None:
    assert parse_environment(text) == parse_environment(text + FULL_READING)


def test_each_line_alone_reads_the_same_as_when_read_in_full() -> None:
    for line in _every_line():
        assert parse_environment(line) == parse_environment(line + FULL_READING), line
