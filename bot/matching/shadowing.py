"""A user's file named like the module it imports, read off the traceback's structure.

`import X` inside a script called `X.py` finds the script itself (its folder comes first on `sys.path`), so the
script runs a second time as module `X` and fails on the name it wanted from the real library:
`partially initialized module 'X' has no attribute 'Y' (most likely due to a circular import)`. Python 3.13
says so itself ("consider renaming '/home/me/X.py' if it has the same name as a library you intended to
import"); older versions print only the circular-import guess, which a real circular import between two of the
user's modules prints too. (3.13 adds its hint to some real circular imports as well, python/cpython#136094:
it looks at the module the error names, not at which file failed.)

What tells them apart is which file fails. In a real circular import the failing frame is the *other* module
(`b.py` importing from the half-run `a`); when a file shadows a module, the failing frame is that file importing
from itself. So when the last frame is a file of the user's (not an installed or standard-library one) whose
name is the module the error names, that error line gets the hint Python 3.13 would have printed, for the
entry patterns and signatures that spell it out. Python 2 names no module ("'module' object has no
attribute"): there the same file failing in its last two frames - run once as the script, once as the
module - tells it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# The module an error line names: the attribute and import forms, circular or not. Anchored and bounded: linear.
_NAMED_MODULE = re.compile(
    r"(?:partially initialized module|^module|cannot import name '[\w.]{1,200}' from(?: partially initialized module)?)"
    r" '(?P<module>\w{1,200})'"
)
_UNNAMED_MODULE = re.compile(r"^'module' object has no attribute")
# Frames of installed packages, the standard library or no file at all: never the user's script.
_NOT_USER_FILE = re.compile(
    r"site-packages|dist-packages|[\\/]lib[\\/]python\d|[\\/]Lib[\\/]|^<|[\\/]<", flags=re.IGNORECASE
)
# A script's file name, after a separator or after the `...` someone cut the rest of its path to ("...app.py").
_SCRIPT = re.compile(r"(?:^|[\\/]|\.\.\.|\u2026)(?P<stem>\w{1,200})\.pyw?$")
# The source line Python prints under the failing frame, when it imports from a module: `from a.b import c`,
# `from .b import c` (the dots dropped: the rest still names the file). Anchored, bounded: linear.
_FROM_IMPORT = re.compile(r"^from[ \t]{1,20}\.{0,20}(?P<module>\w[\w.]{0,200})[ \t]{1,20}import\b")
# Python 3.7's `cannot import name 'X' from 'a.b'`, 3.8's `... from partially initialized module 'a.b'`.
_IMPORTED_FROM = re.compile(
    r"^cannot import name '?[\w.]{1,200}'? from(?: partially initialized module)? '(?P<module>[\w.]{1,200})'"
)
_CANNOT_IMPORT = re.compile(r"^cannot import name\b")
# What Python 3.13 no longer prints when it prints the renaming hint instead.
_CYCLE_GUESS = re.compile(r"partially initialized module |[ \t]?\(most likely due to a circular import\)")


def user_script(path: str) -> str | None:
    """The module name a frame's file would be imported as, when it is a script of the user's."""
    if _NOT_USER_FILE.search(path):
        return None
    found = _SCRIPT.search(path)
    stem = found.group("stem") if found else None
    return stem if stem not in (None, "__init__", "__main__") else None


def imported_module(message: str, code_line: str) -> str | None:
    """The module a failed `from M import name` read from: named by the message (Python 3.7 and later), else by
    `code_line`, the source line shown under the failing frame (Python 2 and 3.6 name none)."""
    if not _CANNOT_IMPORT.match(message):
        return None
    if named := _IMPORTED_FROM.match(message):
        return named.group("module")
    code = _FROM_IMPORT.match(code_line)
    return code.group("module").strip(".") or None if code else None


def without_cycle_guess(detail: str) -> str:
    """An error line as Python 3.13 prints it with its renaming hint: without the circular-import guess."""
    return _CYCLE_GUESS.sub("", detail)


def shadowing_hint(frames: Sequence[str], messages: Sequence[str], code_lines: Sequence[str]) -> tuple[int, str] | None:
    """Python 3.13's renaming hint, and which of the error messages it belongs to, when the last frame is the
    user's `X.py` failing on module `X`, or a library's file failing to import from top-level module `X` while
    the user's `X.py` runs further up (`random.py` importing numpy, whose `tempfile` then wants the standard
    library's `random`); else None. `code_lines`: per message, the source line shown above it ("" for none)."""
    if not frames:
        return None
    stem = user_script(frames[-1])
    if stem is None:
        return _library_shadowed(frames, messages, code_lines)
    # Python 3.13's words for a module that is not the standard library's (it cannot tell which library was meant).
    hint = _renaming_hint(frames[-1])
    for at, message in enumerate(messages):
        named = _NAMED_MODULE.search(message)
        if named and named.group("module") == stem:
            return at, hint
        if _UNNAMED_MODULE.match(message) and len(frames) > 1 and user_script(frames[-2]) == stem:
            return at, hint
    return None


def _library_shadowed(
    frames: Sequence[str], messages: Sequence[str], code_lines: Sequence[str]
) -> tuple[int, str] | None:
    """A library's frame failed importing from top-level module `X`, and a user's `X.py` is on the stack: the
    user's file was found instead of the module the library meant."""
    scripts = {stem: path for path in frames[:-1] if (stem := user_script(path)) is not None}
    for at, (message, code_line) in enumerate(zip(messages, code_lines, strict=True)):
        module = imported_module(message, code_line)
        if module is not None and "." not in module and module in scripts:
            return at, _renaming_hint(scripts[module])
    return None


def _renaming_hint(path: str) -> str:
    return f"(consider renaming '{path}' if it has the same name as a library you intended to import)"
