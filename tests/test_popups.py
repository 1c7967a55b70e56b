"""VS Code's exception popup, read as the traceback Python prints."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.matching.extract import ErrorReport, extract
from bot.matching.popups import MAX_POPUPS, restate_popups

# A script that fails two calls deep with a message of two lines, as CUDA's errors and many others have.
FAILING_SCRIPT = """
def load(row):
    raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (64x512 and 256x10)\\nsecond line of the message")

def main():
    load({})

main()
"""


def _popup_of(printed: str, note: str = "") -> str:
    """What people copy out of VS Code's popup for the traceback Python printed: `Exception has occurred: Class`
    (with debugpy's note when execution is paused elsewhere), the message's lines, then the frames most recent first."""
    lines = printed.rstrip("\n").split("\n")
    assert lines[0] == "Traceback (most recent call last):"
    error_at = next(i for i, line in enumerate(lines) if line.startswith("RuntimeError: "))
    frames: list[list[str]] = []
    for line in lines[1:error_at]:
        if line.startswith('  File "'):
            frames.append([line])
        else:
            frames[-1].append(line)
    name, first = lines[error_at].split(": ", 1)
    header = f"Exception has occurred: {name}" + (f"       (note: {note})" if note else "")
    return "\n".join([header, first, *lines[error_at + 1 :], *(line for unit in reversed(frames) for line in unit)])


def _read(report: ErrorReport) -> tuple[object, ...]:
    return (report.has_traceback, report.frames, [(e.exception, e.detail) for e in report.error_lines], report.prose)


@pytest.mark.parametrize("note", ["", "full exception trace is shown but execution is paused at: <module>"])
def test_a_popup_reads_as_the_traceback_python_printed(real_traceback: Callable[[str], str], note: str) -> None:
    printed = real_traceback(FAILING_SCRIPT)
    popup = _popup_of(printed, note)
    assert popup.splitlines()[1] == "mat1 and mat2 shapes cannot be multiplied (64x512 and 256x10)"
    plain = extract(printed)
    assert [e.exception for e in plain.error_lines] == ["RuntimeError"]
    assert plain.frames[-1].endswith("script.py") and len(plain.frames) == 3
    assert _read(extract(popup)) == _read(plain)  # the frames outermost first again, the message's lines after it


def test_a_popup_without_frames_gives_its_error_line() -> None:
    text = "when I run it:\nException has occurred: ValueError\nI/O operation on closed file\n\nany idea?"
    written, classes = restate_popups(text)
    assert written == "when I run it:\nValueError: I/O operation on closed file\n\nany idea?"
    assert classes == frozenset({"valueerror"})


def test_a_blank_line_between_message_and_frames_is_the_popups_own() -> None:
    text = (
        "Exception has occurred: AttributeError\n'dict' object has no attribute 'myget'\n\n"
        '  File "/p/inner.py", line 3, in get\n    return d.myget(k)\n'
        '  File "/p/main.py", line 9, in <module>\n    get({}, "a")\n'
    )
    written, _ = restate_popups(text)
    assert written.split("\n") == [
        "Traceback:",
        '  File "/p/main.py", line 9, in <module>',
        '    get({}, "a")',
        '  File "/p/inner.py", line 3, in get',
        "    return d.myget(k)",
        "AttributeError: 'dict' object has no attribute 'myget'",
        "",
    ]


def test_the_class_a_popup_names_is_read_as_an_exception_whatever_its_name() -> None:
    report = extract("Exception has occurred: StopIteration\ngenerator is empty")
    assert [(e.exception, e.message) for e in report.error_lines] == [("StopIteration", "generator is empty")]


@pytest.mark.parametrize(
    "text",
    [
        "no popup here: Exception has occurred in my code, I think",
        "the label alone says nothing: Exception has occurred:",
        "",
    ],
)
def test_text_without_a_popup_is_left_alone(text: str) -> None:
    assert restate_popups(text) == (text, frozenset())


def test_popups_are_read_up_to_a_bound() -> None:
    one = "Exception has occurred: ValueError\nbad value\n"
    written, _ = restate_popups(one * (MAX_POPUPS + 3))
    assert written.count("ValueError: bad value") == MAX_POPUPS
    assert written.count("Exception has occurred: ValueError") == 3  # the rest stay as they were, not dropped


def test_a_popup_is_answered_as_the_traceback_it_stands_for(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    printed = real_traceback(FAILING_SCRIPT)
    plain = bundled_engine.match(printed)
    popup = bundled_engine.match(_popup_of(printed, "full exception trace is shown but execution is paused at: main"))
    assert plain.best is not None and popup.best is not None
    assert popup.best.entry.id == plain.best.entry.id == "pytorch/mat1-mat2-shape-mismatch"
    assert popup.best.probability == pytest.approx(plain.best.probability)
