"""Placeholders: the asker's own names filled into a workaround's code.

An entry may declare `placeholders: {module: "No module named '(?P<module>[A-Za-z_][\\w.]{0,99})'"}`: each a
literal-anchored pattern with one named group of the same name, run over the asker's error line. A workaround's
code writes `{{module:torch}}`: the asker's value when their error has one, else the example after the colon.
So `No module named 'torchvision'` gets `pip install torchvision`, not the example's `pip install torch`.
The group's pattern is also the value's whitelist: only what it admits ever reaches the code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import regex

from bot.knowledge.patterns import first_match

# `{{name:example}}`: a name as in a regex group, an example without braces or newlines.
PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]{0,31}):([^{}\n]{1,100})\}\}")
VALUE_MAX = 100  # a filled value is a name (module, package, key), never a paragraph
ERROR_TEXT_MAX = 1000  # the asker's error line is searched up to this; the names are in its first line
PLACEHOLDER_TIMEOUT_S = 0.05  # one search of 1,000 characters: microseconds when the pattern is sane


def names_in(code: str) -> set[str]:
    return {m[1] for m in PLACEHOLDER.finditer(code)}


def fill(code: str, values: Mapping[str, str]) -> str:
    """The code with each `{{name:example}}` replaced by the asker's value, or by the example."""
    return PLACEHOLDER.sub(lambda m: values.get(m[1]) or m[2], code)


def captured(placeholders: Mapping[str, str], error_text: str) -> dict[str, str]:
    """The asker's values: each placeholder's named group, from the first place its pattern matches."""
    values: dict[str, str] = {}
    text = error_text[:ERROR_TEXT_MAX]
    for name, pattern in placeholders.items():
        found = first_match(pattern, text, PLACEHOLDER_TIMEOUT_S)  # out of time (a busy machine): no value
        value = found.group(name) if found is not None and found.group(name) else None
        if value:
            values[name] = value[:VALUE_MAX]
    return values


def placeholder_problem(name: str, pattern: str) -> str | None:
    """Why a declared placeholder cannot be used, or None."""
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        return f"does not compile: {exc}"
    if name not in compiled.groupindex:
        return f"has no named group (?P<{name}>...)"
    return None
