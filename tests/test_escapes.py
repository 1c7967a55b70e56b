"""Tracebacks written as escaped strings: a JSON log's record, an API's error body, a Python repr()."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import Engine
from bot.matching.escapes import MAX_LITERALS, unescape, unescape_tracebacks
from bot.matching.extract import extract

# A script that fails inside a function of its own and writes the traceback the three ways a program hands one on:
# a JSON log record (Python's logging with a JSON formatter writes exactly this), the repr() a debugging print shows,
# and the list repr() of `traceback.format_exception`'s lines joined (what an exception's `str()` of a worker shows).
ESCAPING_SCRIPT = """
import json
import traceback

def load(s):
    return json.loads(s)

try:
    load("")
except Exception:
    tb = traceback.format_exc()
    print(json.dumps({"time": "2026-01-02T03:04:05Z", "level": "ERROR", "message": "it's the loader", "exc_info": tb}))
    print("worker failed:", repr(tb))
    print(str(["".join(traceback.format_exc())]))
"""


def _records(printed: str) -> list[str]:
    lines = [line for line in printed.splitlines() if line.strip()]
    assert len(lines) == 3, printed
    return lines


def test_a_traceback_written_as_a_string_reads_as_a_plain_one(real_traceback: Callable[[str], str]) -> None:
    for record in _records(real_traceback(ESCAPING_SCRIPT)):
        assert "\\n" in record and "\n" not in record  # one line, its newlines escaped
        report = extract(record)
        assert report.has_traceback, record
        assert any(frame.endswith("script.py") for frame in report.frames)
        assert any(frame.endswith("decoder.py") for frame in report.frames)  # the library's own frames
        assert [line.exception for line in report.error_lines] == ["json.decoder.JSONDecodeError"]
        message = report.error_lines[0].message
        assert message.startswith("Expecting value: line 1 column 1"), message  # not the JSON's closing quote


def test_the_text_around_the_literal_stays_as_it_was() -> None:
    traceback = "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nKeyError: 'x'\n"
    record = json.dumps({"user": "it's me", "exc": traceback, "retry": 2})
    assert unescape_tracebacks(record) == '{"user": "it\'s me", "exc": "\n' + traceback + '", "retry": 2}'


def test_a_literal_pasted_without_its_quotes_runs_to_its_lines_end() -> None:
    pasted = "Traceback (most recent call last):\\n  File \"a.py\", line 1, in <module>\\nKeyError: 'x'"
    assert unescape_tracebacks("the log says:\n" + pasted + "\nany idea?") == (
        "the log says:\n\nTraceback (most recent call last):\n"
        "  File \"a.py\", line 1, in <module>\nKeyError: 'x'\n\nany idea?"
    )


@pytest.mark.parametrize(
    "text",
    [
        # A plain Windows traceback: `\new` and `\nn` are path separators, not escapes; no escaped header or frame.
        'Traceback (most recent call last):\n  File "C:\\new\\nn\\train.py", line 3, in <module>\nValueError: x',
        "print('\\n' + name)  # code that prints a newline",
        'a message with "quotes" and \\n but no traceback',
        "",
    ],
)
def test_text_without_an_escaped_traceback_is_left_alone(text: str) -> None:
    assert unescape_tracebacks(text) is text


@pytest.mark.parametrize(
    ("literal", "text"),
    [
        ("a\\nb", "a\nb"),
        ("a\\r\\nb", "a\nb"),  # a Windows line end is one line end
        ("C:\\\\Users\\\\new", "C:\\Users\\new"),  # an escaped backslash before an n is no newline
        ("a\\\\\\nb", "a\\\nb"),  # a backslash, then a newline
        ("say \\\"hi\\\" and \\'bye\\'", "say \"hi\" and 'bye'"),
        ("caf\\u00e9 \\xe9", "café é"),
        ("\\ud83d\\ude00", "\U0001f600"),  # JSON's surrogate pair is one character
        ("\\ud83d alone", "\ufffd alone"),  # half a pair could not be written out again
        ("\\d stays", "\\d stays"),  # an escape neither JSON nor Python knows is left as written
        ("\x00 a\\nb \\\\n", "\x00 a\nb \\n"),  # a NUL in the text (the backslash's stand-in) changes nothing
        ("\\u0000 \\\\n", "\x00 \\n"),  # nor does a NUL an escape writes
    ],
)
def test_escapes_read_as_json_and_python_write_them(literal: str, text: str) -> None:
    assert unescape(literal) == text


def test_json_writes_every_text_back_as_it_was() -> None:
    text = 'Traceback (most recent call last):\n  File "C:\\new\\x.py", line 1\n\tKeyError: \'ü 😀 "q"\'\n'
    assert unescape(json.dumps(text)[1:-1]) == text
    assert unescape(json.dumps(text, ensure_ascii=False)[1:-1]) == text
    assert unescape(repr(text)[1:-1]) == text


# Texts made of what makes escaping hard: quotes of both kinds, backslashes next to letters that form escapes, tabs,
# newlines, non-ASCII and a character beyond the BMP (a surrogate pair in JSON), and the NUL the reader uses inside.
_HARD = st.text(alphabet=st.sampled_from([*"\\\"'nrtux0aé\t\n\x00/ ", "\U0001f600"]), max_size=40)


@settings(max_examples=400, deadline=None)
@given(text=_HARD.filter(lambda t: "\r" not in t))
def test_what_json_and_repr_write_reads_back_as_it_was(text: str) -> None:
    assert unescape(json.dumps(text)[1:-1]) == text
    assert unescape(json.dumps(text, ensure_ascii=False)[1:-1]) == text
    written = repr(text)
    assert unescape(written[1:-1]) == text  # whichever quote repr() chose, the other needs no escape


@settings(max_examples=300, deadline=None)
@given(before=_HARD, after=_HARD)
def test_a_json_record_gives_back_its_traceback_whatever_surrounds_it(before: str, after: str) -> None:
    traceback = "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nKeyError: 'x'\n"
    record = json.dumps({"before": before, "exc": traceback, "after": after})
    assert "\n" + traceback in unescape_tracebacks(record)


def test_a_log_of_many_records_is_read_back_up_to_a_bound() -> None:
    record = json.dumps({"exc": 'Traceback (most recent call last):\n  File "a.py", line 1\nKeyError: 1\n'})
    read = unescape_tracebacks("\n".join([record] * (MAX_LITERALS + 10)))
    assert read.count("KeyError: 1\n") == MAX_LITERALS  # the rest stay escaped, not dropped
    assert read.count("KeyError: 1\\n") == 10


def test_a_json_log_record_is_answered_as_its_traceback_is(bundled_engine: Engine) -> None:
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/app/train.py", line 3, in <module>\n'
        "    state = torch.load(path)\n"
        "RuntimeError: Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
        "If you are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') "
        "to map your storages to the CPU.\n"
    )
    plain = bundled_engine.match(traceback)
    logged = bundled_engine.match(json.dumps({"level": "ERROR", "message": "load failed", "exc_info": traceback}))
    assert plain.best is not None and logged.best is not None
    assert logged.best.entry.id == plain.best.entry.id == "pytorch/load-cuda-checkpoint-on-cpu"
    assert logged.best.probability == pytest.approx(plain.best.probability, abs=0.05)
