"""Quoted names an entry's signatures pin, and pastes that name something else there.

Masked, `AttributeError: module 'emoji' has no attribute 'emojize'` is every `module '…' has no attribute '…'`
error, and the names are all that tell the entries of that shape apart (`similarity.signature_similarity` weighs
them more where the masked form is shared). But a fuzzy ratio over the whole line reads `'emoji'` against
`'numpy'` as a few letters among forty: the entry about NumPy's removed aliases, with the most signatures of that
shape, came first for other modules' missing attributes (five corpus messages about a script named after the
module it imports, among others).

An entry pins a name where its signatures vary in some quoted name and agree on this one: NumPy's
`module 'numpy' has no attribute 'float'` / `'int'` / `'bool'` pin the module and leave the attribute open, so a
paste of another module's missing attribute contradicts the entry, as a different status code of the same enum
does (`index.codes_disagree`). Signatures that repeat one example (`cannot import name 'Model' from partially
initialized module 'models'`, with and without its path) pin nothing: nothing shows which name is the point.

A quoted name's slot is the one or two words before it since the line's start or the previous quote
(`attributeerror module`, `no attribute`): the same place in the same shape of line, whatever prefix a log adds
before the class (`[rank0]: `). A dotted name agrees with its package (`'tensorflow.compat.v1'`, `'tensorflow'`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

# A quoted name as Python's messages quote them, on one line: not an apostrophe between letters (`can't`, `couldn't`).
# Bounded, so the search is linear on any text.
_QUOTED = re.compile(r"(?<![A-Za-z0-9])(?:'([^'\n]{1,80})'|\"([^\"\n]{1,80})\")(?![A-Za-z0-9])")
# What can be pinned: a name (`numpy`, `sklearn.metrics`, `NoneType`), not a message, a path or a URL quoted whole,
# whose words vary from one run to the next.
_NAME = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")
_WORD = re.compile(r"[a-z0-9_]+")
SLOT_WORDS = 2  # words before a quote that name its slot: `module`, `no attribute`, `import name`

Slot = tuple[str, ...]
Pinned = frozenset[tuple[Slot, str]]


def _slots(text: str) -> Iterable[tuple[Slot, str]]:
    """Each quoted name of `text` with the words before it (at most SLOT_WORDS, since the line's start or the
    previous quote), lower-cased."""
    for line in text.splitlines():
        if "'" not in line and '"' not in line:
            continue
        previous = 0
        for m in _QUOTED.finditer(line):
            words = tuple(_WORD.findall(line[previous : m.start()].lower()))
            previous = m.end()
            if words:
                yield words[-SLOT_WORDS:], (m.group(1) or m.group(2) or "").strip().lower()


def pinned_names(signatures: Iterable[str]) -> Pinned:
    """The (slot, name) pairs an entry's signatures pin: the slot's name (or the package its names are all in) is
    the same in every signature that has the slot, and those signatures differ in another quoted name."""
    names: dict[Slot, set[str]] = defaultdict(set)
    variants: dict[Slot, set[tuple[tuple[Slot, str], ...]]] = defaultdict(set)
    for signature in signatures:
        found = tuple(_slots(signature))
        for slot, name in found:
            names[slot].add(name)
            variants[slot].add(found)
    pinned: set[tuple[Slot, str]] = set()
    for slot, named in names.items():
        package = _common_package(named)
        if package and len(variants[slot]) > 1:
            pinned.add((slot, package))
    return frozenset(pinned)


def _common_package(names: set[str]) -> str | None:
    """The dotted package all `names` are in (`discord` for `discord` and `discord.ext.commands`), or None when they
    are not names or have none in common."""
    if not all(_NAME.fullmatch(name) for name in names):
        return None
    parts = [name.split(".") for name in names]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return ".".join(common) or None


def pasted_names(text: str) -> Pinned:
    """The (slot, name) pairs of a paste, each name under the last word before it and under the last two, so
    a signature's slot of either length is found."""
    pairs: set[tuple[Slot, str]] = set()
    for slot, name in _slots(text):
        pairs.add((slot[-1:], name))
        pairs.add((slot, name))
    return frozenset(pairs)


def _same_package(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def names_disagree(pasted: Pinned, pinned: Pinned) -> bool:
    """The paste names something else in a slot the entry pins, and nothing of the pinned name's package there."""
    if not pasted or not pinned:
        return False
    for slot, name in pinned:
        there = [n for s, n in pasted if s == slot]
        if there and not any(_same_package(n, name) for n in there):
            return True
    return False
