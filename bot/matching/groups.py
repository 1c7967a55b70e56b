"""Take the borders off an exception group's traceback.

Python 3.11 prints an `ExceptionGroup` (asyncio's and anyio's task groups raise one for any task that fails, so
FastAPI, httpx and MCP servers print them for everyday errors) with a margin before every line: `+ ` on the group's
first line, `| ` on the others, two more blanks per level of nesting, and rules between the sub-exceptions
(`+-+---------------- 1 ----------------`). Behind the margin a frame no longer opens its line: the frames, and the
code lines under them, read as the writer's words. The margin comes off, the rules go, and each group's header
(`Exception Group Traceback (most recent call last):`) becomes the plain one, so every sub-exception reads as the
traceback it is and the last one's exception ends the paste, as it does in the text. People often paste a group's
tail, cut above its header: a run of margined lines holding a frame is read as a group's too.
"""

from __future__ import annotations

from bot.matching.printed import FRAME_START, TRACEBACK_HEADER

_GROUP_HEADER = "Exception Group " + TRACEBACK_HEADER
_MARGINS = ("| ", "+ ")
_RULE_CHARS = frozenset("+- .0123456789")
# What Python writes for the sub-exceptions past `max_group_width` (`and 3 more exceptions`) and the levels past
# `max_group_depth`: a count, no error and no words of the writer's.
_ELIDED_DEPTH = "... (max_group_depth is "


def _ungrouped(line: str) -> str | None:
    """The line without its margin, or None when it is a rule or an elision with nothing to read."""
    stripped = line.lstrip(" ")
    if stripped.startswith("+") and len(stripped) > 1 and set(stripped) <= _RULE_CHARS:
        return None
    if stripped in ("|", "+"):
        return ""
    if not stripped.startswith(_MARGINS):
        return line
    inner = stripped[2:]
    if inner.startswith(_GROUP_HEADER):
        return TRACEBACK_HEADER + inner[len(_GROUP_HEADER) :]
    if inner.startswith(_ELIDED_DEPTH) or (inner.startswith("and ") and inner.rstrip("s").endswith(" more exception")):
        return None
    return inner


def _margined(line: str) -> bool:
    """The line opens, after its indent, with a margin or a rule."""
    return line.lstrip(" ").startswith(("|", "+"))


def _opens_group(line: str) -> bool:
    return line.lstrip(" ")[2:].startswith(_GROUP_HEADER)


def _holds_traceback(run: list[str]) -> bool:
    """A run of margined lines is a group's when, inside the margin, a line is a frame or a traceback's header; a
    Markdown table's or a diff's lines are not."""
    for line in run:
        inner = line.lstrip(" ")[2:]
        frame = inner.lstrip(" ").startswith(FRAME_START) and ", line " in inner
        if frame or inner.startswith((_GROUP_HEADER, TRACEBACK_HEADER)):
            return True
    return False


def ungroup(text: str) -> str:
    """The text with every exception group's margins and rules taken off (see the module's docstring). A group is a
    run of lines that open with a margin or a rule and hold a frame or a traceback's header inside the margin, so a
    paste of a group's tail (cut above its header) is read too, and a table or a diff elsewhere keeps its marks."""
    if "| " not in text or (_GROUP_HEADER not in text and TRACEBACK_HEADER not in text and FRAME_START not in text):
        return text
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if not _margined(lines[i]):
            kept.append(lines[i])
            i += 1
            continue
        # A group's header starts a run of its own: a table just above it is no part of it.
        end = i + 1
        while end < len(lines) and _margined(lines[end]) and not _opens_group(lines[end]):
            end += 1
        run = lines[i:end]
        if _holds_traceback(run):
            kept += [ungrouped for line in run if (ungrouped := _ungrouped(line)) is not None]
        else:
            kept += run
        i = end
    return "\n".join(kept)
