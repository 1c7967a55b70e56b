"""Entry regexes: a static check against catastrophic backtracking, and matching with a time bound.

Entry patterns are written by curators and run on text from strangers, so they get two guards: lint
rejects the shapes that backtrack exponentially or polynomially (a quantifier inside a quantifier,
two unbounded wildcards side by side), and at run time every search has a timeout (the `regex`
module checks it inside its C matching loop), so a pattern that slips through still cannot stall
the bot.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
from typing import Any

import regex

log = logging.getLogger(__name__)

# The standard library's own regex parser: private, so untyped, but it is the one `re` compiles with.
sre_parse: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")

# A search on one message's error region: well above what a sane pattern needs (microseconds).
SEARCH_TIMEOUT_S = 0.02

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}
_UNBOUNDED = sre_constants.MAXREPEAT
_WIDE = {sre_constants.ANY, sre_constants.NOT_LITERAL}


def _is_unbounded_repeat(op: Any, av: Any) -> bool:
    return op in _REPEATS and av[1] == _UNBOUNDED


def _contains_repeat(items: Any) -> bool:
    for op, av in items:
        if op in _REPEATS and av[1] > 1:
            return True
        if op is sre_constants.SUBPATTERN and _contains_repeat(av[3]):
            return True
        if op is sre_constants.BRANCH and any(_contains_repeat(b) for b in av[1]):
            return True
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT) and _contains_repeat(av[1]):
            return True
    return False


def _is_wide_item(items: Any) -> bool:
    """True for an item that can match almost anything: `.`, `[^x]`, `\\S`, `\\w`, a negated class."""
    if len(items) != 1:
        return False
    op, av = items[0]
    if op in _WIDE:
        return True
    if op is sre_constants.IN:
        return any(o is sre_constants.NEGATE or o is sre_constants.CATEGORY for o, _ in av)
    return False


def _walk(items: Any) -> str | None:
    previous_wide_unbounded = False
    for op, av in items:
        if op in _REPEATS:
            body = av[2]
            if av[1] > 1 and _contains_repeat(body):
                return "a quantifier inside a quantifier can backtrack catastrophically"
            wide_unbounded = av[1] == _UNBOUNDED and _is_wide_item(body)
            if wide_unbounded and previous_wide_unbounded:
                return "two unbounded wildcards side by side backtrack polynomially"
            previous_wide_unbounded = wide_unbounded
            problem = _walk(body)
            if problem:
                return problem
            continue
        previous_wide_unbounded = False
        if op is sre_constants.SUBPATTERN:
            problem = _walk(av[3])
        elif op is sre_constants.BRANCH:
            problem = next((p for b in av[1] if (p := _walk(b))), None)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            problem = _walk(av[1])
        else:
            problem = None
        if problem:
            return problem
    return None


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` must not be used, or None when it compiles and has no dangerous shape."""
    try:
        parsed = sre_parse.parse(pattern)
        regex.compile(pattern)
    except (re.error, regex.error) as exc:
        return f"does not compile: {exc}"
    return _walk(list(parsed))


def _literal_chars(items: Any) -> int:
    total = 0
    for op, av in items:
        if op is sre_constants.LITERAL:
            total += 1
        elif op is sre_constants.SUBPATTERN:
            total += _literal_chars(av[3])
        elif op is sre_constants.BRANCH:
            total += min(_literal_chars(b) for b in av[1])
        elif op in _REPEATS:
            total += av[0] * _literal_chars(av[2])
    return total


def literal_strength(pattern: str) -> int:
    """How many literal characters every match must contain: `(eval.*mode|not found)` has 4, a
    pattern spelling out an error message has dozens. Broad patterns are weaker evidence."""
    try:
        return _literal_chars(list(sre_parse.parse(pattern)))
    except re.error:
        return 0


@functools.lru_cache(maxsize=None)
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """Compiled once per process, on first use: a large knowledge base need not compile every pattern
    at start-up, and a cached index stores only the sources."""
    return regex.compile(pattern)


def search_bounded(compiled: regex.Pattern[str], text: str, timeout: float = SEARCH_TIMEOUT_S) -> bool:
    """Whether `compiled` matches somewhere in `text`; a search that runs out of time counts as no match."""
    try:
        return compiled.search(text, timeout=timeout) is not None
    except TimeoutError:
        log.warning("pattern %r gave up after %.0f ms", compiled.pattern, timeout * 1000)
        return False
