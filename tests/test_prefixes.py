"""Line prefixes that launchers and logs put before a traceback's lines (`[rank0]: `, `web_1  | `, timestamps)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.knowledge.patterns import search_shape_problem
from bot.matching.extract import extract
from bot.matching.prefixes import MAX_PREFIXES, line_prefixes, strip_line_prefixes

CODE = """
import json
def load(s):
    return json.loads(s)
load("")
"""


@pytest.mark.parametrize(
    "prefix",
    [
        "[rank0]: ",  # torchrun
        "web_1  | ",  # docker compose
        "#12 3.41 ",  # BuildKit
        "Dec 06 01:41:09 box python3[812]: ",  # journald
        "2024-05-01T10:00:00.123Z stderr F ",  # Kubernetes' container log
        "[06:50:19.237] ",
    ],
)
def test_a_prefixed_traceback_reads_as_the_plain_one(prefix: str, real_traceback: Callable[[str], str]) -> None:
    pasted = real_traceback(CODE)
    prefixed = "\n".join(prefix + line for line in pasted.splitlines()) + "\n\nany idea?"
    plain, report = extract(pasted), extract(prefixed)
    assert report.frames == plain.frames and report.frames
    assert report.has_traceback
    assert [line.text for line in report.error_lines] == [line.text for line in plain.error_lines]
    assert report.prose == "any idea?"  # the code lines under the frames are not the writer's words


def test_prefixes_whose_digits_differ_are_one_prefix(real_traceback: Callable[[str], str]) -> None:
    # Two ranks fail at once and their lines interleave; a timestamp's digits change from line to line.
    lines = real_traceback(CODE).splitlines()
    prefixed = "\n".join(f"[rank{n % 2}]:[00:00:{n:02d}] {line}" for n, line in enumerate(lines))
    assert strip_line_prefixes(prefixed) == "\n".join(lines)


def test_a_single_prefixed_line_is_left_alone() -> None:
    # One line is not a prefix the traceback agrees on: "TypeError: Traceback ..." is a message that holds one.
    text = 'TypeError: Traceback (most recent call last):\n  File "a.py", line 1, in <module>\nKeyError: 1'
    assert strip_line_prefixes(text) == text
    assert extract(text).error_lines[0].exception == "TypeError"


@pytest.mark.parametrize(
    "text",
    [
        # A sentence before a traceback's header, another before a file's name that is no frame.
        'I keep getting Traceback (most recent call last):\nI keep getting File "a.py" is missing',
        # IPython names the exception where a prefix would stand, in every traceback of a notebook's paste.
        "KeyError                                  Traceback (most recent call last)\n<ipython-input-1> in f()\n"
        "KeyError                                  Traceback (most recent call last)\n",
        # Markdown's backticks around each line: no launcher writes punctuation alone.
        '`Traceback (most recent call last):`\n`  File "a.py", line 1, in <module>`',
    ],
)
def test_what_is_no_prefix_stays(text: str) -> None:
    assert line_prefixes(text.split("\n")) == []
    assert strip_line_prefixes(text) == text


def test_a_few_prefixes_are_learnt_and_their_patterns_are_linear() -> None:
    lines = [f'{name}_1  |   File "a.py", line 1, in f' for name in "abcdefgh" for _ in range(2)]
    prefixes = line_prefixes(lines)
    assert len(prefixes) == MAX_PREFIXES
    assert all(search_shape_problem(p.pattern, p.flags) is None for p in prefixes)


def test_a_full_width_colon_after_an_exception_is_a_colon() -> None:
    report = extract("运行时报错 RuntimeError：CUDA out of memory. Tried to allocate 2.00 GiB")
    assert report.error_lines[0].exception == "RuntimeError"
    assert report.error_lines[0].message == "CUDA out of memory. Tried to allocate 2.00 GiB"
    assert extract("报错信息：无法加载").error_lines == ()  # after Chinese it is Chinese punctuation
