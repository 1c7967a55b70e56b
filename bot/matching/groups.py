"""Take the borders off an exception group's traceback.

Python 3.11 prints an `ExceptionGroup` (asyncio's and anyio's task groups raise one for any task that fails, so
FastAPI, httpx and MCP servers print them for everyday errors) with a margin before every line: `+ ` on the group's
first line, `| ` on the others, two more blanks per level of nesting, and rules between the sub-exceptions
(`+-+---------------- 1 ----------------`). Behind the margin a frame no longer opens its line: the frames, and the
code lines under them, read as the writer's words. The margin comes off, the rules go, and each group's header
(`Exception Group Traceback (most recent call last):`) becomes the plain one, so every sub-exception reads as the
traceback it is and the last one's exception ends the paste, as it does in the text.
"""

from __future__ import annotations

_GROUP_HEADER = "Exception Group Traceback (most recent call last)"
_HEADER = "Traceback (most recent call last)"
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
        return _HEADER + inner[len(_GROUP_HEADER) :]
    if inner.startswith(_ELIDED_DEPTH) or (inner.startswith("and ") and inner.rstrip("s").endswith(" more exception")):
        return None
    return inner


def ungroup(text: str) -> str:
    """The text with every exception group's margins and rules taken off (see the module's docstring). A group runs
    from its header's line while lines open with a margin or a rule; a table or a diff elsewhere keeps its marks."""
    if _GROUP_HEADER not in text:
        return text
    kept: list[str] = []
    in_group = False
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if not in_group:
            in_group = stripped[2:].startswith(_GROUP_HEADER) and stripped.startswith(_MARGINS)
        elif not stripped.startswith(("|", "+")):
            in_group = False
        if not in_group:
            kept.append(line)
        elif (ungrouped := _ungrouped(line)) is not None:
            kept.append(ungrouped)
    return "\n".join(kept)
