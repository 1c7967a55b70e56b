"""Find the error report inside a chat message.

A help-channel message is prose, fenced code, pasted tracebacks (often several, often chained), console
output from pip/conda/CUDA tools, or all of these. Extraction pulls out what the matcher compares: the
error lines (exception type and message), the frames and the libraries they reveal, and the prose
around them. It is pure and bounded: huge input is cut before any regex runs over it. What each line is (an
exception, a frame, a traceback's header, a tool's error output) is `lines.py`'s to say; this module reads the
lines in order and keeps what they make together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.matching.boxes import unbox
from bot.matching.circular import circular_hint
from bot.matching.citations import Found, cjk_sentence_after, console_cited, sentence_before, unquoted
from bot.matching.debug_pages import restate_exceptions
from bot.matching.entities import unescape_html_tracebacks
from bot.matching.escapes import unescape_tracebacks
from bot.matching.groups import ungroup
from bot.matching.lines import (
    BLANK,
    CARETS,
    CHAIN,
    CODE_STATEMENT,
    FRAME,
    IPYTHON_ARROW,
    IPYTHON_CODE,
    IPYTHON_FRAME,
    IPYTHON_HEAD,
    TRACEBACK_HEAD,
    WARNING_FRAME,
    announced_error,
    console_error,
    exception_line,
    indent,
    known_class_line,
    may_be_frame,
    may_be_header,
    slot_error,
    worth_a_look,
)
from bot.matching.notices import drop_notices
from bot.matching.popups import restate_popups
from bot.matching.prefixes import strip_line_prefixes
from bot.matching.py2_statements import python2_statement_hint
from bot.matching.shadowing import shadowing_hint, without_cycle_guess
from bot.matching.task_reprs import restate_task_reprs
from bot.matching.text import CJK_LETTERS, phrase_pattern

# A log attachment's error is almost always near its end, so a long text keeps a little of its head
# and most of its tail.
MAX_CHARS = 100_000
HEAD_CHARS = 20_000
MAX_LINE_CHARS = 2_000
MAX_ERROR_LINES = 40
CONTINUATION_LINES = 3
# Lines a traceback prints between its last frame and the exception: the source line, a caret line under it, and
# a SyntaxError's own caret line.
SHOWN_CODE_LINES = 3
# IPython and Jupyter show the failing line with an arrow (`---> 651     x = f()`) among a few numbered lines of
# context, then a blank line, then the exception: how far above the exception the arrow may be.
IPYTHON_SHOWN_CODE_LINES = 12
# An error line with its continuation: what the matcher compares and searches per error. The longest in
# our evaluation sets is under 1,000 characters; the cap keeps 40 error lines of 2,000-character lines
# from handing the matcher 320 KB.
MAX_DETAIL_CHARS = 2_000
# All error lines' details together: the matcher turns them into words one by one. Our evaluation sets
# hold at most 2,200 characters; 80 KB of long distinct error lines cost 250 ms of stemming.
MAX_ERROR_TEXT_CHARS = 16_000
# Error lines found after those caps are full are not dropped blindly: the last few of them replace the last
# kept ones, because a paste's final exception (and the one or two it was chained from) says what failed.
# Three covers a chained traceback's "during handling of the above" pair with room for one more.
FINAL_ERROR_LINES = 3
# The prose searched for problem cues: as much as the matcher reads (its `prose_chars`); past that a
# paste is log chatter, and a search over 100 KB of it held the matching thread for 100 ms.
PROSE_CUE_CHARS = 6_000

# A fence and its language tag, a tag only when the line ends after it: a block written on one line, its fences
# glued to an error (three backticks, then `RuntimeError: ...`), holds an error, not a tag. Linear: the tag's
# lookahead fails at the first character after it.
_FENCE = re.compile(r"```(?:[\w+-]+(?=[^\S\n]*(?:\n|\Z)))?")
# A block quote's marker at a line's start (`> ` in Markdown, Discord and GitHub, `>> ` nested): a quoted traceback's
# frames are frames. Not Python's `>>> ` prompt, whose line is code either way. Blanks and markers only, one at a
# time: linear.
_QUOTE_MARK = re.compile(r"^[ \t]{0,3}(?!>>>)(?:>[ \t]?)+", re.MULTILINE)
_SITE_PACKAGES = re.compile(r"(?:site|dist)-packages[\\/](?P<lib>[A-Za-z_]\w*)")
_IMPORT = re.compile(rf"^{BLANK}*(?:from|import){BLANK}+(?P<lib>[A-Za-z_]\w*)", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][\w.+-]*")
# Words that say something is wrong. A description with none of them ("loss went from 2.3 to 0.4,
# looks fine") is chat about a topic, and a how-to question ("how do I freeze layers?") asks for a
# tutorial: neither is a problem to answer unprompted. Whole words, then word starts ("fail" covers
# "failed"), then any word ending in "n't", then a few words in Chinese and Japanese.
_CUE_WORDS = (
    "not", "no", "never", "cannot", "dont", "doesnt", "didnt", "cant", "wont", "isnt", "hasnt", "out of memory",
    "oom", "too slow", "too high", "too long", "too much", "low", "issue", "problem", "bug", "wrong", "stuck",
    "nan", "inf", "killed", "freezes", "freezing", "froze", "broke", "broken", "weird", "strange", "unable",
    "warning", "exception", "died", "dead", "missing", "why", "dies", "dying", "even though", "instead",
    "different", "inconsistent", "keeps", "still",
    *(f"{verb} {value}" for verb in ("return", "returns", "is", "are", "stay", "stays", "always")
      for value in ("false", "none", "nan", "zero", "0", "empty", "null")),
)  # fmt: skip
_CUE_STARTS = ("fail", "error", "crash", "slow", "hang", "unexpected", "leak", "explod", "diverg", "mismatch")
# Chinese and Japanese: an error report, an error, a problem, a failure, "cannot", "not found", "went wrong", an
# exception, a crash, "cannot be used" (twice), "does not work", "has no effect", an error (Japanese).
_CJK_CUES = ("报错", "错误", "问题", "失败", "无法", "找不到", "出错", "异常", "崩溃",
             "不能用", "用不了", "不起作用", "不生效", "エラー")  # fmt: skip
PROBLEM_CUES = phrase_pattern(  # for lower-cased text: see has_problem_cue
    [
        *(rf"\b{re.escape(word)}\b" for word in _CUE_WORDS),
        *(rf"\b{start}" for start in _CUE_STARTS),
        r"n(?<=\w\w)'t\b",
        *_CJK_CUES,
    ]
)


def installed_package(path: str) -> str | None:
    """The installed package a frame's path runs in (`site-packages/<name>/`, `dist-packages/<name>/`), lower-cased;
    None for the writer's own files and the standard library's."""
    found = _SITE_PACKAGES.search(path)
    return found.group("lib").lower() if found else None


def has_problem_cue(text: str) -> bool:
    """Whether the text holds a word that says something is wrong (or asks why)."""
    return PROBLEM_CUES.search(text.lower()) is not None


# Words in prose that name a library, and the module name the knowledge base uses for it.
LIBRARY_ALIASES = {
    "torch": "torch", "pytorch": "torch", "torchvision": "torchvision", "cuda": "cuda", "cudnn": "cuda",
    "nvidia": "cuda", "nvidia-smi": "cuda", "numpy": "numpy", "np": "numpy", "pandas": "pandas",
    "pd": "pandas", "sklearn": "sklearn", "scikit-learn": "sklearn", "transformers": "transformers",
    "huggingface": "transformers", "hugging": "transformers", "tokenizer": "transformers",
    "conda": "conda", "anaconda": "conda", "miniconda": "conda", "mamba": "conda", "pip": "pip",
    "jupyter": "jupyter", "notebook": "jupyter", "ipykernel": "jupyter", "colab": "jupyter",
    "matplotlib": "matplotlib", "plt": "matplotlib", "opencv": "cv2", "cv2": "cv2",
    "tensorflow": "tensorflow", "keras": "keras", "jax": "jax", "accelerate": "accelerate",
    "bitsandbytes": "bitsandbytes", "triton": "triton", "docker": "docker",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ErrorLine:
    """One reported error: an exception line or a console error line, with a little of what follows."""

    text: str  # the line as printed, from the exception name on
    exception: str | None  # `RuntimeError`, `torch.OutOfMemoryError`; None for console errors
    message: str  # the message after the colon (first line only)
    detail: str  # the line plus up to CONTINUATION_LINES following lines that continue the message
    in_traceback: bool
    # Only the class, named at the end of a sentence ("aiohttp throws RuntimeError"): the message describes the
    # problem in words; the name is evidence, but nothing was pasted.
    named: bool = False
    # The source Python printed between the last frame and this line (`_shown_code`): entry patterns read it with
    # the line, as in `result = unpickler.load()` above a missing module. Never compared as text or shown.
    shown_code: str = ""
    # That frame's own line (`File ".../torch/nn/modules/module.py", line 201, in _forward_unimplemented`): where the
    # error was raised, which patterns read too. A bare `NotImplementedError` says nothing else of itself.
    raised_in: str = ""

    @property
    def exception_name(self) -> str | None:
        return self.exception.rsplit(".", 1)[-1] if self.exception else None

    @property
    def code_line(self) -> str:
        """The source line Python printed under the failing frame (the first of `shown_code`, a caret line being
        its second), "" when none was shown: it says what a failed import read from, or which statement a bare
        `invalid syntax` is about."""
        return self.shown_code.split("\n", 1)[0].strip()


@dataclass(frozen=True, slots=True)
class ErrorReport:
    text: str  # the bounded text, fences removed
    error_lines: tuple[ErrorLine, ...]
    frames: tuple[str, ...]
    libraries: frozenset[str]
    prose: str
    has_traceback: bool
    truncated: bool
    code_lines: int = 0
    exceptions: frozenset[str] = field(default_factory=frozenset)

    @property
    def describes_problem(self) -> bool:
        """The prose says something is wrong (or asks): a symptom description, not chat about a topic. Naming an
        exception says so too ("aiohttp throws RuntimeError"), pasted or not."""
        return self.has_traceback or bool(self.error_lines) or has_problem_cue(self.prose[:PROSE_CUE_CHARS])

    @property
    def raising_package(self) -> str | None:
        """The installed package the innermost frame runs in (`site-packages/<name>/`), lower-cased: where the error
        was raised. None when that frame is the writer's own code or the standard library's, or none was pasted."""
        return installed_package(self.frames[-1]) if self.frames else None

    @property
    def is_error_report(self) -> bool:
        """A traceback, an exception line or console error output: something went wrong and was pasted. A class
        only named in a sentence is not a paste: the message is a description that names its exception."""
        return self.has_traceback or any(not e.named for e in self.error_lines)


# A line after an error line that the writer wrote, not the program: a question, the first person, or CJK text
# ("How to solve this?", "请问怎么解决？" typed right under the pasted error, with no blank line between).
_WRITERS_LINE = re.compile(rf"[?\uff1f{CJK_LETTERS}]|\b(?:i|i'm|i've|i'd|my|me|we|our)\b", re.IGNORECASE)
# A run of blank lines (spaces allowed) says no more than one blank line does; folding it keeps a paste
# of 100,000 newlines from costing 100,000 trips through the per-line loop.
_BLANK_RUN = re.compile(rf"\n(?:{BLANK}*\n)+")
# A full-width colon after an exception's name with its message after it (`RuntimeError：CUDA out of memory`): a Chinese
# or Japanese input method typed the colon of an error someone retyped; read as the colon it stands for. Fixed-width
# look-behinds, one per ending: linear.
_FULL_WIDTH_COLON = re.compile(r"(?:(?<=Error)|(?<=Exception)|(?<=Warning))\uff1a[ \t]?(?=\S)")
# The end of a progress bar (tqdm's `[00:08<00:14,  2.91s/it]`, pip's `20kB 4.1kB/s eta 0:04:58`) with the program's
# next output glued to it: a bar redraws its line after a carriage return, and a paste that lost it runs the next line
# on (`...2.91s/it]Killed`, `eta 0:04:58Exception:`, a traceback's header). The next output starts a line of its own
# again. Literals first, bounded digits, one character after: linear.
_PROGRESS_END = re.compile(r"(?:(?:it/s|s/it|B/s)\]|eta \d{1,3}:\d\d:\d\d)(?=[A-Za-z])")
# Characters that print as nothing: a zero-width space or word joiner a chat client or a web page put between words
# (a paste with one after every space read no frame and matched at 0.69 instead of 0.95), a byte-order mark a file
# or editor left before `Traceback` (which then read as prose), a soft hyphen. Taken out before anything reads the text.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def bound_text(text: str) -> tuple[str, bool]:
    """Cut huge input to MAX_CHARS (head and tail) and drop NULs and invisible characters; over-long lines are
    shortened, runs of blank lines folded into one, and output glued to a progress bar's end put on its own line."""
    truncated = False
    if len(text) > MAX_CHARS:
        text = text[:HEAD_CHARS] + "\n" + text[-(MAX_CHARS - HEAD_CHARS) :]
        truncated = True
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    for char in _INVISIBLE:  # str.replace per character: a twentieth of str.translate's time on a paste full of them
        if char in text:
            text = text.replace(char, "")
    text = _BLANK_RUN.sub("\n\n", text)
    if "\uff1a" in text:
        text = _FULL_WIDTH_COLON.sub(": ", text)
    if "/s]" in text or "/it]" in text or "eta " in text:
        text = _PROGRESS_END.sub("\\g<0>\n", text)
    lines = text.split("\n")
    if max(map(len, lines)) > MAX_LINE_CHARS:
        text = "\n".join(line[:MAX_LINE_CHARS] for line in lines)
        truncated = True
    return text, truncated


def _continuation_end(lines: list[str], start: int) -> int:
    """The index after the last line that carries on the message of the error line at `start` (not frames,
    prose breaks, or blanks); `start + 1` when none does."""
    first = lines[start].strip()
    # A message that begins with a blank line prints the class alone ("ImportError: ", then numpy's "IMPORTANT:
    # PLEASE READ THIS ..." in paragraphs): its words come in paragraphs after the colon, and a blank line there
    # is part of the message, not the paste going back to prose. ("Error(s) in loading state_dict for Net:" has
    # words before its colon: its message goes on in the lines right after it, as any other.)
    paragraphs = first.endswith(":") and " " not in first
    limit = min(len(lines), start + 1 + CONTINUATION_LINES * (2 if paragraphs else 1))
    end, taken = start + 1, 0
    for i in range(start + 1, limit):
        line = lines[i]
        stripped = line.strip()
        if not stripped and paragraphs:
            continue
        if not stripped or FRAME.match(line) or TRACEBACK_HEAD.search(line) or CHAIN.search(line):
            break
        end, taken = i + 1, taken + 1
        if taken >= CONTINUATION_LINES:
            break
    return end


def _continuation(lines: list[str], start: int) -> str:
    """The error line at `start` and the lines after it that carry on its message."""
    carried = (line.strip() for line in lines[start : _continuation_end(lines, start)])
    return " ".join(line for line in carried if line)[:MAX_DETAIL_CHARS]


class _KeptErrors:
    """The error lines a report keeps: the first ones while the caps have room, then the last few of the rest.

    Once the caps are full, a further error line costs one dictionary update beyond the parse that told the loop
    it is an exception: its details (the continuation lines) are read at the end, and only for the
    FINAL_ERROR_LINES that replace kept ones."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines  # the text's lines, where continuations are read
        self.kept: list[ErrorLine] = []
        self._seen: set[str] = set()  # the text of every kept line: one error is kept once
        self._chars = 0  # the kept details' length, kept as a running total: summing it per line was quadratic
        # Error lines past the caps, by text, in the order of their last appearance: (found, line number,
        # inside a traceback, without continuation lines, only named in a sentence).
        self._later: dict[str, tuple[Found, int, bool, bool, bool]] = {}

    @property
    def full(self) -> bool:
        return len(self.kept) >= MAX_ERROR_LINES or self._chars >= MAX_ERROR_TEXT_CHARS

    def add(self, found: Found, i: int, inside: bool, alone: bool = False, named: bool = False) -> None:
        """`alone`: the error's message is not carried on in the lines after it (see `_error_line`); `named`: see
        ErrorLine."""
        text = found[2]
        if text in self._seen:  # checked first: a log repeating one error line thousands of times is common
            return
        if self.full:
            self._later.pop(text, None)  # a repeat moves to its last appearance
            self._later[text] = (found, i, inside, alone, named)
            if len(self._later) > FINAL_ERROR_LINES:
                del self._later[next(iter(self._later))]
            return
        self._keep(self._error_line(found, i, inside, alone, named, room=MAX_ERROR_TEXT_CHARS - self._chars))

    def finish(self) -> list[ErrorLine]:
        """The kept lines, the last ones after the caps replacing the last of the first ones."""
        final = [self._error_line(*later, room=MAX_DETAIL_CHARS) for later in self._later.values()]
        room = MAX_ERROR_TEXT_CHARS - sum(len(line.detail) for line in final)  # FINAL_ERROR_LINES details fit
        first = self.kept[: MAX_ERROR_LINES - len(final)]
        chars = sum(len(line.detail) for line in first)
        while chars > room:
            chars -= len(first.pop().detail)
        return first + final

    def _keep(self, line: ErrorLine) -> None:
        self._seen.add(line.text)
        self._chars += len(line.detail)
        self.kept.append(line)

    def _error_line(self, found: Found, i: int, inside: bool, alone: bool, named: bool, room: int) -> ErrorLine:
        exc, msg, text = found
        # Alone: IPython's header names the exception, and its message comes at the end of the traceback, if at
        # all; a quoted error ends at its closing quote, and the next lines are the sentence's, not the message's, as
        # they are after a class only named at a sentence's end.
        detail = text if alone or named else _continuation(self._lines, i)
        shown, raised_in = _shown_code(self._lines, i)
        return ErrorLine(text, exc, msg, detail[:room], inside, named, shown, raised_in)


def _shown_code(lines: list[str], i: int) -> tuple[str, str]:
    """The lines between line `i` and the frame right above it: the source line the traceback showed for the last
    frame, with any caret lines (`^^^^`, a SyntaxError's `^`); a REPL's `>>> ` line right above counts as shown
    source too, and so does the line IPython's arrow points at, or a statement pasted right above an error with
    no traceback. "" when none of these is there: an error line in a log or in prose has no code of its own.
    Second, the frame's own line, where there is one."""
    for j in range(i - 1, max(i - 1 - SHOWN_CODE_LINES, -1), -1):
        line = lines[j]
        if not line.strip():
            break
        if line.startswith(">>> "):
            return "\n".join(lines[j:i])[:MAX_DETAIL_CHARS], ""
        if FRAME.match(line):
            return "\n".join(lines[j + 1 : i])[:MAX_DETAIL_CHARS], line.strip()[:MAX_DETAIL_CHARS]
    if (ipython := _ipython_shown_code(lines, i)) and ipython[0]:
        return ipython
    return _statement_above(lines, i), ""


def _statement_above(lines: list[str], i: int) -> str:
    """`_shown_code` where no traceback's frame is right above line `i`."""
    # No traceback above: the statement a person pasted right above the error, if the line there is one.
    above = lines[i - 1] if i > 0 else ""
    if CARETS.match(above) and i > 1 and lines[i - 2].strip():
        # A caret line under a line of text is how Python shows the source a SyntaxError is about, and that source
        # need not be code at all (`pip install pandas` typed into Python): kept with its carets, which say where.
        return "\n".join(lines[i - 2 : i])[:MAX_DETAIL_CHARS]
    return above.strip()[:MAX_DETAIL_CHARS] if CODE_STATEMENT.match(above) else ""


def _ipython_shown_code(lines: list[str], i: int) -> tuple[str, str] | None:
    """The line IPython's arrow points at in the frame right above line `i`, without the arrow and its number; only
    blank lines, numbered context lines and caret lines may come between. Second, that frame's own line (`File
    ~/lib/torch/nn/modules/module.py:83, in Module.forward(self, *input)`), "" when it is further up than the
    context lines. None when there is no such arrow."""
    for j in range(i - 1, max(i - 1 - IPYTHON_SHOWN_CODE_LINES, -1), -1):
        line = lines[j]
        if arrow := IPYTHON_ARROW.match(line):
            return (arrow.group("code") or "").strip()[:MAX_DETAIL_CHARS], _ipython_frame_above(lines, j)
        if line.strip() and not IPYTHON_CODE.match(line) and not CARETS.match(line):
            return None
    return None


def _ipython_frame_above(lines: list[str], j: int) -> str:
    """The IPython frame line above the arrow at line `j`, across its numbered context lines."""
    for k in range(j - 1, max(j - 1 - IPYTHON_SHOWN_CODE_LINES, -1), -1):
        line = lines[k]
        if IPYTHON_FRAME.match(line):
            return line.strip()[:MAX_DETAIL_CHARS]
        if line.strip() and not IPYTHON_CODE.match(line):
            return ""
    return ""


RESTATED_MESSAGE_CHARS = 8  # a message shorter than this ("error") is found inside lines that restate nothing
MAX_RESTATING_LINES = 2


def _ends_with_one(line: str, messages: set[str]) -> bool:
    """Whether `line` ends with `: ` and one of `messages`: a set lookup at each `: ` of the line, not a comparison
    with every message (a paste of a thousand errors and a thousand log lines would make a million)."""
    at = line.find(": ")
    while at >= 0:
        if line[at + 2 :] in messages:
            return True
        at = line.find(": ", at + 1)
    return False


def _restating(prose: list[str], errors: list[ErrorLine]) -> list[ErrorLine]:
    """Log lines that restate a found exception's message after words of their own: a framework reporting what
    failed (`Cannot import ... module for custom nodes: No module named 'colour'`). They name no exception, so
    they read as prose; as error lines, the patterns that spell out the framework's wording can find them."""
    messages = {e.message for e in errors if len(e.message) >= RESTATED_MESSAGE_CHARS}
    if not messages:
        return []
    seen = {e.text for e in errors}
    found: list[ErrorLine] = []
    for line in prose:
        stripped = line.strip()
        if stripped in seen or len(stripped) > MAX_DETAIL_CHARS:
            continue
        if _ends_with_one(stripped, messages):
            found.append(ErrorLine(stripped, None, stripped, stripped, False))
            seen.add(stripped)
            if len(found) >= MAX_RESTATING_LINES:
                break
    return found


def extract(text: str, known_classes: frozenset[str] = frozenset()) -> ErrorReport:
    """What a message holds. `known_classes`: lower-case names of exception classes the knowledge base files errors
    under that are not named like exceptions (`improperlyconfigured`); a line opening with one reads as an error."""
    bounded, truncated = bound_text(text)
    unfenced = _FENCE.sub("\n", unescape_html_tracebacks(bounded))
    if ">" in unfenced:
        unfenced = _QUOTE_MARK.sub("", unfenced)
    restated, page_classes = restate_exceptions(unescape_tracebacks(unfenced))
    restated, popup_classes = restate_popups(drop_notices(restated))
    restated, task_classes = restate_task_reprs(restated)
    named_by_tools = page_classes | popup_classes | task_classes
    if named_by_tools:  # a page, a popup or asyncio says these are exceptions' names: their lines are errors
        known_classes = known_classes | named_by_tools
    unfenced = unbox(ungroup(strip_line_prefixes(restated)))
    lines = unfenced.split("\n")

    errors = _KeptErrors(lines)
    frames: list[str] = []
    prose: list[str] = []
    has_traceback = False
    in_traceback = False
    code_lines = 0
    # Python prints a traceback's exception left of its frames, so the first line after the frames that
    # starts further left is the exception, whatever its class is called. None outside frames.
    frame_indent: int | None = None
    announced: set[str] = set()  # classes an IPython header named: their line at the end is the exception

    # The lines that carry on the last error line's message are the program's words, not the writer's ("... try
    # setting max_split_size_mb ..." wrapped onto a line of its own is no advice to anyone). Where its message ends
    # is read once, and only when a line after it would go to prose: a log of error lines back to back reads none.
    last_error = -1  # the last exception line's index, -1 before the first
    message_end = (-1, 0)  # (that line's index, the index after its message) once read

    def carries_message(i: int) -> bool:
        nonlocal message_end
        if last_error < 0 or i > last_error + 2 * CONTINUATION_LINES:
            return False
        if message_end[0] != last_error:
            message_end = (last_error, _continuation_end(lines, last_error))
        return i < message_end[1]

    def to_prose(i: int, line: str) -> None:
        """Where a line that is no frame and no other error goes: prose, unless it opens with a known class or
        carries on an error's message (a line that reads as the writer's stays prose)."""
        if known_classes and (known := known_class_line(line, known_classes)):
            errors.add(known, i, False)
        elif not carries_message(i) or _WRITERS_LINE.search(line):
            prose.append(line)

    def add_cited(i: int, cited: tuple[Found, str]) -> None:
        """An error quoted in a sentence (`unquoted`, `console_cited`): the quotes' content is the error, with no
        continuation lines (those are the sentence's); the sentence's words around it are prose."""
        quoted_error, around = cited
        if around:
            prose.append(around)
        errors.add(quoted_error, i, False, alone=True)

    parsed: dict[str, tuple[str, str, str] | None] = {}

    def exception_of(line: str) -> tuple[str, str, str] | None:
        """`exception_line`, once per distinct line of this text: logs repeat their error lines."""
        if line not in parsed:
            parsed[line] = exception_line(line)
        return parsed[line]

    for i, line in enumerate(lines):
        if not line:
            # What the sequence below does with an empty line, without its searches: the runs of blank lines
            # are folded, but removing the fences of 10,000 code blocks leaves as many blank lines behind.
            frame_indent = None
            in_traceback = False
            continue  # prose keeps no blank line
        left_of_frames = frame_indent is not None and (not line.strip() or indent(line) < frame_indent)
        if left_of_frames and not FRAME.match(line):  # a frame printed further left is still a frame
            frame_indent = None
            if line.strip() and not exception_of(line):  # an exception named as usual is read below
                in_traceback = False  # whatever the line is, the traceback ends here
                if slot := slot_error(line):
                    errors.add(slot, i, True)
                    continue
        if announced and (named := announced_error(line, announced)) and not exception_of(line):
            errors.add(named, i, in_traceback)
            in_traceback = False
            continue
        if not worth_a_look(line):
            # Most lines of a long log are neither errors nor frames: one search settles them, with the
            # same outcome the full sequence below gives a line none of its patterns match.
            if in_traceback:
                if line.strip():
                    code_lines += 1
                    continue
                in_traceback = False
            to_prose(i, line)
            continue
        header = may_be_header(line)
        ipython = header and IPYTHON_HEAD.match(line)
        if ipython:
            # The exception is named up front; its message comes at the end, if the paste got that far.
            exc = ipython.group("exc") or ipython.group("any")
            announced.add(exc.rsplit(".", 1)[-1])
            errors.add((exc, "", exc), i, True, alone=True)
            has_traceback = in_traceback = True
            continue
        if header and TRACEBACK_HEAD.search(line):
            has_traceback = True
            if line.lstrip().startswith(("Traceback", "Stack trace")):
                in_traceback = True
                continue
            line = TRACEBACK_HEAD.sub(" ", line)  # the header inline in prose: read the rest of the line
        frame_words = may_be_frame(line)
        ipython_frame = frame_words and IPYTHON_FRAME.match(line)
        if ipython_frame:
            frames.append(ipython_frame.group("path"))
            in_traceback = True
            continue
        if has_traceback and IPYTHON_CODE.match(line):
            code_lines += 1
            continue
        python_frame = frame_words and FRAME.match(line)
        frame = python_frame or (frame_words and WARNING_FRAME.match(line))
        if frame:
            frames.append(frame.group("path"))
        if python_frame:
            has_traceback = True
            frame_indent = indent(line)
        found = exception_of(line)
        if found and (in_traceback or frame_indent is not None) and line.lstrip().startswith("raise "):
            # The source a frame showed (`raise NotImplementedError`): a statement, never the line Python prints for
            # the exception, which comes below it (and would be dropped as a repeat of a class read here).
            code_lines += 1
            continue
        if found:
            # Outside a traceback, an error after other words on its line may sit in a sentence.
            start = 0 if in_traceback else line.find(found[2])
            if start > 0 and (cited := unquoted(line, start, found)):
                add_cited(i, cited)
            else:
                class_named = False
                if start > 0 and (lead := sentence_before(line[:start])):
                    prose.append(lead)
                    # The class alone, no colon after it or before it: "... throws RuntimeError", not a label whose
                    # message is on the next line ("the error was: TypeError"; VS Code's popup is restated before).
                    class_named = found[2] == found[0] and not lead.rstrip("*_` ").endswith(":")
                if not in_traceback and (cut := cjk_sentence_after(found)):
                    found, rest = cut
                    prose.append(rest)  # the writer's sentence, and the lines after it too (alone)
                    errors.add(found, i, False, alone=True)
                else:
                    errors.add(found, i, in_traceback, named=class_named)
                    if not class_named:
                        last_error = i
            in_traceback = False
            frame_indent = None
            continue
        if python_frame:
            continue
        if in_traceback:
            # Tracebacks have no blank lines inside; a blank line means the paste went back to prose.
            if line.strip():
                code_lines += 1
                continue
            in_traceback = False
        if console := console_error(line):
            if console.start() > 0 and (cited := console_cited(line, console.start(), console.end())):
                add_cited(i, cited)
                continue
            stripped = line.strip()
            errors.add((None, stripped, stripped), i, False)
            continue
        to_prose(i, line)

    error_lines = errors.finish()
    error_lines = _restating(prose, error_lines) + error_lines
    messages = [e.message for e in error_lines]
    codes = [e.code_line for e in error_lines]
    # What the traceback's structure says and its text does not, as a later interpreter words it: matched against
    # (entry patterns, signatures) with the line, never shown. A script shadowing a module is not a cycle.
    if shadowed := shadowing_hint(frames, messages, codes):
        at, hint = shadowed  # Python 3.13 prints the renaming hint instead of its circular-import guess
        error_lines[at] = replace(error_lines[at], detail=f"{without_cycle_guess(error_lines[at].detail)} {hint}")
    elif cycle := circular_hint(frames, messages, codes):
        at, hint = cycle
        error_lines[at] = replace(error_lines[at], detail=f"{error_lines[at].detail} {hint}")
    if statement := python2_statement_hint([e.exception_name for e in error_lines], messages, codes):
        at, hint = statement
        error_lines[at] = replace(error_lines[at], detail=f"{error_lines[at].detail} {hint}")
    libraries = {lib for path in frames if (lib := installed_package(path))}
    libraries |= {lib.lower() for lib in set(_IMPORT.findall(unfenced))}  # a log repeats its imports
    for e in error_lines:
        if e.exception and "." in e.exception:
            libraries.add(e.exception.split(".", 1)[0].lower())
    for word in set(_WORD.findall(unfenced[-20_000:])):  # a long paste repeats its words: each looked up once
        alias = LIBRARY_ALIASES.get(word.lower())
        if alias:
            libraries.add(alias)
    if "torch" in libraries or "torchvision" in libraries:
        libraries.add("torch")

    return ErrorReport(
        text=unfenced,
        error_lines=tuple(error_lines),
        frames=tuple(frames),
        libraries=frozenset(libraries),
        prose="\n".join(p for p in prose if p.strip()),
        has_traceback=has_traceback,
        truncated=truncated,
        code_lines=code_lines,
        exceptions=frozenset(n for e in error_lines if (n := e.exception_name)),
    )
