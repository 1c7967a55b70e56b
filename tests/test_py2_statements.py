"""A print or exec statement above a bare `SyntaxError: invalid syntax` gets Python 3.10's wording for it."""

from __future__ import annotations

import pytest

from bot.matching.extract import extract
from bot.matching.py2_statements import python2_statement_hint

HINT = "Missing parentheses in call to 'print'. Did you mean print(...)?"


@pytest.mark.parametrize(
    ("code", "word"),
    [
        ('print ", ".join(parts)', "print"),
        ("def f(): print x", "print"),
        ("if verbose:\tprint 'done'", "print"),
        ("exec source_code", "exec"),
    ],
)
def test_a_statement_is_worded_as_its_call(code: str, word: str) -> None:
    hint = python2_statement_hint(["SyntaxError"], ["invalid syntax"], [code])
    assert hint == (0, f"Missing parentheses in call to '{word}'. Did you mean {word}(...)?")


@pytest.mark.parametrize(
    "code",
    ["print(x) y", "print = log", "print.x y", "printer = make printer", "fingerprint x", "x = print", ""],
)
def test_calls_assignments_and_other_names_are_no_statement(code: str) -> None:
    assert python2_statement_hint(["SyntaxError"], ["invalid syntax"], [code]) is None


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        ("SyntaxError", "invalid syntax. Perhaps you forgot a comma?"),  # 3.10+ reads the line itself
        ("SyntaxError", "Missing parentheses in call to 'print'"),
        ("IndentationError", "invalid syntax"),
        (None, "invalid syntax"),
    ],
)
def test_only_a_bare_invalid_syntax_gets_the_wording(exception: str | None, message: str) -> None:
    assert python2_statement_hint([exception], [message], ["print x"]) is None


def test_the_hint_goes_to_the_syntax_error_among_several_lines() -> None:
    hint = python2_statement_hint(["ValueError", "SyntaxError"], ["bad value", "invalid syntax"], ["", "print x"])
    assert hint == (1, HINT)


def test_extraction_adds_it_to_the_traceback_error_line() -> None:
    # As Python 3.9 prints it.
    text = '  File "/tmp/train_py2.py", line 2\n    print ", ".join(parts)\n          ^\nSyntaxError: invalid syntax\n'
    (line,) = extract(text).error_lines
    assert line.detail == f"SyntaxError: invalid syntax {HINT}"
    assert line.message == "invalid syntax"  # what people see is unchanged


def test_a_statement_in_prose_is_not_the_failing_code() -> None:
    text = 'I wrote print "hi" and got\nSyntaxError: invalid syntax\n'
    (line,) = extract(text).error_lines
    assert line.detail == "SyntaxError: invalid syntax"


def test_only_the_code_shown_above_the_syntax_error_counts() -> None:
    # The statement was shown above another error line: the bare SyntaxError's own line showed none.
    hint = python2_statement_hint(["SyntaxError", "ValueError"], ["invalid syntax", "bad value"], ["", "print x"])
    assert hint is None


def test_the_code_line_is_the_source_shown_above_the_caret() -> None:
    text = '  File "/tmp/train_py2.py", line 2\n    print ", ".join(parts)\n          ^\nSyntaxError: invalid syntax\n'
    (line,) = extract(text).error_lines
    assert line.code_line == 'print ", ".join(parts)'
    assert extract("SyntaxError: invalid syntax").error_lines[0].code_line == ""
