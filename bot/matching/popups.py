"""Read the exception popup of VS Code's debugger as the traceback Python would print.

When a script run under VS Code's debugger (debugpy) raises, the editor shows a popup, and what people copy out of it
is neither Python's order nor its form:

    Exception has occurred: RuntimeError       (note: full exception trace is shown but execution is paused at: main)
    mat1 and mat2 shapes cannot be multiplied (64x512 and 256x10)
      File "/home/me/model.py", line 20, in forward
        x = self.fc(x)
      File "/home/me/train.py", line 12, in <module>
        out = model(x)

The class is on a label's line and its message on the next, so no line reads `RuntimeError: mat1 and mat2 ...` and
the message was prose; and the frames come most recent first, so what reads a traceback's last frame as the failing
one (a script shadowing a module, an import cycle) read the outermost. The popup is written back in Python's order
and form: a header, the frames outermost first, then `Class: message` with the message's other lines after it. The class
is returned too: the popup says it is an exception's, whatever it is called (`StopIteration`, `TemplateSyntaxError`).
"""

from __future__ import annotations

import re

from bot.matching.printed import FRAME_START, SHORT_TRACEBACK_HEADER
from bot.matching.restating import restate_reports

_LABEL = "Exception has occurred:"
# The class after the label; debugpy may add its `(note: ...)` after some spaces. Matched at a stripped line's start.
_HEADER = re.compile(re.escape(_LABEL) + r"[ \t]{0,8}(?P<cls>[A-Za-z_][\w.]{0,200})(?:[ \t]|$)")
_FRAME = re.compile(r"[ \t]{0,40}" + re.escape(FRAME_START))
# A message's lines before the frames: the popup shows the exception's str(), which can run to several lines
# (CUDA's advice after its error); past this many it is no popup's message.
MAX_MESSAGE_LINES = 12
# Popups read in one message: the matcher reads a paste's last few errors anyway.
MAX_POPUPS = 16


def _frames_from(lines: list[str], start: int) -> tuple[list[list[str]], int]:
    """The frames starting at `start` (each its `File` line with the source lines indented under it), and the index of
    the first line after them."""
    frames: list[list[str]] = []
    at = start
    while at < len(lines) and _FRAME.match(lines[at]):
        indent = len(lines[at]) - len(lines[at].lstrip())
        unit = [lines[at]]
        at += 1
        while at < len(lines) and lines[at].strip() and not _FRAME.match(lines[at]):
            if len(lines[at]) - len(lines[at].lstrip()) <= indent:
                break  # back at the frames' margin or further left: not this frame's source
            unit.append(lines[at])
            at += 1
        frames.append(unit)
    return frames, at


def _popup(lines: list[str], header_at: int) -> tuple[str, list[str], int] | None:
    """The popup whose header is line `header_at`, written as Python prints it (see `restating.Reader`)."""
    found = _HEADER.match(lines[header_at].strip())
    if found is None:
        return None
    name = found.group("cls")
    message: list[str] = []
    at = header_at + 1
    while at < len(lines) and len(message) < MAX_MESSAGE_LINES and not _FRAME.match(lines[at]):
        if _HEADER.match(lines[at].strip()):
            break  # the next popup
        if not lines[at].strip():
            # A blank line may separate the message from the frames; anything else after one is the paste's own.
            if at + 1 < len(lines) and _FRAME.match(lines[at + 1]):
                at += 1
            break
        message.append(lines[at].strip())
        at += 1
    frames, end = _frames_from(lines, at) if at < len(lines) and _FRAME.match(lines[at]) else ([], at)
    error = f"{name}: {message[0]}" if message else name
    if not frames:
        return name, [error, *message[1:]], at
    # The short header (Django's) opens the frames as Python's does, and the popup written back is never longer than
    # the popup: the text the matcher reads stays within its bound.
    written = [SHORT_TRACEBACK_HEADER] + [line for unit in reversed(frames) for line in unit]
    return name, [*written, error, *message[1:]], end


def restate_popups(text: str) -> tuple[str, frozenset[str]]:
    """The text with each VS Code exception popup written as Python's traceback, and the classes the popups named
    (lower case, without their module: what `extract`'s known classes hold)."""
    if _LABEL not in text:
        return text, frozenset()
    return restate_reports(text.split("\n"), _popup, MAX_POPUPS)
