"""Take a traceback out of the box that `rich` draws around it.

Typer, the Hugging Face and Stable Diffusion tools and many command-line apps print tracebacks with `rich`: a box
(`╭─ Traceback (most recent call last) ─╮`, `│ ... │` on every line, `╰──╯`) around frames written the way IPython
writes them (`/path/train.py:12 in main`) and numbered code (`❱ 12 │ main()`). Inside the borders the frames do not open
their lines, and the blank lines between frames end a traceback; so the borders come off, the blank lines inside go,
and the header becomes the plain one. Only lines with a border at both ends count: pip's `│ exit code: 1` and loguru's
`│ └ 0` value marks have none on the right and stay as they are.

Boxes nest: rich draws an exception group's sub-exceptions as boxes (`Sub-exception #1`) around their traceback's box,
and with `show_locals` each frame's variables in a box of their own inside the traceback's. Each pass takes off one
level of borders, until none is left or `MAX_NESTING` passes have run. The titles that only label a box (`locals`,
`Sub-exception #1`) go; what a `locals` box holds stays, as lines of text: a variable may hold the error's own message
(`message = "A tensor with all NaNs was produced in Unet..."`) where the paste was cut before the exception's line.
"""

from __future__ import annotations

from bot.matching.printed import TRACEBACK_HEADER

_SIDE = "│"
_TOP_LEFT, _TOP_RIGHT = "╭", "╮"
_BOX_CHARS = frozenset("╭╮╰╯─│ \t")
_LOCALS = "locals"
_SUB_EXCEPTION = "Sub-exception #"
# Levels of boxes taken off: a sub-exception's box, its traceback's, a frame's locals, and one to spare.
MAX_NESTING = 4


def _between(stripped: str, left: str, right: str) -> bool:
    """The stripped line opens with `left` and closes with `right`, two characters apart at least."""
    return len(stripped) > 1 and stripped[0] == left and stripped[-1] == right


def _boxed(line: str) -> bool:
    """A side of rich's box or its top, with a border at both ends."""
    stripped = line.strip()
    return _between(stripped, _SIDE, _SIDE) or _between(stripped, _TOP_LEFT, _TOP_RIGHT)


def _title(stripped: str) -> str:
    return stripped.strip("╭╮─ \t")


def _unboxed(line: str) -> str | None:
    """The line without its box, or None when nothing of it is left."""
    stripped = line.strip()
    if _between(stripped, _SIDE, _SIDE):
        inner = stripped[1:-1].rstrip()
        return inner[1:] if inner.startswith(" ") else inner or None
    if _between(stripped, _TOP_LEFT, _TOP_RIGHT):
        title = _title(stripped)
        if title.startswith(TRACEBACK_HEADER):
            return f"{TRACEBACK_HEADER}:"
        return None if title == _LOCALS or title.startswith(_SUB_EXCEPTION) else title or None
    if stripped and set(stripped) <= _BOX_CHARS:
        return None  # the bottom border (or a rule across the box)
    return line


def unbox(text: str) -> str:
    """The text with every `rich` box's borders taken off (see the module's docstring)."""
    if _SIDE not in text and _TOP_LEFT not in text:
        return text
    lines = text.split("\n")
    if not any(_boxed(line) for line in lines):
        return text
    for _ in range(MAX_NESTING):
        lines = [unboxed for line in lines if (unboxed := _unboxed(line)) is not None]
        if not any(_boxed(line) for line in lines):
            break
    return "\n".join(lines)
