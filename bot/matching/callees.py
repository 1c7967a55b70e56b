r"""The function a call error names, where an entry's pattern spells it out, and pastes that name another.

Python names the function a call went wrong on: `forward() takes 2 positional arguments but 3 were given`,
`Trainer.__init__() got an unexpected keyword argument 'gpus'`. Word for word, `greet() takes 1 positional argument
but 2 were given` is the same line with one name changed, and the fuzzy ratio reads that name as a few letters:
PyTorch's entry about a module's forward() came first for every plain function's argument count, and was shown as
a full page.

An entry pins the callee its patterns spell out (`forward\(\) takes …`, `OneHotEncoder\.__init__\(\) got …`). A
paste whose call error names another function contradicts the entry, the way another exception class does
(`tier.Tier.evidence`), unless one of the entry's patterns matches the paste. Signatures pin nothing here: their
function names are the usual examples (`Model.predict() missing 1 required positional argument: 'self'`).

Names compare by their dotted ends, since Python 3.10 qualifies the name with its class and older versions do not:
`forward` agrees with `Net.forward`, `__init__` with `Trainer.__init__`, but `Trainer.__init__` not with
`TrainingArguments.__init__`. Underscores around a part are dropped first, as a chat client's markdown drops them
(`__init__` is pasted as `init`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The words that follow the name in Python's call errors: `takes …`, `missing …`, `got an unexpected keyword
# argument …`, `got multiple values for argument …`.
_CALL_ERROR = r"\(\) (?:takes|missing|got) "
# In a paste: a dotted name right before the call error, not the end of a longer word. Bounded, so linear.
_PASTED = re.compile(r"(?<![\w.])([A-Za-z_]\w{0,80}(?:\.[A-Za-z_]\w{0,80}){0,8})" + _CALL_ERROR)
# A call error's words as a pattern's source writes them (parentheses escaped), whatever comes before them.
_CALL_ERROR_SOURCE = re.compile(re.escape(r"\(\)") + r" (?:takes|missing|got) ")
# In a pattern's source: the name spelled out with escaped dots, right before those words, where nothing before it in
# the pattern could make it part of a longer name (the pattern's start, a space, a group's opening or a quote).
# Bounded: a pack's patterns are text from elsewhere.
_SPELLED = re.compile(
    r"(?:^|(?<=[\s(:|'\"]))((?:[A-Za-z_]\w{0,80}\\\.){0,8}[A-Za-z_]\w{0,80})" + _CALL_ERROR_SOURCE.pattern
)
Callees = frozenset[tuple[str, ...]]


def _parts(name: str) -> tuple[str, ...]:
    return tuple(part.strip("_") for part in name.lower().split("."))


def pinned_callees(patterns: Iterable[str]) -> Callees:
    """The functions `patterns` (an entry's pattern sources) spell out before a call error, as their dotted parts;
    none when one of them takes any function there (`\\w\\(\\) takes`, a generic entry whose other pattern names
    Python 3.6's `object\\(\\) takes no parameters`)."""
    sources = list(patterns)
    spelled = [m for p in sources for m in _SPELLED.finditer(p)]
    if sum(len(_CALL_ERROR_SOURCE.findall(p)) for p in sources) > len(spelled):
        return frozenset()
    return frozenset(_parts(m.group(1).replace("\\.", ".")) for m in spelled)


def pasted_callees(text: str) -> Callees:
    """The functions the call errors of `text` (a paste's error lines) name."""
    return frozenset(_parts(m.group(1)) for m in _PASTED.finditer(text))


def _agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One name is the other's dotted end: `forward` and `net.forward`."""
    n = min(len(a), len(b))
    return a[-n:] == b[-n:]


def callees_disagree(pasted: Callees, pinned: Callees) -> bool:
    """The paste's call errors name functions, and none of them is one the entry pins."""
    if not pasted or not pinned:
        return False
    return not any(_agree(a, b) for a in pasted for b in pinned)
