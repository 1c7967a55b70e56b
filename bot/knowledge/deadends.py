"""Import deadends.dev canons (their JSON format) as knowledge entries in our YAML schema.

`convert_canon` is pure: one parsed canon in, an entry mapping (or the reason it cannot be converted)
out. `import_deadends` walks a directory of canons, merges the per-environment copies of one canon
(`python/modulenotfounderror/py310-macos` and `.../py311-linux`) into one entry with variants, validates
every mapping with the same code the loader uses, resolves `related` ids against the set that converted,
and writes one YAML file per entry. Their data stays theirs: every entry names its source, its licence
(CC BY 4.0) and its links in `source_note`.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.knowledge.ids import assign_ids
from bot.knowledge.loader import dump_entry
from bot.knowledge.model import Entry, Verification
from bot.knowledge.patterns import pattern_problem
from bot.knowledge.validate import ID_RE, entry_from_mapping
from bot.matching.extract import LIBRARY_ALIASES

SOURCE_NAME = "deadends.dev"
# deadends.dev's code is MIT (the LICENSE file beside the canons), but the canons are their data, published
# under CC BY 4.0: whatever is built from them credits deadends.dev and names that licence. A canon's own
# `license` field, or --licence, overrides it.
DEFAULT_LICENCE = "CC BY 4.0"
LICENCE_LINKS = {"CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/"}
MAX_CANON_BYTES = 1024 * 1024
MAX_TITLE_CHARS = 300
MAX_SOURCES = 8
MAX_SYMPTOMS = 4
# review_status values that mean a person looked at the canon (all others are machine-written).
HUMAN_REVIEWED = {"human_reviewed", "human_verified", "reviewed", "verified"}

# `TypeError: ...`, `java.util.concurrent.RejectedExecutionException: ...`: the class as printed.
_EXCEPTION = re.compile(r"^((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Warning|Exit|Interrupt|Fault))\s*:")
_SLUG_BAD = re.compile(r"[^a-z0-9_.-]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Groups for the report: why a canon did not become an entry.
INVALID_JSON = "invalid JSON"
UNREADABLE = "unreadable file"
WRONG_SHAPE = "wrong shape"
MISSING_SIGNATURE = "missing signature"
MISSING_SUMMARY = "missing verdict.summary"
BAD_ID = "unusable id"
ID_COLLISION = "id collision"
INVALID_ENTRY = "invalid entry"


@dataclass(frozen=True, slots=True)
class Unconvertible:
    kind: str  # one of the group names above
    detail: str


@dataclass(frozen=True, slots=True)
class Converted:
    entry_id: str
    their_id: str
    mapping: dict[str, Any]  # our schema; `related` still holds every mapped id, resolved later
    dropped_pattern: str | None = None  # why error.regex was left out, if it was
    warnings: tuple[str, ...] = ()
    licence: str = DEFAULT_LICENCE  # of the canon's data, named in source_note
    variants: tuple[str, ...] = ()  # their ids of the per-environment copies merged into this entry, if any


def _slug_part(text: str) -> str:
    return _SLUG_BAD.sub("-", text.strip().lower()).strip("-_.")


def our_id(their_id: str, fallback_domain: str | None = None) -> str | None:
    """`grpc/dns-resolver-error/grpc1-linux` -> `grpc/dns-resolver-error--grpc1-linux`; None if unusable.

    Our ids have exactly one slash, so everything after their domain is joined with `--`, which keeps
    the mapping deterministic and readable (and `related` ids can be mapped without the other file).
    """
    parts = [p for p in (_slug_part(p) for p in their_id.split("/")) if p]
    if len(parts) == 1 and fallback_domain:
        parts = [_slug_part(fallback_domain), *parts]
    if len(parts) < 2 or not parts[0]:
        return None
    candidate = f"{parts[0]}/{'--'.join(parts[1:])}"
    return candidate if ID_RE.match(candidate) else None


def snake_case(text: str) -> str:
    """`Connection Error` / `connection-error` / `ConnectionError` -> `connection_error`."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text.strip())
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if text and not text[0].isalpha():
        text = "c_" + text
    return text


def _rate(value: Any) -> tuple[float | None, str | None]:
    """A rate as a fraction, with a note when it had to be fixed; None when it is not a number at all."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%")) / (100.0 if value.strip().endswith("%") else 1.0)
        except ValueError:
            return None, None
    if not isinstance(value, int | float) or value != value:  # value != value: NaN
        return None, None
    rate = float(value)
    if 1.0 < rate <= 100.0:
        return round(rate / 100.0, 4), f"rate {value} read as a percentage"
    if rate < 0.0 or rate > 1.0:
        clamped = min(1.0, max(0.0, rate))
        return clamped, f"rate {value} clamped to {clamped}"
    return rate, None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _items(canon: Mapping[str, Any], key: str, warnings: list[str]) -> list[Mapping[str, Any]]:
    value = canon.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        warnings.append(f"{key} is not a list; ignored")
        return []
    out: list[Mapping[str, Any]] = [item for item in value if isinstance(item, dict)]
    if len(out) != len(value):
        warnings.append(f"{key}: {len(value) - len(out)} items that are not objects ignored")
    return out


def _workarounds(canon: Mapping[str, Any], warnings: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, item in enumerate(_items(canon, "workarounds", warnings)):
        action = _text(item.get("action"))
        rate, note = _rate(item.get("success_rate"))
        if not action or rate is None:
            warnings.append(f"workarounds[{i}] has no action or no success_rate; left out")
            continue
        if note:
            warnings.append(f"workarounds[{i}]: {note}")
        w: dict[str, Any] = {"title": action, "success_rate": rate}
        if condition := _text(item.get("condition")):
            w["condition"] = condition
        w["code"] = _text(item.get("how")) or action
        out.append(w)
    out.sort(key=lambda w: -float(w["success_rate"]))  # our schema ranks workarounds best first
    # Feedback is keyed on a workaround's id: the same one scripts/add-workaround-ids.py would give it.
    for w, workaround_id in zip(out, assign_ids((w["title"] for w in out), (None for _ in out)), strict=True):
        w["id"] = workaround_id
    return out


def _dead_ends(canon: Mapping[str, Any], warnings: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, item in enumerate(_items(canon, "dead_ends", warnings)):
        action, why = _text(item.get("action")), _text(item.get("why_fails"))
        rate, note = _rate(item.get("fail_rate"))
        if not action or not why or rate is None:
            warnings.append(f"dead_ends[{i}] has no action, why_fails or fail_rate; left out")
            continue
        if note:
            warnings.append(f"dead_ends[{i}]: {note}")
        out.append({"action": action, "why": why, "fail_rate": rate})
    return out


def _related(canon: Mapping[str, Any], domain: str) -> list[str]:
    """Every id their transition graph names, in our id scheme; the importer keeps those that exist."""
    graph = canon.get("transition_graph")
    if not isinstance(graph, dict):
        return []
    ids: dict[str, None] = {}
    for key in ("frequently_confused_with", "leads_to", "preceded_by"):  # most often confused first
        links = graph.get(key)
        for link in links if isinstance(links, list) else ():
            target = link.get("error_id") if isinstance(link, dict) else link
            if isinstance(target, str) and (mapped := our_id(target, domain)):
                ids.setdefault(mapped, None)
    return list(ids)


def _sources(canon: Mapping[str, Any], url: str) -> list[str]:
    found: dict[str, None] = {url: None} if url else {}
    for key in ("workarounds", "dead_ends"):
        items = canon.get(key)
        for item in items if isinstance(items, list) else ():
            links = item.get("sources") if isinstance(item, dict) else None
            for link in links if isinstance(links, list) else ():
                if isinstance(link, str) and link.startswith(("https://", "http://")):
                    found.setdefault(link.strip(), None)
    return list(found)[:MAX_SOURCES]


def _symptoms(summary: str, title: str, exception: str | None) -> list[str]:
    """The canon has no symptoms; its summary sentences and the bare error message stand in for them."""
    candidates = [s.strip().rstrip(".").strip() for s in _SENTENCE_END.split(summary)]
    if exception:
        candidates.append(title[len(exception) :].lstrip(" :").strip())
    seen: dict[str, str] = {}
    for text in candidates:
        if len(text) >= 8:
            seen.setdefault(text.lower(), text)
    return list(seen.values())[:MAX_SYMPTOMS]


def _libraries(canon: Mapping[str, Any]) -> list[str]:
    """Their runtime name as the module name the matcher's library hints use, when it knows one."""
    env = canon.get("environment")
    runtime = env.get("runtime") if isinstance(env, dict) else None
    name = runtime.get("name") if isinstance(runtime, dict) else None
    if isinstance(name, str) and (module := LIBRARY_ALIASES.get(name.strip().lower())):
        return [module]
    return []


def convert_canon(
    canon: Any, *, licence: str = DEFAULT_LICENCE, fallback_id: str | None = None
) -> Converted | Unconvertible:
    """One deadends.dev canon as an entry mapping in our schema, or why it cannot be one."""
    if not isinstance(canon, dict):
        return Unconvertible(WRONG_SHAPE, f"the file holds a {type(canon).__name__}, not a canon object")
    error, verdict, metadata = canon.get("error"), canon.get("verdict"), canon.get("metadata")
    if not isinstance(error, dict):
        return Unconvertible(WRONG_SHAPE, "no `error` object")
    if not isinstance(verdict, dict):
        return Unconvertible(WRONG_SHAPE, "no `verdict` object")
    signature = _text(error.get("signature"))
    if not signature:
        return Unconvertible(MISSING_SIGNATURE, "error.signature is missing or empty")
    summary = _text(verdict.get("summary"))
    if not summary:
        return Unconvertible(MISSING_SUMMARY, "verdict.summary is missing or empty (our root_cause)")

    their_id = _text(canon.get("id")) or (fallback_id or "")
    their_domain = _text(error.get("domain"))
    entry_id = our_id(their_id, their_domain)
    if entry_id is None:
        return Unconvertible(BAD_ID, f"cannot make an id of the form domain/slug from {their_id!r}")
    domain = entry_id.split("/", 1)[0]

    warnings: list[str] = []
    if their_domain and _slug_part(their_domain) != domain:
        warnings.append(f"error.domain {their_domain!r} differs from the id's domain {domain!r}; used the id's")
    category = snake_case(_text(error.get("category")))
    if not category:
        warnings.append("error.category missing; used `unknown`")
        category = "unknown"

    title = " ".join(signature.splitlines()[0].split())[:MAX_TITLE_CHARS]
    exception_match = _EXCEPTION.match(title)
    exception = exception_match.group(1) if exception_match else None

    workarounds = _workarounds(canon, warnings)
    fix_rate, note = _rate(verdict.get("fix_success_rate"))
    if fix_rate is None:
        fix_rate = max((float(w["success_rate"]) for w in workarounds), default=0.0)
        warnings.append(f"verdict.fix_success_rate is not a number; used {fix_rate}")
    elif note:
        warnings.append(f"verdict.fix_success_rate: {note}")

    dropped_pattern: str | None = None
    patterns: list[str] = []
    regex_text = error.get("regex")
    if isinstance(regex_text, str) and regex_text.strip():
        # Their regexes run on strangers' text in our matcher: only the shapes our lint accepts go in.
        dropped_pattern = pattern_problem(regex_text)
        if dropped_pattern is None:
            patterns.append(regex_text)

    review = _text(metadata.get("review_status")) if isinstance(metadata, dict) else ""
    human = review.lower().replace("-", "_").replace(" ", "_") in HUMAN_REVIEWED
    verification = Verification.COMMUNITY if human else Verification.AI_GENERATED
    url = _text(canon.get("url"))
    own_licence = _text(canon.get("license")) or _text(canon.get("licence")) or licence

    mapping: dict[str, Any] = {"id": entry_id, "title": title, "domain": domain, "category": category}
    if exception:
        mapping["exception"] = exception
    mapping["signatures"] = [signature]
    if patterns:
        mapping["patterns"] = patterns
    if symptoms := _symptoms(summary, title, exception):
        mapping["symptoms"] = symptoms
    if libraries := _libraries(canon):
        mapping["context"] = {"libraries": libraries}
    mapping |= {
        "verification": verification.value,
        "fix_rate": fix_rate,
        "root_cause": summary,
        "workarounds": workarounds,
        "dead_ends": _dead_ends(canon, warnings),
    }
    if sources := _sources(canon, url):
        mapping["sources"] = sources
    if related := [r for r in _related(canon, domain) if r != entry_id]:
        mapping["related"] = related
    mapping["source_note"] = attribution(own_licence, url or their_id)
    return Converted(entry_id, their_id, mapping, dropped_pattern, tuple(warnings), own_licence)


def attribution(licence: str, where: str) -> str:
    """The credit CC BY asks for: the source, the licence with its link, and that we changed the text."""
    link = LICENCE_LINKS.get(licence)
    return f"Adapted from {SOURCE_NAME}, {licence}{f' ({link})' if link else ''}: {where}"


# -- per-environment copies -----------------------------------------------------------------------------


def variant_of(their_id: str) -> tuple[str, str] | None:
    """`python/modulenotfounderror/py311-linux` -> (`python/modulenotfounderror`, `py311-linux`): the canon
    in our id scheme and the environment this copy is for; None for an id without an environment part."""
    parts = [p for p in their_id.split("/") if p.strip()]
    if len(parts) < 3:
        return None
    canon_id = our_id("/".join(parts[:-1]))
    return (canon_id, parts[-1].strip()) if canon_id else None


def _union(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _merged_workarounds(mappings: Sequence[Mapping[str, Any]], environments: Sequence[str]) -> list[dict[str, Any]]:
    """Every variant's workarounds, one per title, best first. One that only some environments list says
    which in its condition; where two variants rate the same workaround, the better rate stands."""
    found: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for mapping, env in zip(mappings, environments, strict=True):
        for w in mapping.get("workarounds", ()):
            key = str(w["title"]).casefold()
            if key not in found:
                found[key] = (dict(w), [env])
                continue
            best, envs = found[key]
            envs.append(env)
            if float(w["success_rate"]) > float(best["success_rate"]):
                found[key] = ({**w, "id": best.get("id", w.get("id"))}, envs)
    out: list[dict[str, Any]] = []
    for w, envs in found.values():
        if len(set(envs)) < len(set(environments)):
            where = "on " + ", ".join(dict.fromkeys(envs))
            w["condition"] = f"{where}: {w['condition']}" if w.get("condition") else where
        out.append(w)
    out.sort(key=lambda w: -float(w["success_rate"]))  # stable: the first variant's order breaks ties
    # Titles differ, but two can still slug to one id; every id must be unique within the entry.
    for w, workaround_id in zip(out, assign_ids((w["title"] for w in out), (w.get("id") for w in out)), strict=True):
        w["id"] = workaround_id
    return out


def _merged_dead_ends(mappings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for mapping in mappings:
        for d in mapping.get("dead_ends", ()):
            found.setdefault(str(d["action"]).casefold(), dict(d))
    return list(found.values())


def _variant_names(their_ids: Sequence[str]) -> list[str]:
    """What tells the copies apart: `node20-macos` among environments of one canon, `noauth-required/redis7-linux`
    among canons of one error under different slugs."""
    parts = [their_id.split("/") for their_id in their_ids]
    shared = 0
    while all(len(p) > shared + 1 and p[shared] == parts[0][shared] for p in parts):
        shared += 1
    return ["/".join(p[shared:]) for p in parts]


def merge_variants(entry_id: str, variants: Sequence[Converted]) -> Converted:
    """The per-environment copies of one canon as one entry. They share an error and mostly a signature: as
    separate entries they tie on every paste of it, and a tie never answers. The entry keeps every variant's
    signatures, patterns, symptoms, workarounds (conditioned on the environments that list them) and links;
    its fix rate is the best variant's, and it counts as reviewed only when every variant was."""
    variants = sorted(variants, key=lambda v: v.their_id)
    maps = [v.mapping for v in variants]
    environments = _variant_names([v.their_id for v in variants])
    first = maps[0]
    mapping: dict[str, Any] = {k: first[k] for k in ("title", "domain", "category")}
    mapping = {"id": entry_id, **mapping}
    exceptions = Counter(str(m["exception"]) for m in maps if m.get("exception"))
    if exceptions:
        mapping["exception"] = exceptions.most_common(1)[0][0]
    mapping["signatures"] = _union(s for m in maps for s in m["signatures"])
    if patterns := _union(p for m in maps for p in m.get("patterns", ())):
        mapping["patterns"] = patterns
    if symptoms := _union(s for m in maps for s in m.get("symptoms", ())):
        mapping["symptoms"] = symptoms
    if libraries := _union(lib for m in maps for lib in m.get("context", {}).get("libraries", ())):
        mapping["context"] = {"libraries": libraries}
    reviewed = all(m["verification"] == Verification.COMMUNITY.value for m in maps)
    mapping |= {
        "verification": (Verification.COMMUNITY if reviewed else Verification.AI_GENERATED).value,
        "fix_rate": max(float(m["fix_rate"]) for m in maps),
        "root_cause": first["root_cause"],
        "workarounds": _merged_workarounds(maps, environments),
        "dead_ends": _merged_dead_ends(maps),
    }
    links = [m["sources"][0] for m in maps if m.get("sources")]
    if sources := _union([*links, *(s for m in maps for s in m.get("sources", ()))])[: MAX_SOURCES + len(links)]:
        mapping["sources"] = sources
    mapping["related"] = _union(r for m in maps for r in m.get("related", ()))
    where = f"one canon in {len(variants)} environments ({', '.join(environments)}): {', '.join(links)}"
    mapping["source_note"] = attribution(variants[0].licence, where)
    warnings = tuple(f"{env}: {w}" for v, env in zip(variants, environments, strict=True) for w in v.warnings)
    dropped = next((v.dropped_pattern for v in variants if v.dropped_pattern), None)
    return Converted(
        entry_id, entry_id, mapping, dropped, warnings, variants[0].licence, tuple(v.their_id for v in variants)
    )


def _copy_groups(converted: Mapping[str, tuple[Converted, Path]]) -> list[list[str]]:
    """Our ids of the canons that are copies of one error, in groups of two or more: the environments of one
    canon (`node/eaddrinuse/node20-linux` and `.../node20-macos`), and canons under different slugs whose
    signature is the same word for word (`redis/auth-required` and `redis/noauth-required`), which would
    otherwise tie on every paste of it."""
    parent = {entry_id: entry_id for entry_id in converted}

    def root(entry_id: str) -> str:
        while parent[entry_id] != entry_id:
            entry_id = parent[entry_id]
        return entry_id

    first_of: dict[tuple[str, str], str] = {}
    for entry_id, (result, _) in converted.items():
        variant = variant_of(result.their_id)
        keys = [("signature", " ".join(str(result.mapping["signatures"][0]).split()))]
        keys += [("canon", variant[0])] if variant else []
        for key in keys:
            other = first_of.setdefault(key, entry_id)
            parent[root(entry_id)] = root(other)
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for entry_id in converted:
        groups[root(entry_id)].append(entry_id)
    return [members for members in groups.values() if len(members) > 1]


def merge_environments(converted: dict[str, tuple[Converted, Path]]) -> dict[str, tuple[Converted, Path]]:
    """Converted canons with the copies of each error merged into one entry (keyed by our id). The entry takes
    the id of its first canon without the environment (`node/eaddrinuse`)."""
    merged_into: dict[str, str] = {}
    for members in _copy_groups(converted):
        first = min(members, key=lambda m: converted[m][0].their_id)
        canon_id = (variant_of(converted[first][0].their_id) or (first, ""))[0]
        if canon_id in converted and canon_id not in members:
            continue  # a canon of that exact id keeps its own
        merged_into |= {member: canon_id for member in members}
    out: dict[str, tuple[Converted, Path]] = {}
    for entry_id, (result, path) in converted.items():
        target = merged_into.get(entry_id)
        if target is None:
            out[entry_id] = (result, path)
        elif target not in out:
            copies = [converted[m][0] for m, into in merged_into.items() if into == target]
            out[target] = (merge_variants(target, copies), path)
    # A link to one copy is a link to the merged entry.
    for entry_id, (result, path) in out.items():
        related = _union(merged_into.get(r, r) for r in result.mapping.get("related", ()))
        mapping = {**result.mapping, "related": [r for r in related if r != entry_id]}
        out[entry_id] = (replace(result, mapping=mapping), path)
    return out


# -- the directory walk ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    kind: str
    detail: str


@dataclass
class ImportReport:
    converted: list[str] = field(default_factory=list)  # our ids, in the order written
    canons: int = 0  # canons that became entries (several per-environment copies may make one entry)
    merged: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (our id, their ids merged into it)
    skipped: list[Skipped] = field(default_factory=list)
    patterns_dropped: list[tuple[str, str]] = field(default_factory=list)  # (our id, why)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (our id, what was fixed or left out)
    related_kept: int = 0
    related_dropped: int = 0  # links to canons that are not in the converted set

    def summary(self, out_dir: Path | None = None) -> str:
        where = f" into {out_dir}" if out_dir else ""
        domains = len({i.split("/", 1)[0] for i in self.converted})
        lines = [f"converted {self.canons} canons{where} as {len(self.converted)} entries ({domains} domains)"]
        if self.merged:
            copies = sum(len(their) for _, their in self.merged)
            entries = "entry" if len(self.merged) == 1 else "entries"
            lines.append(f"{copies} per-environment copies merged into {len(self.merged)} {entries}")
        groups: defaultdict[str, list[Skipped]] = defaultdict(list)
        for s in self.skipped:
            groups[s.kind].append(s)
        lines.append(f"skipped {len(self.skipped)}" + (":" if self.skipped else ""))
        for kind in sorted(groups):
            lines.append(f"  {kind} ({len(groups[kind])})")
            lines += [f"    {s.path}: {s.detail}" for s in groups[kind]]
        lines.append(
            f"patterns dropped {len(self.patterns_dropped)} (entries kept without them)"
            + (":" if self.patterns_dropped else "")
        )
        lines += [f"  {entry_id}: {why}" for entry_id, why in self.patterns_dropped]
        if self.warnings:
            # Warnings repeat across canons; count them by their shape, numbers masked.
            shapes = Counter(re.sub(r"\[\d+\]|\d+(\.\d+)?", "N", w) for _, w in self.warnings)
            lines.append(f"warnings {len(self.warnings)}:")
            lines += [f"  {n} x {shape}" for shape, n in shapes.most_common()]
        lines.append(f"related ids kept {self.related_kept}, dropped {self.related_dropped} (not in the converted set)")
        return "\n".join(lines) + "\n"


def canon_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.json") if p.is_file())


def read_canon(path: Path) -> tuple[Any, Unconvertible | None]:
    try:
        if path.stat().st_size > MAX_CANON_BYTES:
            return None, Unconvertible(UNREADABLE, f"larger than {MAX_CANON_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Unconvertible(UNREADABLE, str(exc))
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Unconvertible(INVALID_JSON, str(exc))


def convert_directory(source: Path, out_dir: Path, licence: str | None = None) -> tuple[list[Entry], ImportReport]:
    """Every canon under `source` as a validated entry (paths under `out_dir`), without writing anything."""
    # Not the folder's LICENSE file: that is the licence of deadends.dev's code, not of the canons.
    licence = licence or DEFAULT_LICENCE
    report = ImportReport()
    converted: dict[str, tuple[Converted, Path]] = {}
    for path in canon_files(source):
        data, problem = read_canon(path)
        result = problem or convert_canon(
            data, licence=licence, fallback_id=path.relative_to(source).with_suffix("").as_posix()
        )
        if isinstance(result, Unconvertible):
            report.skipped.append(Skipped(str(path), result.kind, result.detail))
            continue
        if result.entry_id in converted:
            first = converted[result.entry_id][1]
            report.skipped.append(Skipped(str(path), ID_COLLISION, f"{result.entry_id!r} is already {first}"))
            continue
        converted[result.entry_id] = (result, path)
    converted = merge_environments(converted)

    # Validate without `related` first: a link may only point at an entry that survived validation.
    entries: dict[str, tuple[Entry, list[str]]] = {}
    for entry_id, (result, path) in converted.items():
        target = out_dir / f"{entry_id}.yaml"
        mapping = {k: v for k, v in result.mapping.items() if k != "related"}
        entry, problems = entry_from_mapping(mapping, str(target), entry_id)
        if entry is None or problems:
            detail = "; ".join(f"{p.field}: {p.message}" for p in problems) or "rejected"
            report.skipped.append(Skipped(str(path), INVALID_ENTRY, detail))
            continue
        entries[entry_id] = (entry, list(result.mapping.get("related", ())))
        report.canons += len(result.variants) or 1
        if result.variants:
            report.merged.append((entry_id, result.variants))
        if result.dropped_pattern:
            report.patterns_dropped.append((entry_id, result.dropped_pattern))
        report.warnings += [(entry_id, w) for w in result.warnings]

    out: list[Entry] = []
    for entry, related in entries.values():
        kept = tuple(r for r in related if r in entries)
        report.related_kept += len(kept)
        report.related_dropped += len(related) - len(kept)
        out.append(replace(entry, related=kept))
    report.converted = [e.id for e in out]
    return out, report


def write_entries(entries: Iterable[Entry], out_dir: Path) -> None:
    for entry in entries:
        target = out_dir / f"{entry.id}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_entry(entry), encoding="utf-8")


def import_deadends(source: Path, out_dir: Path, licence: str | None = None) -> ImportReport:
    """Convert every canon under `source` and write `<out_dir>/<domain>/<slug>.yaml` for each."""
    entries, report = convert_directory(source, out_dir, licence)
    write_entries(entries, out_dir)
    return report
