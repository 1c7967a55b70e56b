"""Take off the prefix a launcher or a log puts before every line of a traceback.

`torchrun` writes `[rank0]: ` before each line a rank prints, docker compose `web_1  | `, BuildKit `#12 3.41 `,
journald and logging handlers a timestamp. Behind such a prefix a frame no longer opens its line: it reads as prose,
its library is lost, and the code lines under it count as the writer's words. A prefix is learnt from the lines where
a traceback's header or a frame follows something; when two such lines or more agree on it, it is taken off every line
it opens (a sentence before a frame is said once; journald's `box python3[812]: ` reads like words, so a lone line
tells nothing). Its digits may differ from line to line (ranks, times), its other characters not.
"""

from __future__ import annotations

import re

from bot.matching.printed import FRAME_START, TRACEBACK_HEADER

# What a traceback prints at a line's start once the prefix is off.
_ANCHORS = (TRACEBACK_HEADER, FRAME_START)
# A prefix is a launcher's or a logger's, not a paragraph: the longest in our corpus (a Heroku router timestamp with
# its dyno) is under 60 characters.
MAX_PREFIX_CHARS = 120
# Prefixes are learnt from the first lines that show one; a rank's prefix shows on its traceback's first lines.
# The cap keeps a hostile paste of 100,000 prefixed anchors from costing a Python loop each.
MAX_LEARNING_LINES = 64
# Interleaved ranks or compose services each print their own prefix; a few shapes cover them.
MAX_PREFIXES = 4
# One line is a sentence's chance ("Error: Traceback ..."); two agreeing lines are a prefix.
MIN_AGREEING_LINES = 2

# IPython's header (`KeyError        Traceback (most recent call last)`) names its exception where a prefix would be.
_IPYTHON_NAME = re.compile(r"^[\w.]+[ \t]{2,}\Z")
_DIGITS = re.compile(r"\d+")
_BLANKS = re.compile(r"[ \t]+")


def _lead(line: str) -> str:
    """What comes before the traceback's header or a frame in the line, or "" when none comes after something."""
    found = [at for anchor in _ANCHORS if (at := line.find(anchor)) > 0]
    if not found:
        return ""
    at = min(found)
    if line.startswith("File", at) and '", line ' not in line[at:]:
        return ""  # a file named in a sentence, not a frame
    return line[:at]


def _shape(lead: str) -> str | None:
    """The prefix's shape, digit runs as `0` and blank runs as one blank; None when the lead is no prefix."""
    prefix = lead.rstrip()
    if not prefix or len(prefix) > MAX_PREFIX_CHARS or _IPYTHON_NAME.match(lead):
        return None
    if not any(c.isalnum() for c in prefix):  # Markdown's backticks or bullets around each line, not a log's prefix
        return None
    return _BLANKS.sub(" ", _DIGITS.sub("0", prefix))


def _pattern(shape: str) -> re.Pattern[str]:
    """A shape as an anchored pattern: any digits where it has `0`, any blanks where it has one, one optional blank
    after it (the one that parted the prefix from the line). Runs of the same class never touch: linear."""
    parts = (r"\d+" if c == "0" else r"[ \t]+" if c == " " else re.escape(c) for c in shape)
    return re.compile("".join(parts) + r"[ \t]?")


def line_prefixes(lines: list[str]) -> list[re.Pattern[str]]:
    """The prefixes two anchor lines or more agree on, most frequent first."""
    counts: dict[str, int] = {}
    learnt = 0
    for line in lines:
        if not ('File "' in line or "Traceback (most" in line) or not (lead := _lead(line)):
            continue
        if (shape := _shape(lead)) is not None:
            counts[shape] = counts.get(shape, 0) + 1
        learnt += 1
        if learnt >= MAX_LEARNING_LINES:
            break
    agreed = sorted((s for s, n in counts.items() if n >= MIN_AGREEING_LINES), key=lambda s: -counts[s])
    return [_pattern(s) for s in agreed[:MAX_PREFIXES]]


def _unprefixed(line: str, prefixes: list[re.Pattern[str]]) -> str:
    for prefix in prefixes:
        if m := prefix.match(line):
            return line[m.end() :]
    return line


def strip_line_prefixes(text: str) -> str:
    """The text with the prefixes its traceback lines agree on taken off every line they open."""
    if 'File "' not in text and "Traceback (most" not in text:
        return text
    lines = text.split("\n")
    prefixes = line_prefixes(lines)
    if not prefixes:
        return text
    return "\n".join(_unprefixed(line, prefixes) for line in lines)
