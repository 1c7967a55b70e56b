"""asyncio's "Task exception was never retrieved": the exception in the task's repr, read as the line Python prints."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.task_reprs import MAX_REPRS, restate_task_reprs

# A task that fails while nothing awaits it: asyncio logs it when the task is collected, as a discord.py bot's
# `client.start()` does with a bad token.
FAILING_TASK = """
import asyncio, gc

class {name}(Exception):
    pass

async def start():
    raise {name}({args})

async def main():
    asyncio.get_running_loop().create_task(start())
    await asyncio.sleep(0.05)

asyncio.run(main())
gc.collect()
"""


def _logged(real_traceback: Callable[[str], str], name: str, args: str) -> list[str]:
    printed = real_traceback(FAILING_TASK.format(name=name, args=args))
    lines = printed.splitlines()
    assert lines[0] == "Task exception was never retrieved"
    assert lines[1].startswith("future: <Task finished ") and " exception=" in lines[1]
    return lines


def test_the_future_line_alone_gives_the_exception(real_traceback: Callable[[str], str]) -> None:
    lines = _logged(real_traceback, "LoginFailure", '"Improper token has been passed."')
    report = extract("\n".join(lines[:2]))  # what is pasted when the traceback under it is cut off
    assert [(e.exception, e.message) for e in report.error_lines] == [
        ("LoginFailure", "Improper token has been passed.")
    ]
    # With the traceback under it, its own last line is read too, and stays the last.
    whole = extract("\n".join(lines))
    assert whole.error_lines[-1].text == "LoginFailure: Improper token has been passed."
    assert whole.has_traceback


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ('"it\'s gone"', "it's gone"),  # repr switches to double quotes around a single quote
        ("'say \"hi\"'", 'say "hi"'),
        ("'a\\\\b'", "a\\b"),  # a backslash in the message is doubled in the repr
        ("'one', 2", "one"),  # more arguments: the first is the message Python prints
        ("'two\\nlines'", "two lines"),  # the message is one line
    ],
)
def test_the_repr_s_string_is_the_message(real_traceback: Callable[[str], str], args: str, message: str) -> None:
    lines = _logged(real_traceback, "VoiceFailure", args)
    report = extract(lines[1])
    assert [(e.exception, e.message) for e in report.error_lines] == [("VoiceFailure", message)]


def test_an_exception_with_no_message_gives_its_name(real_traceback: Callable[[str], str]) -> None:
    lines = _logged(real_traceback, "OpusNotLoaded", "")
    written, classes = restate_task_reprs(lines[1])
    assert written.split("\n") == [lines[1][: lines[1].index(" exception=")], "OpusNotLoaded"]
    assert classes == frozenset({"opusnotloaded"})


@pytest.mark.parametrize(
    "text",
    [
        "raise ClientException('ffmpeg was not found')",  # code that raises is no task's repr
        "I passed exception=ValueError('x') to the callback",  # no task before the mark
        "future: <Task finished coro=<main() done> result=None>",  # a task that did not fail
    ],
)
def test_other_lines_are_left_as_they_are(text: str) -> None:
    assert restate_task_reprs(text) == (text, frozenset())


def test_task_reprs_are_read_up_to_a_bound() -> None:
    one = "future: <Task finished coro=<f() done> exception=ValueError('bad')>\n"
    written, _ = restate_task_reprs(one * (MAX_REPRS + 3))
    assert written.count("\nValueError: bad") == MAX_REPRS


def test_the_voice_error_in_a_repr_finds_its_entry(bundled_engine: Engine) -> None:
    # What a music bot logs when ffmpeg is missing and the traceback under it went to another screen.
    text = (
        "Task exception was never retrieved\n"
        "future: <Task finished name='Task-12' coro=<Music.play() done, defined at /home/me/bot/music.py:40>"
        " exception=ClientException('ffmpeg was not found.')>"
    )
    result = bundled_engine.match(text)
    assert result.best is not None and result.best.entry.id == "python/discord-voice-dependencies"
