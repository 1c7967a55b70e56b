"""A circular import that an older Python did not call one, read off the traceback's structure.

Since Python 3.8 an import cycle says so: `cannot import name 'Result' from partially initialized module
'models' (most likely due to a circular import)`. Python 2 and 3.6 print only `cannot import name 'Result'`,
and 3.7 adds `from 'models' (/path/models.py)`: the same words a name removed from a newer release of a library
gives (`cannot import name 'joblib'`), which several entries are about. The frames tell them apart: in a cycle
the user's file that fails (`app.py` importing from `models`) is already on the stack further up, run once as
the script and once as the module the other file imported, with that other file (`models.py`, half run) in
between. So when the last frame is a user's file that appears earlier in the frames too, the error line gets
the words Python 3.8+ would have printed, for the entry patterns and signatures that spell them out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.matching.frames import path_key
from bot.matching.shadowing import user_script

# `cannot import name 'X'`, with 3.7's `from 'pkg.mod' (path)` after it; not the 3.8+ form, which says it all.
# Anchored, one bounded name each: linear.
_OLD_FORM = re.compile(r"^cannot import name '?(?P<name>\w{1,200})'?(?: from '(?P<module>[\w.]{1,200})')?")
_ALREADY_SAID = re.compile(r"partially initialized|circular import")


def _same_file(a: str, b: str) -> bool:
    """Two frame paths for one file: printed once relative (`app.py`, `./app.py`: the script as run) and once
    absolute."""
    a, b = (path_key(p).removeprefix("./") for p in (a, b))
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def circular_hint(frames: Sequence[str], messages: Sequence[str]) -> tuple[int, str] | None:
    """Python 3.8's wording, and which of the error messages it belongs to, when an old-style `cannot import
    name` fails in a user's file that an earlier frame already runs; else None."""
    # The half-run module is the one the frame before the failing one is running.
    half_run = user_script(frames[-2]) if len(frames) >= 3 else None
    if half_run is None or user_script(frames[-1]) is None:
        return None
    failing = frames[-1]
    earlier = [f for f in frames[:-2] if user_script(f) is not None]
    if not any(_same_file(f, failing) for f in earlier):
        return None
    for at, message in enumerate(messages):
        old = _OLD_FORM.match(message)
        if old is None or _ALREADY_SAID.search(message):
            continue
        # The failing line imports from it: 3.7 names that module (Python 2 and 3.6 name nothing).
        module = old.group("module") or half_run
        if module.rsplit(".", 1)[-1] != half_run:
            continue
        name = old.group("name")
        return at, (
            f"(cannot import name '{name}' from partially initialized module '{module}' "
            "(most likely due to a circular import))"
        )
    return None
