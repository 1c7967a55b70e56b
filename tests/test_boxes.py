"""Tracebacks that `rich` draws in a box (typer, the Hugging Face and Stable Diffusion tools)."""

from __future__ import annotations

from collections.abc import Callable

from bot.matching.boxes import unbox
from bot.matching.extract import extract

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
