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


def user_script(path: str) -> str | None:
    """The module name a frame's file would be imported as, when it is a script of the user's."""
    if _NOT_USER_FILE.search(path):
        return None
    found = _SCRIPT.search(path)
    stem = found.group("stem") if found else None
    return stem if stem not in (None, "__init__", "__main__") else None


def shadowing_hint(frames: Sequence[str], messages: Sequence[str]) -> tuple[int, str] | None:
    """Python 3.13's renaming hint, and which of the error messages it belongs to, when the last frame is the
    user's `X.py` failing on module `X`; else None."""
    if not frames:
        return None
    stem = user_script(frames[-1])
    if stem is None:
        return None
    # Python 3.13's words for a module that is not the standard library's (it cannot tell which library was meant).
    hint = f"(consider renaming '{frames[-1]}' if it has the same name as a library you intended to import)"
    for at, message in enumerate(messages):
        named = _NAMED_MODULE.search(message)
        if named and named.group("module") == stem:
            return at, hint
        if _UNNAMED_MODULE.match(message) and len(frames) > 1 and user_script(frames[-2]) == stem:
            return at, hint
    return None
