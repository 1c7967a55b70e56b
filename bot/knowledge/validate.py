"""Turn one parsed YAML document into an Entry, or into problems that name the file and the field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from bot.knowledge.ids import WORKAROUND_ID_MAX, WORKAROUND_ID_RE, assign_ids
from bot.knowledge.model import (
    Context,
    DeadEnd,
    Entry,
    EntryKind,
    Reproducer,
    Verification,
    VersionRange,
    VersionRow,
    Workaround,
)
from bot.knowledge.patterns import pattern_problem
from bot.knowledge.placeholders import names_in, placeholder_problem
from bot.values import is_number

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*$")
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")

ENTRY_KEYS = {
    "id", "title", "domain", "category", "kind", "summary", "exception", "signatures", "patterns", "placeholders",
    "symptoms", "context", "verification", "verified_on", "fix_rate", "root_cause", "applies_to", "versions", "workarounds",
    "dead_ends", "sources", "related", "reproducer", "source_note",
}  # fmt: skip
REQUIRED_KEYS = ("id", "title", "domain", "category", "verification", "fix_rate", "root_cause")
WORKAROUND_KEYS = {"id", "title", "success_rate", "condition", "code", "lang", "applied_votes", "applies_to"}
APPLIED_KEYS = {"fixed", "failed"}
DEAD_END_KEYS = {"action", "why", "fail_rate"}
VERSION_KEYS = {"version", "status", "introduced", "deprecated", "applies_to"}
# A library name in `applies_to`: a package name as pip spells it, or `python`, or `cuda`.
LIBRARY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
VERSION_STATUSES = {"active", "changed", "deprecated", "removed"}
CONTEXT_KEYS = {"libraries", "paths"}
REPRODUCER_KEYS = {"code", "requires", "stand_in"}

# A value quoted in a problem line is cut to this many characters: enough to recognise it, never a flood.
MAX_QUOTED_CHARS = 200
# A problem line's field and message together stay under this, whatever went into them.
MAX_PROBLEM_CHARS = 2 * MAX_QUOTED_CHARS + 200


def clip(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def quoted(value: Any) -> str:
    """A value from a file, as a problem line may show it: scalars clipped and quoted, anything else by
    its type only, so a huge or deeply shared value is never formatted whole."""
    if isinstance(value, str):
        return repr(clip(value)) if len(value) > MAX_QUOTED_CHARS else repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        digits = value.bit_length() * 0.30103  # log10(2): int's str() refuses very long numbers
        return clip(str(value)) if digits < MAX_QUOTED_CHARS else f"a number of about {digits:.0f} digits"
    if value is None or isinstance(value, bool | float):
        return repr(value)
    return f"a {type(value).__name__}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one knowledge file."""

    path: str
    field: str
    message: str

    def __post_init__(self) -> None:
        # One line, bounded, whatever a caller formatted into it: problems go to logs and to Discord.
        object.__setattr__(self, "field", clip(" ".join(self.field.split()), MAX_QUOTED_CHARS))
        object.__setattr__(self, "message", clip(" ".join(self.message.split()), MAX_PROBLEM_CHARS))

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{where}: {self.message}"


class _Collector:
    """Reads fields out of a mapping, noting a problem for each one that is missing or mistyped."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, field, message))

    def unknown_keys(self, data: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(data) - allowed, key=quoted):
            name = key if isinstance(key, str) else quoted(key)
            self.add(f"{where}{clip(name)}", "unknown field")

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"{where}{key}", "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(f"{where}{key}", f"must be text, not {type(value).__name__}")
            return None
        value = str(value).strip()
        if required and not value:
            self.add(f"{where}{key}", "must not be empty")
            return None
        return value or None

    def rate(self, data: Mapping[str, Any], key: str, where: str) -> float:
        value = data.get(key)
        if not is_number(value):
            self.add(f"{where}{key}", "is required and must be a number from 0 to 1")
            return 0.0
        if not 0 <= value <= 1:  # compared unconverted: float() overflows on a 400-digit integer
            self.add(f"{where}{key}", f"must be from 0 to 1 (a fraction), got {quoted(value)}")
            return 1.0 if value > 1 else 0.0
        return float(value)

    def strings(self, data: Mapping[str, Any], key: str, where: str = "") -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add(f"{where}{key}", "must be a list of strings")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str | int | float) and not isinstance(item, bool) and str(item).strip():
                out.append(str(item).strip())
            else:
                self.add(f"{where}{key}[{i}]", "must be a non-empty string")
        return tuple(out)

    def ranges(self, data: Mapping[str, Any], where: str = "") -> tuple[VersionRange, ...]:
        """`applies_to: {torch: ">=2.0", python: "<3.12"}`; a bad library or specifier is one problem each,
        and the ranges that parse are kept."""
        value = data.get("applies_to")
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.add(f"{where}applies_to", 'must be a mapping of library to versions, e.g. {torch: ">=2.0"}')
            return ()
        out: list[VersionRange] = []
        for library, spec in value.items():
            field = f"{where}applies_to.{clip(library) if isinstance(library, str) else quoted(library)}"
            if not isinstance(library, str) or not LIBRARY_RE.match(library):
                self.add(field, "the library must be a package name (torch, transformers), python or cuda")
                continue
            if not isinstance(spec, str) or not spec.strip():
                self.add(field, f"{quoted(spec)} must be a quoted PEP 440 specifier such as '>=2.0,<2.4'")
                continue
            try:
                out.append(VersionRange(canonicalize_name(library), SpecifierSet(spec)))
            except InvalidSpecifier:
                self.add(field, f"{quoted(spec)} is not a PEP 440 specifier (e.g. '>=2.0', '<4.38', '>=1.9,<2.0')")
        return tuple(out)


T = TypeVar("T")


def _records(
    c: _Collector, data: Mapping[str, Any], key: str, build: Callable[[Mapping[str, Any], str], T | None]
) -> tuple[T, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        c.add(key, "must be a list")
        return ()
    out: list[T] = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]."
        if not isinstance(item, dict):
            c.add(f"{key}[{i}]", "must be a mapping")
            continue
        built = build(item, where)
        if built is not None:
            out.append(built)
    return tuple(out)


E = TypeVar("E", Verification, EntryKind)


def _choice(c: _Collector, data: Mapping[str, Any], key: str, choices: type[E], default: E) -> E:
    """One of an enum's values; the type is checked first, so a list or mapping is never formatted."""
    value = data.get(key)
    allowed = ", ".join(v.value for v in choices)
    if isinstance(value, str):
        try:
            return choices(value)
        except ValueError:
            pass
    c.add(key, f"{quoted(value)} must be one of {allowed}")
    return default


def _with_ids(c: _Collector, workarounds: tuple[Workaround, ...]) -> tuple[Workaround, ...]:
    """Check the workaround ids (present, unique) and fill any gap with the id the add-ids script would
    write, so an entry that is not yet fixed still loads with the ids it will have."""
    seen: dict[str, int] = {}
    for i, w in enumerate(workarounds):
        if not w.id:
            continue
        if w.id in seen:
            c.add(f"workarounds[{i}].id", f"{quoted(w.id)} is already the id of workarounds[{seen[w.id]}]")
        else:
            seen[w.id] = i
    missing = sum(1 for w in workarounds if not w.id)
    if missing:
        c.add(
            "workarounds",
            f"{missing} workaround(s) have no id (votes are stored under it): add them with "
            f"`python scripts/add-workaround-ids.py {c.path}`",
        )
    own = (w.id if seen.get(w.id) == i else None for i, w in enumerate(workarounds))  # a duplicate gets a new one
    ids = assign_ids((w.title for w in workarounds), own)
    return tuple(replace(w, id=new) for w, new in zip(workarounds, ids, strict=True))


def entry_from_mapping(data: Any, path: str, expected_id: str | None = None) -> tuple[Entry | None, list[Problem]]:
    """Validate one YAML document. Returns the entry (None when it is unusable) and every problem found."""
    c = _Collector(path)
    if not isinstance(data, dict):
        c.add("", f"the file must hold one mapping (an entry), not {type(data).__name__}")
        return None, c.problems
    c.unknown_keys(data, ENTRY_KEYS, "")

    entry_id = c.text(data, "id", "", required=True)
    if entry_id is not None:
        if not ID_RE.match(entry_id):
            c.add("id", f"{quoted(entry_id)} must look like 'domain/slug' (lowercase letters, digits, - _ .)")
        elif expected_id is not None and entry_id != expected_id:
            c.add("id", f"{quoted(entry_id)} does not match the file's path (expected {quoted(expected_id)})")
    title = c.text(data, "title", "", required=True)
    domain = c.text(data, "domain", "", required=True)
    if entry_id and domain and not entry_id.startswith(domain + "/"):
        c.add("domain", f"{quoted(domain)} does not match the id's domain {quoted(entry_id.split('/')[0])}")
    category = c.text(data, "category", "", required=True)
    if category and not CATEGORY_RE.match(category):
        c.add("category", f"{quoted(category)} must be snake_case")
    root_cause = c.text(data, "root_cause", "", required=True)
    fix_rate = c.rate(data, "fix_rate", "")

    verification = _choice(c, data, "verification", Verification, Verification.AI_GENERATED)
    kind = _choice(c, data, "kind", EntryKind, EntryKind.ERROR) if "kind" in data else EntryKind.ERROR

    summary = data.get("summary", False)
    if not isinstance(summary, bool):
        c.add("summary", "must be true or false")
        summary = False
    elif summary and kind is not EntryKind.ERROR:
        c.add("summary", "only an error entry can be a summary: a symptom has no error line to report another")
        summary = False

    signatures = c.strings(data, "signatures")
    symptoms = c.strings(data, "symptoms")
    if kind is EntryKind.SYMPTOM and not symptoms:
        c.add("symptoms", "a symptom entry needs symptoms: the words people describe it with")

    patterns = c.strings(data, "patterns")
    for i, pattern in enumerate(patterns):
        problem = pattern_problem(pattern)
        if problem:
            c.add(f"patterns[{i}]", problem)

    placeholders = _placeholders(c, data.get("placeholders"))

    context = Context()
    raw_context = data.get("context")
    if raw_context is not None:
        if isinstance(raw_context, dict):
            c.unknown_keys(raw_context, CONTEXT_KEYS, "context.")
            context = Context(
                libraries=c.strings(raw_context, "libraries", "context."),
                paths=c.strings(raw_context, "paths", "context."),
            )
        else:
            c.add("context", "must be a mapping with libraries and paths")

    def workaround(item: Mapping[str, Any], where: str) -> Workaround | None:
        c.unknown_keys(item, WORKAROUND_KEYS, where)
        w_title = c.text(item, "title", where, required=True)
        rate = c.rate(item, "success_rate", where)
        code = item.get("code")
        if code is not None and not isinstance(code, str):
            c.add(f"{where}code", "must be text")
            code = None
        applied = item.get("applied_votes") or {}
        counts = {"fixed": 0, "failed": 0}
        if not isinstance(applied, dict):
            c.add(f"{where}applied_votes", "must be a mapping with fixed and failed")
        else:
            c.unknown_keys(applied, APPLIED_KEYS, f"{where}applied_votes.")
            for key in counts:
                value = applied.get(key, 0)
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    c.add(f"{where}applied_votes.{key}", "must be a whole number, 0 or more")
                else:
                    counts[key] = value
        w_id = c.text(item, "id", where, required=False)
        if w_id is not None and (len(w_id) > WORKAROUND_ID_MAX or not WORKAROUND_ID_RE.match(w_id)):
            c.add(
                f"{where}id",
                f"{quoted(w_id)} must be a short slug: lowercase letters and digits joined by hyphens, "
                f"at most {WORKAROUND_ID_MAX} characters",
            )
            w_id = None
        if w_title is None:
            return None
        return Workaround(
            id=w_id or "",
            title=w_title,
            success_rate=rate,
            code=(code or "").rstrip("\n"),
            condition=c.text(item, "condition", where, required=False),
            lang=c.text(item, "lang", where, required=False),
            applied_fixed=counts["fixed"],
            applied_failed=counts["failed"],
            applies_to=c.ranges(item, where),
        )

    def dead_end(item: Mapping[str, Any], where: str) -> DeadEnd | None:
        c.unknown_keys(item, DEAD_END_KEYS, where)
        action = c.text(item, "action", where, required=True)
        why = c.text(item, "why", where, required=True)
        rate = c.rate(item, "fail_rate", where)
        if action is None or why is None:
            return None
        return DeadEnd(action=action, why=why, fail_rate=rate)

    def version(item: Mapping[str, Any], where: str) -> VersionRow | None:
        c.unknown_keys(item, VERSION_KEYS, where)
        name = c.text(item, "version", where, required=True)
        status = c.text(item, "status", where, required=True)
        if status is not None and status not in VERSION_STATUSES:
            c.add(f"{where}status", f"{quoted(status)} must be one of {', '.join(sorted(VERSION_STATUSES))}")
        if name is None or status is None:
            return None
        return VersionRow(
            version=name,
            status=status,
            introduced=c.text(item, "introduced", where, required=False),
            deprecated=c.text(item, "deprecated", where, required=False),
            applies_to=c.ranges(item, where),
        )

    applies_to = c.ranges(data)
    workarounds = _with_ids(c, _records(c, data, "workarounds", workaround))
    dead_ends = _records(c, data, "dead_ends", dead_end)
    versions = _records(c, data, "versions", version)

    reproducer = None
    raw_reproducer = data.get("reproducer")
    if raw_reproducer is not None:
        if isinstance(raw_reproducer, dict):
            c.unknown_keys(raw_reproducer, REPRODUCER_KEYS, "reproducer.")
            code = c.text(raw_reproducer, "code", "reproducer.", required=True)
            if code:
                reproducer = Reproducer(
                    code=code,
                    requires=c.strings(raw_reproducer, "requires", "reproducer."),
                    stand_in=c.text(raw_reproducer, "stand_in", "reproducer.", required=False),
                )
        else:
            c.add("reproducer", "must be a mapping with code and requires")

    related = c.strings(data, "related")
    for i, rid in enumerate(related):
        if not ID_RE.match(rid):
            c.add(f"related[{i}]", f"{quoted(rid)} is not an entry id")

    if any(p.field in {"id", "title", "domain", "category", "root_cause"} for p in c.problems):
        return None, c.problems
    assert entry_id and title and domain and category and root_cause
    declared = {name for name, _ in placeholders}
    for i, w in enumerate(workarounds):
        for name in sorted(names_in(w.code) - declared):
            c.add(f"workarounds[{i}].code", f"{{{{{name}:...}}}} names no entry placeholder ({name!r})")
    entry = Entry(
        id=entry_id,
        title=title,
        domain=domain,
        category=category,
        verification=verification,
        fix_rate=fix_rate,
        root_cause=root_cause,
        kind=kind,
        summary=summary,
        exception=c.text(data, "exception", "", required=False),
        signatures=signatures,
        patterns=tuple(p for i, p in enumerate(patterns) if not pattern_problem(p)),
        placeholders=placeholders,
        symptoms=symptoms,
        context=context,
        verified_on=c.text(data, "verified_on", "", required=False),
        applies_to=applies_to,
        versions=versions,
        workarounds=workarounds,
        dead_ends=dead_ends,
        sources=c.strings(data, "sources"),
        related=related,
        reproducer=reproducer,
        source_note=c.text(data, "source_note", "", required=False),
        path=path,
    )
    return entry, c.problems


def _placeholders(c: Any, raw: Any) -> tuple[tuple[str, str], ...]:
    """`placeholders: {name: pattern}`; a bad one is one problem and is left out."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        c.add("placeholders", "must be a mapping of name to a pattern with that named group")
        return ()
    kept: list[tuple[str, str]] = []
    for name, pattern in raw.items():
        where = f"placeholders.{clip(str(name))}"
        if not isinstance(name, str) or not isinstance(pattern, str):
            c.add(where, "name and pattern must be text")
            continue
        problem = pattern_problem(pattern) or placeholder_problem(name, pattern)
        if problem:
            c.add(where, problem)
            continue
        kept.append((name, pattern))
    return tuple(kept)


def entry_to_mapping(entry: Entry) -> dict[str, Any]:
    """The YAML form of an entry: the inverse of entry_from_mapping, leaving out empty fields."""
    out: dict[str, Any] = {
        "id": entry.id,
        "title": entry.title,
        "domain": entry.domain,
        "category": entry.category,
    }
    if entry.kind is not EntryKind.ERROR:
        out["kind"] = entry.kind.value
    if entry.summary:
        out["summary"] = True
    if entry.exception:
        out["exception"] = entry.exception
    if entry.signatures:
        out["signatures"] = list(entry.signatures)
    if entry.patterns:
        out["patterns"] = list(entry.patterns)
    if entry.placeholders:
        out["placeholders"] = dict(entry.placeholders)
    if entry.symptoms:
        out["symptoms"] = list(entry.symptoms)
    if entry.context.libraries or entry.context.paths:
        ctx: dict[str, Any] = {}
        if entry.context.libraries:
            ctx["libraries"] = list(entry.context.libraries)
        if entry.context.paths:
            ctx["paths"] = list(entry.context.paths)
        out["context"] = ctx
    out["verification"] = entry.verification.value
    if entry.verified_on:
        out["verified_on"] = entry.verified_on
    out["fix_rate"] = entry.fix_rate
    out["root_cause"] = entry.root_cause
    if entry.applies_to:
        out["applies_to"] = ranges_to_mapping(entry.applies_to)
    if entry.versions:
        out["versions"] = [
            {"version": v.version, "status": v.status, "introduced": v.introduced, "deprecated": v.deprecated}
            | ({"applies_to": ranges_to_mapping(v.applies_to)} if v.applies_to else {})
            for v in entry.versions
        ]
    out["workarounds"] = [
        {
            k: v
            for k, v in (
                ("id", w.id or None),
                ("title", w.title),
                ("success_rate", w.success_rate),
                ("condition", w.condition),
                ("lang", w.lang),
                ("code", w.code + "\n" if w.code else None),
                (
                    "applied_votes",
                    {"fixed": w.applied_fixed, "failed": w.applied_failed}
                    if w.applied_fixed or w.applied_failed
                    else None,
                ),
                ("applies_to", ranges_to_mapping(w.applies_to) if w.applies_to else None),
            )
            if v is not None
        }
        for w in entry.workarounds
    ]
    out["dead_ends"] = [{"action": d.action, "why": d.why, "fail_rate": d.fail_rate} for d in entry.dead_ends]
    if entry.sources:
        out["sources"] = list(entry.sources)
    if entry.related:
        out["related"] = list(entry.related)
    if entry.reproducer:
        reproducer: dict[str, Any] = {"requires": list(entry.reproducer.requires)}
        if entry.reproducer.stand_in:
            reproducer["stand_in"] = entry.reproducer.stand_in
        reproducer["code"] = entry.reproducer.code + "\n"
        out["reproducer"] = reproducer
    if entry.source_note:
        out["source_note"] = entry.source_note
    return out


def ranges_to_mapping(ranges: tuple[VersionRange, ...]) -> dict[str, str]:
    """The YAML form of `applies_to`: library to specifier text."""
    return {r.library: str(r.specifier) for r in ranges}
