"""What one line of a paste is: an exception line, a traceback's header or frame, IPython's numbered code, console
error output of a tool.

Extraction (`extract.py`) reads a paste line by line and asks these questions of each line. Every pattern is
anchored or bounded, so each costs time linear in its line, and the costly ones run only on a line holding the words
they need (`worth_a_look`, `may_be_header`, `may_be_frame`): a 5,000-line log is mostly lines that one search settles.
`may_hold_error` asks the same of a whole text at once, for the passive pre-filter.
"""

from __future__ import annotations

import re

from bot.matching.cmd_lines import MARKS as CMD_MARKS
from bot.matching.cmd_lines import cmd_not_recognized
from bot.matching.text import phrase_pattern

# Whitespace within one line. `\s*` after `^` under MULTILINE would run on across the blank lines that
# follow from every line start, which is quadratic in a paste of blank lines; this stops at the line's end.
BLANK = r"[^\S\n]"
TRACEBACK_HEAD = re.compile(rf"Traceback \(most recent call last\)|^{BLANK}*Stack trace:|^{BLANK}*Traceback:{BLANK}*$")
# IPython and Jupyter print `NameError    Traceback (most recent call last)` and frames such as
# `~/project/train.py in main(cfg)` or `File ~/project/train.py:12, in main(cfg)`.
# Any class can head it (`Unsupported`, `ConnectTimeout`); one not named like an error needs IPython's
# padding of two or more spaces, which a sentence ("This Traceback (most recent ...") does not have.
_IPYTHON_TRACEBACK = r"Traceback \(most recent call last\)"
IPYTHON_HEAD = re.compile(
    rf"^{BLANK}*(?P<exc>(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt))\s+{_IPYTHON_TRACEBACK}"
    rf"|^{BLANK}*(?P<any>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*){BLANK}{{2,}}{_IPYTHON_TRACEBACK}"
)
# Colab copies a frame's path as a Markdown link: `[/usr/lib/.../saving.py](https://localhost:8080/#) in load(f)`.
IPYTHON_FRAME = re.compile(
    rf"^{BLANK}*(?:File\s+)?\[?(?P<path>[~/\\A-Za-z][^\s\]]*\.py)(?:\]\([^\s)]{{0,300}}\))?(?::\d+)?,?\s+in\s+[\w<]"
)
IPYTHON_CODE = re.compile(rf"^{BLANK}*-*>\s*\d+\s|^{BLANK}+\d+\s")
# The line IPython's arrow points at, and the source on it.
IPYTHON_ARROW = re.compile(rf"^{BLANK}*-{{1,20}}>{BLANK}*\d+(?:{BLANK}(?P<code>.*))?$")
# A Python statement a person pasted right above the error it raised, outside any traceback: an assignment from a
# call (`model_config = json.loads(cfg.decode('utf-8'))`) or a call alone (`tokenizer.save_pretrained(path)`).
# Prose rarely has `name = ...(` or a whole line that is `name(...)`; the left side has no spaces, so "I ran x = f()"
# is prose. Anchored, bounded left side: linear.
CODE_STATEMENT = re.compile(
    rf"^{BLANK}*(?:return{BLANK}+)?[A-Za-z_][\w.\[\]'\",]{{0,120}}{BLANK}*={BLANK}*[^=\s][^\n]*\("
    rf"|^{BLANK}*(?:return{BLANK}+|await{BLANK}+)?[A-Za-z_][\w.]{{0,120}}\([^\n]*\){BLANK}*$"
)
# A caret line under the source (`^^^^^`, `~~~^~~~`).
CARETS = re.compile(rf"^{BLANK}*[\^~]+{BLANK}*$")
FRAME = re.compile(rf'^{BLANK}*File "(?P<path>[^"\n]{{1,500}})", line \d+')
WARNING_FRAME = re.compile(r"^(?P<path>[^\s:][^:\n]{0,300}\.py):\d+: (?=\w*Warning)")
CHAIN = re.compile(
    rf"During handling of the above exception|The above exception was the direct cause|^{BLANK}*\^+{BLANK}*$"
)
# `SomethingError: message`, `pkg.mod.SomethingError: message`, `cv2.error: ...`, anywhere in a line
# (people write "I get RuntimeError: ..."), optionally after pytest's `E   ` or a warning's location.
_EXCEPTION = re.compile(
    r"(?<![\w.])(?P<exc>(?:[A-Za-z_]\w*\.)*(?:_?[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt|Fault)|StopIteration)"
    # `error` alone is an exception's name only with its module (`cv2.error`): "I get this error: ..." is a sentence.
    r"|(?:[A-Za-z_]\w*\.)+error)"
    # A blank may stand before the colon (`ValueError : Unable to create tensor`, typed as French and others space it).
    r"(?:[ \t]?:(?P<msg>[^\n]*)|[ \t]*$)",
    # ASCII word characters: a sentence in Chinese or Japanese runs straight into the class it names, no space between
    # ("会经常出现RuntimeError: CUDA error: ..."), and class names are ASCII.
    flags=re.ASCII,
)
# `httpx.ConnectTimeout: ...`, `psycopg2.errors.UndefinedTable: ...` opening a line (after pytest's `E` too):
# a module path before a class name says exception even when the class is not called an error. Only at a
# line's start, because prose and code quote types (`-> torch.Tensor: ...`); module parts of two characters
# or more keep "i.e.This: ..." out, and a message must follow.
_QUALIFIED_EXCEPTION = re.compile(
    rf"^{BLANK}*(?:E{BLANK}+)?(?P<exc>(?:[a-z_]\w+\.)+_?[A-Z]\w*):[ \t]*(?P<msg>\S[^\n]*)", re.MULTILINE
)
# A class the knowledge base files an error under, opening a line with a message (`ImproperlyConfigured: ...`,
# `EnvironmentNameNotFound: ...`): an exception outside a traceback too, though not named like one. Only a name the
# knowledge base knows and written as a compound (two capitals or more), so "PyTorch: 2.1" in an environment dump
# and "Forbidden: ..." in prose stay prose. Anchored, one bounded name: linear.
_KNOWN_CLASS_LINE = re.compile(
    rf"^{BLANK}*(?:E{BLANK}+)?(?P<exc>_?[A-Z][a-z0-9_]{{0,100}}[A-Z][A-Za-z0-9_]{{0,100}}):[ \t]*(?P<msg>\S[^\n]*)"
)
# The line where a traceback prints its exception, read as such whatever the class is called: a class
# (`Unsupported`, `httpx.ReadTimeout`, with or without a message) or a short capitalised head such as
# `Compilation Error: ...`. Capitals, as class names have, keep a code line that lost its indent
# (`if x: return`, `self.size: int = 3`) from reading as an error.
_SLOT_NAME = re.compile(r"^(?P<exc>(?:[A-Za-z_]\w*\.)*_?[A-Z]\w*)(?::(?P<msg>[^\n]*)|[ \t]*$)")
_SLOT_HEAD = re.compile(r"^[A-Z][\w.-]*(?: [\w.-]+){1,2}:[ \t]*(?P<msg>\S[^\n]*)")
# A line opening with a name, any case: IPython's last line for the class its header named (`error: ...`).
_NAME_LINE = re.compile(r"^(?P<exc>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?::(?P<msg>[^\n]*)|[ \t]*$)")
# Console errors of other tools too, when they open a line: rustc `error[E0502]:`, tsc `error TS2339:`,
# Go `panic:`, Rust `thread 'main' panicked at`, PHP `PHP Fatal error:`, C compilers `fatal error:`, MySQL
# `ERROR 1045 (28000):`, git `CONFLICT (content):`; Kubernetes pod states anywhere in a `kubectl get` row; an HTTP
# status with an API's own error code, as discord.py words its HTTPException (`400 Bad Request (error code: 50035):`),
# pasted without the class.
_CONSOLE_ERROR = re.compile(
    # argparse's `prog: error: message` (a script or a command name: `train.py: error: unrecognized arguments`)
    rf"^{BLANK}*(?:[\w.\-/\\]{{1,100}}: error: |ERROR:|error:|Error:|fatal:|FATAL:|E:|×|CUDA error|npm ERR!"
    r"|Segmentation fault|Killed\b"
    r"|error\[\w+\]:|error [A-Z]+\d+:|ERROR \d+ \(\w+\):|panic: |thread '[^'\n]{0,200}' panicked at"
    r"|(?:PHP )?(?:Fatal|Parse) error: |fatal error: |CONFLICT \("
    r"|[1-5]\d\d [A-Z][A-Za-z ]{1,40} \(error code: \d{1,7}\):)"
    r"|CrashLoopBackOff|ImagePullBackOff|ErrImagePull|OOMKilled"  # plain literals: `\b` slowed the scan 2x
    r"|command not found|is not recognized as an internal or external command|has failed because"
    r"|is not recognized as the name of a cmdlet"  # PowerShell's CommandNotFoundException
    r"|core dumped|cannot open shared object file|No such file or directory|not found \(required by"
    r"|The kernel appears to have died|Solving environment: failed|Could not find a version"
    r"|Error response from daemon|exit code:? \d+|returned non-zero exit status",
)
_CONSOLE_ERROR_ANYWHERE = re.compile(_CONSOLE_ERROR.pattern, re.MULTILINE)
# A superset of _QUALIFIED_EXCEPTION for the quick check: unanchored, it skips a paste of blank lines
# without trying a match at every line start.
_QUALIFIED_ANYWHERE = re.compile(r"(?<![\w.])(?:[a-z_]\w+\.)+_?[A-Z]\w*:[ \t]*\S")
_TRACEBACK_HEAD_ANYWHERE = re.compile(TRACEBACK_HEAD.pattern, re.MULTILINE)
_FRAME_ANYWHERE = re.compile(FRAME.pattern, re.MULTILINE)


def may_hold_error(text: str) -> bool:
    """A quick superset of "extraction would find an error line or a traceback here"."""
    return bool(
        _EXCEPTION.search(text)
        or (":" in text and _QUALIFIED_ANYWHERE.search(text))  # the `in` test scans in C, faster still
        or _CONSOLE_ERROR_ANYWHERE.search(text)
        or cmd_not_recognized(text) is not None
        or _TRACEBACK_HEAD_ANYWHERE.search(text)
        or _FRAME_ANYWHERE.search(text)
    )


# Every line any of the patterns above can act on contains one of these, or starts as an IPython code line
# (_NUMBERED_START); other lines skip them all. Every alternative starts with a literal,
# so `re` skips in C the positions whose character starts none (see phrase_pattern): one `\w` or `^`
# alternative made it try all of them at every position of every line, 60% of a long log's extraction.
_WORTH_A_LOOK = re.compile(
    phrase_pattern(
        [
            "Traceback", "Stack trace", "File ", "Error", "error", "Exception", "Warning", "Exit", "Interrupt",
            "Fault", "fault", "StopIteration", "ERR", "fatal", "FATAL", "E:", "Killed", "command not found",
            "not recognized", "has failed", "core dumped", "shared object", "No such file", "not found",
            "kernel appears", "Solving environment", "Could not find", "exit code", "exit status", "panic",
            "CONFLICT", "BackOff", "ErrImagePull", *CMD_MARKS,
        ]
    ).pattern
    # `.py`, and a dotted name before a colon (`\w\.\w+:`) with its word character checked after the dot.
    + r"|\.(?:py|(?<=\w\.)\w+:)|×"
)  # fmt: skip


# The start of a numbered code line of IPython's (a superset of IPYTHON_CODE), for the gate below.
_NUMBERED_START = re.compile(rf"^{BLANK}*-*>\s*\d|^{BLANK}+\d+\s")


def worth_a_look(line: str) -> bool:
    if _WORTH_A_LOOK.search(line):
        return True
    first = line[:1]  # _NUMBERED_START needs a space, `-` or `>` first: most lines are settled without it
    return (first.isspace() or first in ("-", ">")) and _NUMBERED_START.match(line) is not None


# Words without which a pattern cannot match: a substring test runs in C in a fraction of the time of the
# search it spares (the exception search tries every word start of a 100-character frame path: 10 us).
def may_be_header(line: str) -> bool:
    """IPYTHON_HEAD and TRACEBACK_HEAD need one of these."""
    return "Traceback" in line or "Stack trace:" in line


def may_be_frame(line: str) -> bool:
    """IPYTHON_FRAME, FRAME and WARNING_FRAME need one of these."""
    return ".py" in line or 'File "' in line


def _may_name_exception(line: str) -> bool:
    """_EXCEPTION needs one of its class-name endings (`rror` covers `Error`, `KeyError` and `error`)."""
    return (
        "rror" in line
        or "Exception" in line
        or "Warning" in line
        or "Exit" in line
        or "Interrupt" in line
        or "Fault" in line
        or "StopIteration" in line
    )


def exception_line(line: str) -> tuple[str, str, str] | None:
    """The exception a line names with its message, as (class, message, text from the class on), or None: a
    module-qualified class opening the line, or a class named like an error anywhere in it."""
    qualified = _QUALIFIED_EXCEPTION.match(line)
    if qualified:
        return qualified.group("exc"), qualified.group("msg").strip(), line[qualified.start("exc") :].strip()
    if not _may_name_exception(line):
        return None
    at = 0
    # A name with nothing after it counts when it ends the line (`ImportError:` with the message on the next lines,
    # `file.py:3: SomeWarning:`), not when it is a word in a sentence: then the search goes on past it ("I fixed the
    # KeyError, now ValueError: ..."). Each search starts where the last name ended: linear.
    while m := _EXCEPTION.search(line, at):
        exc = m.group("exc")
        msg = (m.group("msg") or "").strip()
        if msg or line.rstrip().rstrip(":").endswith(exc):
            return exc, msg, line[m.start() :].strip()
        at = m.end("exc")
    return None


def known_class_line(line: str, known_classes: frozenset[str]) -> tuple[str, str, str] | None:
    """A line opening with a class the knowledge base knows (see _KNOWN_CLASS_LINE), as (class, message, text)."""
    m = _KNOWN_CLASS_LINE.match(line)
    if m is None or m.group("exc").lower() not in known_classes:
        return None
    return m.group("exc"), m.group("msg").strip(), line[m.start("exc") :].strip()


def indent(line: str) -> int:
    """How far in the line starts: a traceback's exception is printed left of its frames."""
    return len(line) - len(line.lstrip())


def console_error(line: str) -> re.Match[str] | None:
    """Where a tool's error wording is in the line (`Error: ...`, `CUDA error: ...`, cmd's message in another
    language), or None."""
    return _CONSOLE_ERROR.search(line) or cmd_not_recognized(line)


def slot_error(line: str) -> tuple[str | None, str, str] | None:
    """The error in the line where a traceback prints its exception, when it is not named like one:
    (exception or None for a console-style head, message, text), or None for a line that is no error."""
    stripped = line.strip()
    if console_error(line):  # a tool's wording, not a class
        return None, stripped, stripped
    name = _SLOT_NAME.match(stripped)
    if name:
        return name.group("exc"), (name.group("msg") or "").strip(), stripped
    if _SLOT_HEAD.match(stripped):
        return None, stripped, stripped
    return None


def announced_error(line: str, announced: set[str]) -> tuple[str, str, str] | None:
    """IPython's last line for a class its header named (`Unsupported: ...`), when not named like an error."""
    name = _NAME_LINE.match(line)
    if name and name.group("exc").rsplit(".", 1)[-1] in announced:
        return name.group("exc"), (name.group("msg") or "").strip(), line.strip()
    return None
