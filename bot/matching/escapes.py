"""Read a traceback that was written as an escaped string back into its lines.

A JSON log (Python's logging with a JSON formatter, docker's and Kubernetes' log files, a cloud console's export), an
API's error body (`{"detail": "Traceback ..."}`) and a Python `repr()` of `traceback.format_exc()` all hold a traceback
as one string literal: its newlines are the two characters `\\n`, its quotes `\\"`. Pasted as it is, the whole
traceback is one line: no frame opens a line, the exception is not at a line's start, and the matcher reads words.
Such a literal is found by what only an escaped traceback holds, an escaped newline right after its header or before
a frame (`last):\\n`, `\\n  File "`), and is written back as lines, between the text before its opening quote and the
text after its closing one. Nothing else is touched: a Windows path's `\\new` in a plain traceback has no such mark.
"""

from __future__ import annotations

import re

# What only a traceback written as an escaped string holds: Python's header followed by an escaped newline, or an
# escaped newline followed by a frame (a JSON string escapes the frame's quote, a repr() does not).
_FRAME = "\\n  File "
_MARKS = ("most recent call last):\\n", _FRAME + '\\"', _FRAME + '"')
# The escapes a traceback's literal holds, read with str.replace (a regex callback per escape costs ten times more on a
# paste of nothing but escapes); \uXXXX and \xXX, rarer, go through the regex. An escape neither knows stays as written.
_REPLACED = (("\\n", "\n"), ("\\t", "\t"), ("\\r", ""), ('\\"', '"'), ("\\'", "'"), ("\\/", "/"))
# A character beyond the BMP is a surrogate pair in JSON (`\ud83d\ude00`): both halves make one character.
_CODE_POINT = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a surrogate pair
    r"|\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})"
)
# Stands in for an escaped backslash while the other escapes are read (a message holding it, or an escape that writes
# it, is read part by part).
_BACKSLASH = "\x00"
# Literals read back in one message: a JSON log of a thousand failed requests holds one traceback a record, and the
# matcher reads a paste's last few error lines anyway.
MAX_LITERALS = 64


def _code_point(match: re.Match[str]) -> str:
    escape = match.group()
    if len(escape) == 12:  # a surrogate pair
        high, low = int(escape[2:6], 16), int(escape[8:], 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    code = int(escape[2:], 16)
    # A lone half of a surrogate pair cannot be encoded again (printing it, storing it); it stands for one character
    # the matcher does not read anyway.
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def _unescape_part(part: str) -> str:
    for escape, character in _REPLACED:
        part = part.replace(escape, character)
    return _CODE_POINT.sub(_code_point, part) if "\\u" in part or "\\x" in part else part


def unescape(literal: str) -> str:
    """A string literal's content (JSON or Python) as the text it stands for; `\\r` goes, so `\\r\\n` is one line end.
    An escaped backslash is taken first, left to right as a reader pairs them, so `\\\\n` stays a backslash and an n."""
    if "\\" not in literal:
        return literal
    if _BACKSLASH not in literal and "\\u0000" not in literal and "\\x00" not in literal:
        # The stand-in can neither be in the text nor come out of an escape: it can only mean a backslash.
        return _unescape_part(literal.replace("\\\\", _BACKSLASH)).replace(_BACKSLASH, "\\")
    return "\\".join(_unescape_part(part) for part in literal.split("\\\\"))


def _escaped(text: str, at: int) -> bool:
    """The character at `at` follows an odd run of backslashes: it is part of an escape, not the literal's end."""
    run = 0
    while at - run - 1 >= 0 and text[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _quote(text: str, mark: int, end: int) -> str:
    """The quote the literal holding `mark` is written between. A JSON string escapes its double quotes, so its
    frames read `File \\"`; Python's repr() of a traceback, which holds double quotes, writes it between single ones
    and leaves the double quotes alone. An apostrophe elsewhere in a JSON log's line is no quote of the literal."""
    frame = text.find(_FRAME, mark, end)
    return "'" if frame >= 0 and text.startswith('"', frame + len(_FRAME)) else '"'


def _opening_quote(text: str, quote: str, start: int, mark: int) -> int:
    """The unescaped `quote` nearest before `mark` and at or after `start`, or -1 (the literal opens the line)."""
    at = mark
    while True:
        at = text.rfind(quote, start, at)
        if at < 0 or not _escaped(text, at):
            return at
        # An escaped quote inside the literal: keep looking further left.


def _closing_quote(text: str, quote: str, after: int, end: int) -> int:
    """The first unescaped `quote` after `after` and before `end`, or `end`."""
    at = after
    while True:
        at = text.find(quote, at, end)
        if at < 0:
            return end
        if not _escaped(text, at):
            return at
        at += 1


class _Marks:
    """Where the next mark of each kind is, found once and again only once passed: a message holding one kind and
    none of another costs one scan of the text per kind, not one per literal."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._next = {mark: text.find(mark) for mark in _MARKS}

    def first(self, start: int) -> int:
        """The first mark at or after `start`, or -1."""
        for mark, at in self._next.items():
            if 0 <= at < start:
                self._next[mark] = self._text.find(mark, start)
        found = [at for at in self._next.values() if at >= 0]
        return min(found) if found else -1


def unescape_tracebacks(text: str) -> str:
    """The text with every string literal that holds an escaped traceback written out as lines (see the module)."""
    if "\\n" not in text:
        return text
    marks = _Marks(text)
    parts: list[str] = []
    done = 0  # text[:done] is in parts already
    for _ in range(MAX_LITERALS):
        mark = marks.first(done)
        if mark < 0:
            break
        # A literal lies within one line of the message: its own newlines are escaped.
        line_start = max(done, text.rfind("\n", 0, mark) + 1)
        line_end = text.find("\n", mark)
        line_end = len(text) if line_end < 0 else line_end
        quote = _quote(text, mark, line_end)
        opening = _opening_quote(text, quote, line_start, mark)
        if opening >= 0:
            content_start, closing = opening + 1, _closing_quote(text, quote, mark, line_end)
        else:  # pasted without its opening quote: the literal runs from the line's start to its end
            content_start, closing = line_start, line_end
        parts.append(text[done:content_start])
        parts.append("\n" + unescape(text[content_start:closing]).strip("\n") + "\n")
        done = closing
    parts.append(text[done:])
    return "".join(parts)
