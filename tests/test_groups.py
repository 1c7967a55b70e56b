"""Exception groups as Python prints them: a margin before every line, rules between the sub-exceptions."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.groups import ungroup

# A task group whose task fails, as a FastAPI or MCP server's does; test_boxes.py prints the same failure with rich.
TASK_GROUP = """
import asyncio
import json

def load(s):
    data = {"a": 1}
    return json.loads(s)

async def work():
    load("")

async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(work())
"""
# Run as it is, Python prints the group with its margins.
TASK_GROUP_SCRIPT = TASK_GROUP + "\nasyncio.run(main())\n"

# Twenty sub-exceptions, more than the 15 Python prints, one group nested in another.
WIDE_AND_NESTED_SCRIPT = """
errors = [ValueError(f"bad value {i}") for i in range(20)]
raise ExceptionGroup("outer", [ExceptionGroup("inner", errors), KeyError("missing")])
"""


def test_a_task_groups_traceback_reads_as_plain_tracebacks(real_traceback: Callable[[str], str]) -> None:
    pasted = real_traceback(TASK_GROUP_SCRIPT)
    assert "Exception Group Traceback (most recent call last)" in pasted and "  | " in pasted  # Python's margins
    report = extract(pasted + "\nwhat am I missing?")
    assert report.has_traceback
    assert any(frame.endswith("script.py") for frame in report.frames)
    assert any(frame.endswith("taskgroups.py") for frame in report.frames)  # the group's own frames
    assert any(frame.endswith("decoder.py") for frame in report.frames)  # the sub-exception's
    assert report.error_lines[-1].exception == "json.decoder.JSONDecodeError"
    assert report.prose == "what am I missing?"  # the frames' code lines are no longer the writer's words


def test_margins_rules_and_counts_come_off_at_every_depth(real_traceback: Callable[[str], str]) -> None:
    pasted = real_traceback(WIDE_AND_NESTED_SCRIPT)
    assert "and 5 more exceptions" in pasted  # Python elided what is past its width
    ungrouped = ungroup(pasted)
    lines = ungrouped.splitlines()
    assert not [line for line in lines if line.lstrip().startswith(("|", "+"))]
    assert "more exceptions" not in ungrouped
    assert "ValueError: bad value 14" in lines and "KeyError: 'missing'" in lines  # at their own line's start
    assert lines[0] == "Traceback (most recent call last):"


def test_text_without_an_exception_group_is_left_alone() -> None:
    table = "| a | b |\n+---+---+\n| 1 | 2 |\n+ added line"
    assert ungroup(table) is table


def test_only_the_groups_own_lines_lose_their_margins(real_traceback: Callable[[str], str]) -> None:
    table = "| a | b |\n+---+---+\n| 1 | 2 |"
    pasted = "before:\n" + table + "\n" + real_traceback(WIDE_AND_NESTED_SCRIPT) + "\nafter:\n" + table
    ungrouped = ungroup(pasted)
    assert ungrouped.startswith("before:\n" + table + "\nTraceback (most recent call last):\n")
    assert ungrouped.endswith("\nafter:\n" + table)


def test_a_task_groups_paste_is_answered_as_its_error(
    real_traceback: Callable[[str], str], bundled_engine: Engine
) -> None:
    pasted = real_traceback(
        "import asyncio\n"
        "async def work():\n"
        "    import torch_nonexistent_module\n"
        "async def main():\n"
        "    async with asyncio.TaskGroup() as tg:\n"
        "        tg.create_task(work())\n"
        "asyncio.run(main())\n"
    )
    best = bundled_engine.match(pasted).best
    assert best is not None and best.entry.id == "python/module-not-found"


def test_a_groups_tail_cut_above_its_header_is_read_too(real_traceback: Callable[[str], str]) -> None:
    # People paste what their terminal still shows: the sub-exceptions, without the group's first lines.
    pasted = real_traceback(TASK_GROUP_SCRIPT)
    tail = pasted[pasted.index("  +-+--") :]
    assert "Exception Group Traceback" not in tail
    report = extract("I only get this:\n" + tail)
    assert any(frame.endswith("decoder.py") for frame in report.frames)
    assert report.error_lines[-1].exception == "json.decoder.JSONDecodeError"
    assert report.prose == "I only get this:"
