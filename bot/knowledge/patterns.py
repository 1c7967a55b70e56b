"""Entry regexes: a static check against catastrophic backtracking, and matching with a time bound.

Entry patterns are written by curators and run on text from strangers, so they get two guards: lint
rejects the shapes that backtrack exponentially or polynomially (a quantifier inside a quantifier,
two unbounded wildcards side by side), and at run time every search has a timeout (the `regex`
module checks it inside its C matching loop, with the GIL released), so a pattern that slips through
still cannot stall the bot. `search_shape_problem` finds the shapes whose search is quadratic in the
text; the tests hold every built-in pattern that reads message text to it.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import string
import threading
from dataclasses import dataclass
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


# -- search shapes whose cost grows with the square of the text -----------------------------------------
#
# A linear-looking pattern is quadratic in a search when one long run of characters is scanned again from
# many starting points, or split in many ways. Three shapes do that:
#   - a run from every start: an unbounded repeat that can be entered anywhere inside a run of its own
#     characters (`\s*x`, `^\s*x` under MULTILINE, `torch\.Size\(\[[^\]]*\]`) and is followed by
#     something that can fail, so each start scans to the run's end;
#   - a run split two ways: an unbounded repeat followed, with only optional items between, by another
#     unbounded repeat over some of the same characters (`\s*,?\s*\]`);
#   - a run split many ways: the same, where the second repeat is the next iteration of an enclosing
#     repeat (`(a+)+`, `(?:\s*\w+)*`).
# The check works on the standard library's parse tree, comparing character classes over sample characters
# (below) plus every literal in the pattern.

_SAMPLE_CHARS = frozenset(string.printable + "\x00\x1c\x85\xa0\u00e9\u2003\u2028\u3000\u20ac\ufffd")
_CATEGORY_PROBE = {
    sre_constants.CATEGORY_DIGIT: re.compile(r"\d"),
    sre_constants.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    sre_constants.CATEGORY_SPACE: re.compile(r"\s"),
    sre_constants.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    sre_constants.CATEGORY_WORD: re.compile(r"\w"),
    sre_constants.CATEGORY_NOT_WORD: re.compile(r"\W"),
}
_WORD_CHAR = re.compile(r"\w")
_ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}
_PLAIN_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}  # possessive ones never backtrack


@dataclass(frozen=True)
class _Shape:
    """What the parse-tree walk needs besides the tree: the pattern's flags and its character universe."""

    flags: int
    universe: frozenset[str]

    def chars(self, op: Any, av: Any) -> frozenset[str]:
        """Every character one item can consume (all of an item's, for a group or a repeat)."""
        if op is sre_constants.LITERAL:
            return self._cased(chr(av))
        if op is sre_constants.NOT_LITERAL:
            return self.universe - self._cased(chr(av))
        if op is sre_constants.ANY:
            return self.universe if self.flags & re.DOTALL else self.universe - {"\n"}
        if op is sre_constants.IN:
            return self._class(av)
        if op in _REPEATS:
            return self.chars_of(av[2])
        if op is sre_constants.SUBPATTERN:
            return self.chars_of(av[3])
        if op is sre_constants.BRANCH:
            return frozenset().union(*(self.chars_of(b) for b in av[1]))
        if op in _ZERO_WIDTH:
            return frozenset()
        return self.universe  # a back-reference, a conditional group: anything

    def chars_of(self, items: Any) -> frozenset[str]:
        return frozenset().union(*(self.chars(op, av) for op, av in items))

    def _cased(self, char: str) -> frozenset[str]:
        return frozenset({char, char.lower(), char.upper()} if self.flags & re.IGNORECASE else {char})

    def _class(self, av: Any) -> frozenset[str]:
        members: set[str] = set()
        negate = False
        for op, arg in av:
            if op is sre_constants.NEGATE:
                negate = True
            elif op is sre_constants.LITERAL:
                members |= self._cased(chr(arg))
            elif op is sre_constants.RANGE:
                members |= {c for c in self.universe if any(arg[0] <= ord(v) <= arg[1] for v in self._cased(c))}
            elif op is sre_constants.CATEGORY:
                probe = _CATEGORY_PROBE.get(arg)
                members |= {c for c in self.universe if probe is None or probe.fullmatch(c)}
        return self.universe - members if negate else frozenset(members)


def _min_width(op: Any, av: Any) -> int:
    if op in (sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.ANY, sre_constants.IN):
        return 1
    if op is sre_constants.SUBPATTERN:
        return sum(_min_width(o, a) for o, a in av[3])
    if op is sre_constants.BRANCH:
        return min(sum(_min_width(o, a) for o, a in b) for b in av[1])
    if op in _REPEATS:
        return int(av[0]) * sum(_min_width(o, a) for o, a in av[2])
    return 0


def _can_fail(items: Any) -> bool:
    """Whether matching these items can fail: anything but optional repeats can."""
    return any(not (op in _REPEATS and av[0] == 0) for op, av in items)


def _is_run(op: Any, av: Any) -> bool:
    """An unbounded repeat of one character class: the thing that scans a long run of text."""
    return op in _REPEATS and av[1] == _UNBOUNDED and len(av[2]) == 1 and _min_width(*av[2][0]) == 1


def _leading_runs(items: Any) -> list[tuple[Any, Any, list[Any]]]:
    """The runs that can consume the first character of `items`, each with what follows it."""
    found: list[tuple[Any, Any, list[Any]]] = []
    for i, (op, av) in enumerate(items):
        rest = list(items[i + 1 :])
        if _is_run(op, av):
            found.append((op, av, rest))
        elif op in _REPEATS:
            found += [(o, a, r + rest) for o, a, r in _leading_runs(av[2])]
        elif op is sre_constants.SUBPATTERN:
            found += [(o, a, r + rest) for o, a, r in _leading_runs(av[3])]
        elif op is sre_constants.BRANCH:
            found += [(o, a, r + rest) for b in av[1] for o, a, r in _leading_runs(b)]
        if op not in _ZERO_WIDTH and _min_width(op, av) > 0:
            break
    return found


def _has_barrier(shape: _Shape, items: Any, run: frozenset[str]) -> bool:
    """Whether every match of `items` consumes a character the run cannot: then the run is entered from
    at most one place in each stretch of its characters."""
    for op, av in items:
        if _min_width(op, av) == 0:
            continue
        if op is sre_constants.SUBPATTERN and _has_barrier(shape, av[3], run):
            return True
        if op in _REPEATS and _has_barrier(shape, av[2], run):
            return True
        if op is sre_constants.BRANCH and all(_has_barrier(shape, b, run) for b in av[1]):
            return True
        single = op in (sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.ANY, sre_constants.IN)
        if single and not shape.chars(op, av) & run:
            return True
    return False


def _guarded(shape: _Shape, prefix: list[Any], stretch: frozenset[str]) -> bool:
    r"""Whether the zero-width items that open the match keep it from starting twice inside one stretch
    of these characters: `\A`, `^` (per line when the stretch has no newline), `\b` before word
    characters, a negative look-behind at the stretch's own characters."""
    for op, av in prefix:
        if op not in _ZERO_WIDTH:
            return False
        if op is sre_constants.AT:
            if av is sre_constants.AT_BEGINNING_STRING:
                return True
            if av is sre_constants.AT_BEGINNING:
                return not shape.flags & re.MULTILINE or "\n" not in stretch
            if av is sre_constants.AT_BOUNDARY and all(_WORD_CHAR.fullmatch(c) for c in stretch):
                return True
        if op is sre_constants.ASSERT_NOT and av[0] == -1 and stretch <= shape.chars_of(av[1]):
            return True
    return False


def _walk_runs(shape: _Shape, items: Any, prefix: list[Any], after: list[Any]) -> str | None:
    for i, (op, av) in enumerate(items):
        rest = list(items[i + 1 :]) + after
        if _is_run(op, av):
            problem = _run_problem(shape, op, av, prefix, rest)
            if problem:
                return problem
        if op in _REPEATS:
            # After one pass through the body comes another pass (when it may repeat) or what follows.
            again = [(sre_constants.MAX_REPEAT, (0, _UNBOUNDED, av[2]))] if av[1] > 1 else []
            problem = _walk_runs(shape, av[2], prefix, again + rest)
        elif op is sre_constants.SUBPATTERN:
            problem = _walk_runs(shape, av[3], prefix, rest)
        elif op is sre_constants.BRANCH:
            problem = next((p for b in av[1] if (p := _walk_runs(shape, b, prefix, rest))), None)
        else:
            problem = None
        if problem:
            return problem
        prefix = [*prefix, (op, av)]
    return None


def _run_problem(shape: _Shape, op: Any, av: Any, prefix: list[Any], rest: list[Any]) -> str | None:
    if not _can_fail(rest):
        return None  # nothing after the run can make the search back up into it
    run = shape.chars_of(av[2])
    if not _has_barrier(shape, prefix, run) and not _guarded(shape, prefix, run | shape.chars_of(prefix)):
        return "an unbounded repeat entered from every start inside a run of its characters (quadratic)"
    if op in _PLAIN_REPEATS:
        for _, next_av, _ in _leading_runs(rest):
            if next_av[1] == _UNBOUNDED and shape.chars_of(next_av[2]) & run:
                return "two unbounded repeats over the same characters can split one run many ways"
    return None


def search_shape_problem(pattern: str, flags: int = 0) -> str | None:
    """Why searching text with `pattern` can take time quadratic (or worse) in the text's length, or None.

    Checks the shapes described above; it is conservative (a shape it names is slow on some text) but
    not complete (overlapping alternatives such as `(a|aa)+` pass), so searches still need time bounds.
    """
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error as exc:
        return f"does not compile: {exc}"
    items = list(parsed)
    literals = {chr(av) for op, av in _flatten(items) if op in (sre_constants.LITERAL, sre_constants.NOT_LITERAL)}
    shape = _Shape(flags | parsed.state.flags, frozenset(_SAMPLE_CHARS | literals))
    return _walk_runs(shape, items, [], [])


def _flatten(items: Any) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for op, av in items:
        out.append((op, av))
        if op in _REPEATS:
            out += _flatten(av[2])
        elif op is sre_constants.SUBPATTERN:
            out += _flatten(av[3])
        elif op is sre_constants.BRANCH:
            out += [x for b in av[1] for x in _flatten(b)]
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            out += _flatten(av[1])
        elif op is sre_constants.IN:
            out += [(o, a) for o, a in av if o is sre_constants.LITERAL]
    return out


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


def _required_runs(items: Any) -> list[str]:
    """The runs of consecutive literal characters that every match of these items contains."""
    runs: list[str] = []
    current: list[str] = []
    for op, av in items:
        if op is sre_constants.LITERAL:
            current.append(chr(av))
            continue
        runs.append("".join(current))
        current = []
        if op is sre_constants.SUBPATTERN and not av[1] & re.IGNORECASE:
            runs += _required_runs(av[3])
        elif op in _REPEATS and av[0] >= 1:
            runs += _required_runs(av[2])  # present at least once; a branch or an optional part is not
    runs.append("".join(current))
    return runs


def pattern_literals(pattern: str) -> tuple[int, str]:
    """What the index keeps of a pattern's literals, read from one parse: its strength, how many literal characters
    every match must contain (`(eval.*mode|not found)` has 4, a pattern spelling out an error message dozens: broad
    patterns are weaker evidence), and its `required_literal`. 0 and '' for a pattern the standard parser does not
    read."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return 0, ""
    return _literal_chars(list(parsed)), _longest_required_run(parsed)


def required_literal(pattern: str) -> str:
    """The longest run of characters that every match of `pattern` spells out as written ('' when none is sure:
    a top-level alternation, case-insensitive matching, a pattern the standard parser does not read).

    A text that lacks it cannot match, so a search can be skipped on a substring test, which costs a fraction
    of a regex search: most of a query's entry patterns are searched on texts that hold none of their words."""
    return pattern_literals(pattern)[1]


def _longest_required_run(parsed: Any) -> str:
    if parsed.state.flags & re.IGNORECASE:
        return ""
    return str(max(_required_runs(list(parsed)), key=len))


@functools.cache
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """Compiled once per process, on first use: a large knowledge base need not compile every pattern
    at start-up, and a cached index stores only the sources."""
    return regex.compile(pattern)


class _LastSearch(threading.local):
    """The text this thread searched last, and whether a time-out on it was logged already."""

    text: str | None = None
    warned: bool = False


_last_search = _LastSearch()


def first_match(pattern: str, text: str, timeout: float = SEARCH_TIMEOUT_S) -> regex.Match[str] | None:
    """The first match of `pattern` in `text`, for a caller that needs its groups (a placeholder's value); None when
    there is none or the search ran out of time, so a slow pattern costs its value, never the whole query. The search
    releases the GIL, as `search_bounded`'s does."""
    try:
        return regex.search(pattern, text, timeout=timeout, concurrent=True)
    except TimeoutError:
        log.debug("pattern %r gave up after %.0f ms on a %d-character text", pattern, timeout * 1000, len(text))
        return None


def search_bounded(compiled: regex.Pattern[str], text: str, timeout: float = SEARCH_TIMEOUT_S) -> bool:
    """Whether `compiled` matches somewhere in `text`; a search that runs out of time counts as no match.

    The search releases the GIL (`concurrent=True`), so while it runs in the matching thread the event
    loop keeps its heartbeat. A query searches one text with pattern after pattern: a time-out logs one
    WARNING per text in a row, the rest at DEBUG, so one hostile paste cannot flood the log.
    """
    if text != _last_search.text:
        _last_search.text, _last_search.warned = text, False
    try:
        return compiled.search(text, timeout=timeout, concurrent=True) is not None
    except TimeoutError:
        level = logging.DEBUG if _last_search.warned else logging.WARNING
        _last_search.warned = True
        log.log(level, "pattern %r gave up after %.0f ms on a %d-character text; further time-outs on this text "
                "are logged at DEBUG", compiled.pattern, timeout * 1000, len(text))  # fmt: skip
        return False
