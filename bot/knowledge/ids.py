"""Workaround ids: the short slug votes are stored under, so reordering an entry's workarounds keeps
their history.

One function derives an id from a workaround's title; `scripts/add-workaround-ids.py` writes it into the
files, the deadends importer gives it to imported entries, and the loader falls back on it for a file that
still lacks ids (reporting the file), so all three agree on what a workaround is called.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

WORKAROUND_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Long enough to say what the workaround does, short enough to read in a vote log or a stats line.
WORKAROUND_ID_MAX = 48
# A slug of the title's first few content words names a workaround well enough to tell it from its siblings.
SLUG_WORDS = 4
# Words that say nothing about which workaround it is.
_FILLER = frozenset(
    "a an the and or of to in on for with by from at as is it its your you that this be then so".split()
)
_WORD_RE = re.compile(r"[a-z0-9]+")
FALLBACK_ID = "workaround"  # for a title with no letters or digits at all


def slug_for(title: str) -> str:
    """A readable id from a title: its first content words, lowercase, joined with hyphens."""
    words = [w for w in _WORD_RE.findall(title.lower()) if w not in _FILLER] or _WORD_RE.findall(title.lower())
    slug = ""
    for word in words[:SLUG_WORDS]:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > WORKAROUND_ID_MAX:
            break
        slug = longer
    return slug or (words[0][:WORKAROUND_ID_MAX] if words else FALLBACK_ID)


def unique_slug(title: str, taken: Iterable[str]) -> str:
    """slug_for(title), with `-2`, `-3`, ... added when a sibling already has it."""
    used = set(taken)
    base = slug_for(title)
    candidate, n = base, 2
    while candidate in used:
        suffix = f"-{n}"
        candidate = base[: WORKAROUND_ID_MAX - len(suffix)].rstrip("-") + suffix
        n += 1
    return candidate


def assign_ids(titles: Iterable[str], given: Iterable[str | None]) -> list[str]:
    """An id for each workaround: its own where it has a valid one, else a fresh slug of its title that no
    sibling uses (the ids already given are reserved first, so adding ids never renames an existing one)."""
    titles, given = list(titles), list(given)
    taken = {g for g in given if g and WORKAROUND_ID_RE.match(g)}
    out: list[str] = []
    for title, own in zip(titles, given, strict=True):
        if own and WORKAROUND_ID_RE.match(own) and own not in out:
            out.append(own)
            continue
        fresh = unique_slug(title, taken | set(out))
        taken.add(fresh)
        out.append(fresh)
    return out


def _mapping_value(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def add_ids_to_text(text: str) -> tuple[str, int]:
    """The entry file's text with an `id:` added to every workaround that has none, and how many were added.

    The text is edited in place at the workarounds' positions (found through YAML's node marks), so the
    diff shows the new ids and nothing else; running it again adds nothing."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return text, 0
    sequence = _mapping_value(root, "workarounds")
    if not isinstance(sequence, yaml.SequenceNode):
        return text, 0
    items = [
        (node, title)
        for node in sequence.value
        if isinstance(node, yaml.MappingNode) and node.value
        and isinstance(title := _mapping_value(node, "title"), yaml.ScalarNode) and title.value.strip()
    ]  # fmt: skip
    given = [_scalar(_mapping_value(node, "id")) for node, _ in items]
    ids = assign_ids((title.value.strip() for _, title in items), given)
    edits: list[tuple[int, str]] = []
    for (node, _), new in zip(items, ids, strict=True):
        if _mapping_value(node, "id") is not None:
            continue  # a present id, even a bad one, is the curator's to fix: lint names it
        first_key = node.value[0][0]
        at = first_key.start_mark.index
        separator = ", " if node.flow_style else "\n" + " " * first_key.start_mark.column
        edits.append((at, f"id: {new}{separator}"))
    for at, insert in sorted(edits, reverse=True):  # from the end, so earlier offsets stay valid
        text = text[:at] + insert + text[at:]
    return text, len(edits)


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value.strip() if isinstance(node, yaml.ScalarNode) else None
