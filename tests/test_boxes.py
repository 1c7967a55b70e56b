"""Tracebacks that `rich` draws in a box (typer, the Hugging Face and Stable Diffusion tools)."""

from __future__ import annotations

from collections.abc import Callable

from bot.matching.boxes import unbox
from bot.matching.extract import extract

from .test_groups import TASK_GROUP

# The script raises inside a function of its own, and rich prints the traceback boxed, as typer's apps do; a fixed
# width and UTF-8 keep the box the same on every machine.
RICH_SCRIPT = """
import json
import sys
from rich.console import Console

sys.stdout.reconfigure(encoding="utf-8")  # rich draws its box in ASCII for a terminal that cannot show it

def load(s):
    return json.loads(s)

console = Console(width=100, color_system=None, force_terminal=False)
try:
    load("")
except Exception:
    console.print_exception()
"""


def test_a_boxed_traceback_reads_as_a_plain_one(real_traceback: Callable[[str], str]) -> None:
    pasted = real_traceback(RICH_SCRIPT)
    assert "╭" in pasted and "│" in pasted  # rich drew its box
    report = extract(pasted + "\n\nany idea why?")
    assert report.has_traceback
    assert any(frame.endswith("script.py") for frame in report.frames)
    assert any(frame.endswith("decoder.py") for frame in report.frames)  # the library's own frames
    assert [line.exception for line in report.error_lines] == ["JSONDecodeError"]
    assert report.error_lines[0].message.startswith("Expecting value")
    assert report.prose == "any idea why?"  # the code and the borders are not the writer's words


def test_only_lines_boxed_on_both_sides_lose_their_borders() -> None:
    # pip's subprocess output and loguru's value marks draw one border, on the left: they are not rich's box.
    pip = "  × python setup.py egg_info did not run successfully.\n  │ exit code: 1\n  ╰─> See above for output."
    assert unbox(pip) == pip
    loguru = "    occupy_mem(self.local_rank)\n    │          └ 0\n    └ <function occupy_mem at 0x7f52>"
    assert unbox(loguru) == loguru


def test_a_box_of_other_words_keeps_its_title_and_lines() -> None:
    boxed = "╭── Memory Operation Error ──╮\n│ cannot pickle '_thread.lock' object │\n╰────────────────────────────╯"
    assert unbox(boxed) == "Memory Operation Error\ncannot pickle '_thread.lock' object"


# test_groups.py's failing task group, printed by rich with each frame's variables: the sub-exception's box holds its
# traceback's box, which holds a `locals` box per frame. The locals name the error again inside reprs.
RICH_GROUP_SCRIPT = (
    TASK_GROUP
    + """
import sys
from rich.console import Console

sys.stdout.reconfigure(encoding="utf-8")
console = Console(width=100, color_system=None, force_terminal=False)
try:
    asyncio.run(main())
except BaseException:
    console.print_exception(show_locals=True)
"""
)


def test_nested_boxes_come_off_level_by_level(real_traceback: Callable[[str], str]) -> None:
    pasted = real_traceback(RICH_GROUP_SCRIPT)
    assert "Sub-exception #1" in pasted and "locals" in pasted  # rich drew the nested boxes
    unboxed = unbox(pasted)
    assert not any(c in unboxed for c in "╭╮╰╯")  # no border of any level is left (│ also marks code lines)
    assert "Sub-exception" not in unboxed and "locals" not in unboxed.splitlines()  # the labels go
    assert "data = {'a': 1}" in unboxed.splitlines()  # what a frame's locals hold stays, as a line of its own
    report = extract(pasted)
    assert report.has_traceback
    assert any(frame.endswith("script.py") for frame in report.frames)
    assert any(frame.endswith("decoder.py") for frame in report.frames)  # inside the sub-exception's box
    assert report.error_lines[-1].exception == "JSONDecodeError"


def test_a_locals_box_keeps_its_lines_and_loses_its_label() -> None:
    # A paste cut before the exception's line: the message survives only in a frame's variable.
    boxed = '╭── locals ──╮\n│ message = "A tensor with all NaNs was produced in Unet." │\n╰────────────╯'
    assert unbox(boxed) == 'message = "A tensor with all NaNs was produced in Unet."'
