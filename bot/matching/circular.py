"""A circular import that an older Python did not call one, read off the traceback's structure.

Since Python 3.8 an import cycle says so: `cannot import name 'Result' from partially initialized module
'models' (most likely due to a circular import)`. Python 2 and 3.6 print only `cannot import name 'Result'`,
and 3.7 adds `from 'models' (/path/models.py)`: the same words a name removed from a newer release of a library
gives (`cannot import name 'joblib'`), which several entries are about. The frames tell them apart. A module
is partially initialized exactly while its own code is on the stack, so when the module the failing import reads
from (3.7 names it; before that, the source line under the failing frame does: `from shop.orders import Order`)
is the file of a frame further up, it is a cycle. And in a cycle through the script the user's file that fails
(`app.py` importing from `models`) is already on the stack further up, run once as the script and once as the
module the other file imported, with that other file (`models.py`, half run) in between. Either way the error
line gets the words Python 3.8+ would have printed, for the entry patterns and signatures that spell them out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.matching.frames import path_key
from bot.matching.shadowing import imported_module, user_script

# `cannot import name 'X'`, with 3.7's `from 'pkg.mod' (path)` after it; not the 3.8+ form, which says it all.
# Anchored, one bounded name each: linear.
_OLD_FORM = re.compile(r"^cannot import name '?(?P<name>\w{1,200})'?(?: from '(?P<module>[\w.]{1,200})')?")
_ALREADY_SAID = re.compile(r"partially initialized|circular import")


def _same_file(a: str, b: str) -> bool:
    """Two frame paths for one file: printed once relative (`app.py`, `./app.py`: the script as run) and once
    absolute."""
    a, b = (path_key(p).removeprefix("./") for p in (a, b))
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _runs_further_up(module: str, frames: Sequence[str]) -> str | None:
    """The earlier frame whose file is `module` (`a.b`: `.../a/b.py` or `.../a/b/__init__.py`), if one is: a
    module whose code is still on the stack has not finished running, so it is partially initialized."""
    tail = "/" + module.lower().replace(".", "/")
    for frame in frames[:-1]:
        key = "/" + path_key(frame).lstrip("/")
        if (key.endswith((tail + ".py", tail + "/__init__.py"))) and not _same_file(frame, frames[-1]):
            return frame
    return None


def circular_hint(frames: Sequence[str], messages: Sequence[str], code_lines: Sequence[str]) -> tuple[int, str] | None:
    """Python 3.8's wording, and which of the error messages it belongs to, when an old-style `cannot import
    name` reads from a module that is still running further up the stack (named by the message or by the failing
    frame's source line: `code_lines`, one per message), or fails in a user's file that an earlier frame already
    runs; else None."""
    for at, (message, code_line) in enumerate(zip(messages, code_lines, strict=True)):
        old = _OLD_FORM.match(message)
        if old is None or _ALREADY_SAID.search(message):
            continue
        module = imported_module(message, code_line)
        if module is None or not _runs_further_up(module, frames):
            module = _rerun_script_module(frames, old.group("module"))
        if module is not None:
            return at, (
                f"(cannot import name '{old.group('name')}' from partially initialized module '{module}' "
                "(most likely due to a circular import))"
            )
    return None


def _rerun_script_module(frames: Sequence[str], named: str | None) -> str | None:
    """The half-run module when the failing file is a user's script that an earlier frame already runs (run once
    as the script and once as the module the other file imported), with the half-run module's file in between;
    3.7 names the module the failing line imports from (Python 2 and 3.6 name nothing), which must be that one."""
    half_run = user_script(frames[-2]) if len(frames) >= 3 else None
    if half_run is None or user_script(frames[-1]) is None:
        return None
    earlier = [f for f in frames[:-2] if user_script(f) is not None]
    if not any(_same_file(f, frames[-1]) for f in earlier):
        return None
    module = named or half_run
    return module if module.rsplit(".", 1)[-1] == half_run else None
