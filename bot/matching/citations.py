"""Errors cited in a sentence: where the error a writer quotes or names ends, and which words around it are theirs.

People paste an error inside their own sentence: quoted (`It was giving me "UnicodeDecodeError: ..." after ...`), after
words of theirs ("after upgrading I keep getting RuntimeError: ..."), or, writing Chinese, Japanese or Korean, glued to
their words with no space ("会经常出现RuntimeError: ... 这个问题"). The error is cut where the quote closes or the
sentence goes on, and the writer's words around it are prose, whose words tell a report from talk.
"""

from __future__ import annotations

import re

from bot.matching.text import CJK_LETTERS

Found = tuple[str | None, str, str]  # (exception or None for a console error, message, text from the name on)

# Quotes a sentence puts around an error it cites, and the character that closes each. Not the single quote:
# messages hold those themselves (`No module named 'distutils'`).
_QUOTES = {"`": "`", '"': '"', "\u201c": "\u201d"}
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")  # not \w: a sentence in Chinese goes on right after its closing quote


def _closing_quote(line: str, start: int, skip: int) -> int:
    """Where the quote closes that opens just before `start` (the first `skip` characters, a class name, hold
    none), or -1 when that is no quote or it is not closed on the line."""
    if (closer := _QUOTES.get(line[start - 1])) is None:
        return -1
    end = line.find(closer, start + skip)
    # A quote glued to a word after it opens a name inside the message (`... has model type `dual_ar` but ...`
    # quoted in backticks): it and the quote that closes that name are passed over. Each search goes on from the
    # last: linear.
    while end >= 0 and _ASCII_WORD.match(line, end + 1):
        inner = line.find(closer, end + 1)
        end = line.find(closer, inner + 1) if inner >= 0 else -1
    return end


def unquoted(line: str, start: int, found: Found) -> tuple[Found, str] | None:
    """An error quoted whole inside a sentence (`It was giving me "UnicodeDecodeError: ..." error after ...`,
    "the `ModuleNotFoundError: No module named 'distutils'` occurs because ..."): the error cut at its closing
    quote, and the sentence's own words around it, which are prose (whose words tell talk from a report; empty
    when the quotes hold the whole line); None when the error is not quoted so. `start`: where the error's text
    begins in the line, after something."""
    exc = found[0]
    if (end := _closing_quote(line, start, len(exc or ""))) < 0:
        return None
    cited = line[start:end].strip()
    message = cited[len(exc) :].lstrip(":").strip() if exc and cited.startswith(exc) else cited
    # A class alone, the quote glued to what follows: it was one inside the message (pandas' `KeyError: "['col'] not
    # in index"` quoted in double quotes), and the message lies past it. The line stays whole, as before. (A class
    # quoted alone, `"NotImplementedError: " whenever I run it`, has the sentence go on after a blank.)
    if not message and line[end + 1 : end + 2].strip():
        return None
    return (exc, message, cited), _around(line, start, end)


def _around(line: str, start: int, end: int) -> str:
    """The words of a line around what its quotes hold (from `start` to the closing quote at `end`)."""
    return f"{line[: start - 1].strip()} {line[end + 1 :].strip()}".strip()


# Two words in a row: a sentence, not a prefix (`[rank0]:`, a timestamp, `root - ERROR -`, pytest's `E`). A search
# starts only at a word's start, which it reads once: linear.
_WORDS_BEFORE = re.compile(r"\b[A-Za-z]{2,}[ \t,]+[A-Za-z]{2}")
# Or two CJK characters: a sentence in Chinese, Japanese or Korean before the error it names ("我的代码提示此错误").
_CJK_WORDS = re.compile(f"[{CJK_LETTERS}]{{2}}")


# A character of Chinese, Japanese or Korean text, or of their punctuation (`，`, `。`, `【`).
_CJK_TEXT = re.compile(f"[{CJK_LETTERS}\u3000-\u303f\uff00-\uffef]")
# A single quote that opens or closes a quoted name: not an apostrophe between two letters (`can't`).
_NAME_QUOTE = re.compile(r"(?<![A-Za-z])'|'(?![A-Za-z])")


def cjk_sentence_after(found: tuple[str, str, str]) -> tuple[tuple[str, str, str], str] | None:
    """An English message that runs on into a Chinese, Japanese or Korean writer's sentence (`... is ambiguous
    这个错误，这是怎么回事呢？`): the error cut where that text starts, and the text, which is prose. None when the
    message holds no such text, or no English words before it: an error printed in a CJK locale
    (`[WinError 5] 拒绝访问。`) is all message."""
    exc, message, text = found
    # An ASCII message holds none (Python knows a string is ASCII without reading it): no search for most errors.
    if message.isascii() or (at := _CJK_TEXT.search(message)) is None:
        return None
    inside_quote = len(_NAME_QUOTE.findall(message, 0, at.start())) % 2 == 1
    # Inside a name the message quotes (`No such file or directory: '数据.csv'`): the sentence starts after it. (A
    # quote never closed was the writer's, around the whole error.)
    if inside_quote and (closing := message.find("'", at.start())) >= 0:
        at = _CJK_TEXT.search(message, closing + 1)
        if at is None:
            return None
    if not _WORDS_BEFORE.search(message[: at.start()]):
        return None
    end = at.start()
    # After a colon it is the message's own text in the machine's language, not a writer's: Windows words its
    # system errors in the locale (`DLL load failed: 找不到指定的模块。`), and a writer's sentence runs on without one.
    # Such a message ends at its first full stop; what follows is the writer's (`... 找不到指定的模块。 怎么办`).
    if message[:end].rstrip(" \t").endswith(":"):
        stop = message.find("。", end)
        if stop < 0 or not message[stop + 1 :].strip():
            return None
        end = stop + 1
    kept = message[:end].rstrip(" \t,")
    return (exc, kept, text[: len(text) - len(message)] + kept), message[end:].strip()


def sentence_before(before: str) -> str:
    """The words a sentence puts before an error it names ("after upgrading I keep getting RuntimeError: ..."):
    prose, for the talk cues; empty when nothing but a prefix precedes the error."""
    lead = before.strip()
    return lead if lead and (_WORDS_BEFORE.search(lead) or _CJK_WORDS.search(lead)) else ""


def console_cited(line: str, at: int, until: int) -> tuple[Found, str] | None:
    """A console error quoted in a sentence (`it says "bash: conda: command not found" after ...`; `at`..`until`:
    where its wording matched): the quoted error and the sentence's words around it, as `unquoted` gives them;
    None when no quote opens before the wording and closes after it on the line."""
    opening = max(line.rfind(quote, 0, at) for quote in _QUOTES)
    if opening < 0 or (end := _closing_quote(line, opening + 1, 0)) < until:
        return None
    cited = line[opening + 1 : end].strip()
    return (None, cited, cited), _around(line, opening + 1, end)
