"""Read the exception asyncio names in a task's repr as the line Python would print.

When a task fails and nothing awaits it, asyncio logs the task when it is collected, and discord.py bots, aiohttp
servers and every other asyncio program print it the same way:

    Task exception was never retrieved
    future: <Task finished name='Task-4' coro=<Client.start() done, defined at ...> exception=LoginFailure('Improper
    token has been passed.')>          (one line, cut here to fit)

The traceback may follow, ending with `discord.errors.LoginFailure: Improper token has been passed.`, but often what
is pasted stops at the `future:` line: the exception is there only as its repr, `Class('message')`, which no line
opens, so the matcher had words alone. The repr is written out as the line it spells, `Class: message`, on a line of
its own under the rest of the `future:` line; and since asyncio says the name is an exception's, its line reads as an
error whatever the class is called (`LoginFailure`, `OpusNotLoaded`).
"""

from __future__ import annotations

import re

from bot.matching.escapes import unescape
from bot.matching.restating import restate_reports

_MARK = "exception="
# asyncio's repr of a task or future that holds an exception: `<Task finished ... exception=Class(...)>`, `<Future
# finished exception=...>`. The class is what follows the mark, up to `(`; its arguments follow. Matched at the mark
# (found with str.find, as is the `<Task`/`<Future` before it), so each line is read once whatever it holds.
_OPENERS = ("<Task ", "<Future ")
_CLASS = re.compile(r"(?P<cls>[A-Za-z_][\w.]{0,200})\((?P<args>[^\n]{0,2000})")
# The first argument when it is a string literal: the exception's message, as repr writes it (either quote; its
# backslash escapes left for `_message`). Each step consumes a character the next cannot, so it runs in linear time.
_FIRST_STRING = re.compile(r"""'(?P<single>(?:[^'\\\n]|\\.){0,2000})'|"(?P<double>(?:[^"\\\n]|\\.){0,2000})\"""")
# Reprs read in one message: a log of failed tasks repeats them; the matcher reads a paste's last few errors.
MAX_REPRS = 16


def _message(literal: str) -> str:
    """The message a repr's string literal spells (`escapes.unescape`, which reads Python's literals as JSON's), its
    line breaks and tabs as spaces: the message is written on one line."""
    return unescape(literal).replace("\n", " ").replace("\t", " ")


def _task(lines: list[str], i: int) -> tuple[str, list[str], int] | None:
    """The exception a task's repr on line `i` holds, written under it (see `restating.Reader`)."""
    line = lines[i]
    mark = line.find(_MARK)
    if mark < 0 or not any(line.rfind(opener, 0, mark) >= 0 for opener in _OPENERS):
        return None
    found = _CLASS.match(line, mark + len(_MARK))
    if found is None:
        return None
    name = found.group("cls")
    literal = _FIRST_STRING.match(found.group("args"))
    message = _message(literal.group("single") or literal.group("double") or "") if literal else ""
    # The repr gives way to the line it spells, so the text never grows (what extraction reads stays within its
    # bound): what followed the message in it (`,)>`, more arguments) is the repr's, not the message's.
    return name, [line[:mark].rstrip(), f"{name}: {message}" if message.strip() else name], i + 1


def restate_task_reprs(text: str) -> tuple[str, frozenset[str]]:
    """The text with the exception of each failed task's repr written on a line of its own, and the classes they named
    (lower case, without their module: what `extract`'s known classes hold)."""
    if _MARK not in text:
        return text, frozenset()
    return restate_reports(text.split("\n"), _task, MAX_REPRS)
