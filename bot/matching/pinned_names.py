r"""Quoted names an entry's signatures and patterns pin, and pastes that name something else there.

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

An entry's patterns pin the dotted names they spell out: `No module named 'torch\._six'` can only match that
module. Masked, `No module named 'torch'` (PyTorch not installed at all) or `'requests'` reads the same, and the
entry for the removed submodule came within 0.08 of python/module-not-found, too close to answer unprompted. A paste
naming anything else in that slot contradicts the entry (`names_disagree`), unless the entry quotes that name there
too (TensorFlow's entry spells out `'tensorflow._api.v2.train'` and quotes `'tensorflow'`). A dotted name is a
module's or an attribute's path, the point of such an entry; a plain one can be the usual example
(`missing 1 required positional argument: 'self'` is also raised as `'x'` when a method is called on its class),
and is left to the fuzzy ratio.

A quoted name's slot is the one or two words before it since the line's start or the previous quote
(`attributeerror module`, `no attribute`): the same place in the same shape of line, whatever prefix a log adds
before the class (`[rank0]: `). A dotted name agrees with the package it is in (`'tensorflow.compat.v1'` with a
pinned `'tensorflow'`), not with one of its own parts: a paste naming `'torch'` where `'torch._six'` is pinned, or
`'PIL'` where `'PIL.Image'` is, is about the whole package.
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


def _slots(text: str, fragment: bool = False) -> Iterable[tuple[Slot, str]]:
    """Each quoted name of `text` with the words before it (at most SLOT_WORDS, since the line's start or the
    previous quote), lower-cased. `fragment`: `text` is a piece of a line that may begin or end inside quotes
    (a pattern's literal run), so a "name" with a space at either end is the words between two quotes, skipped."""
    for line in text.splitlines():
        if "'" not in line and '"' not in line:
            continue
        previous = 0
        for m in _QUOTED.finditer(line):
            words = tuple(_WORD.findall(line[previous : m.start()].lower()))
            previous = m.end()
            name = m.group(1) or m.group(2) or ""
            if words and not (fragment and name != name.strip()):
                yield words[-SLOT_WORDS:], name.strip().lower()


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


def pinned_packages(signatures: Iterable[str], literals: Iterable[str]) -> Pinned:
    """The (slot, name) pairs where an entry's patterns spell out a dotted name: in `literals`, the text each of its
    patterns requires word for word (`knowledge.patterns.required_literal`). With each such slot come the other names
    the entry quotes there, in those literals and in its signatures (TensorFlow's entry spells out
    `'tensorflow._api.v2.train'` and quotes `'tensorflow'` in the same place: both are its own)."""
    spelled = {pair for literal in literals for pair in _slots(literal, fragment=True) if _NAME.fullmatch(pair[1])}
    slots = {slot for slot, name in spelled if "." in name}
    if not slots:
        return frozenset()  # most entries: no need to read the signatures' names
    quoted = {pair for signature in signatures for pair in _slots(signature) if _NAME.fullmatch(pair[1])}
    return frozenset((slot, name) for slot in slots for s, name in spelled | quoted if s[-len(slot) :] == slot)


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


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def names_disagree(pasted: Pinned, pinned: Pinned) -> bool:
    """The paste names something in a slot the entry pins, and none of it is one of the names pinned there or inside
    one. The signatures pin one name a slot (`pinned_names`); a pattern's slot takes the entry's every name there
    (`pinned_packages`)."""
    if not pasted or not pinned:
        return False
    own: dict[Slot, list[str]] = defaultdict(list)
    for slot, name in pinned:
        own[slot].append(name)
    for slot, names in own.items():
        there = [n for s, n in pasted if s == slot]
        if there and not any(_within(n, name) for n in there for name in names):
            return True
    return False
