"""Read knowledge directories into a KnowledgeBase: every good entry loads, every bad one is reported."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.model import Entry
from bot.knowledge.validate import Problem, entry_from_mapping, entry_to_mapping

log = logging.getLogger(__name__)

# The C loader is several times faster on large knowledge bases; fall back where libyaml is missing.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MAX_ENTRY_FILE_BYTES = 512 * 1024


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] = ()
    directories: tuple[Path, ...] = ()
    by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def __len__(self) -> int:
        return len(self.entries)


def entry_files(directory: Path) -> Iterator[Path]:
    yield from sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def expected_id(directory: Path, path: Path) -> str:
    return path.relative_to(directory).with_suffix("").as_posix()


def parse_yaml_file(path: Path) -> tuple[Any, Problem | None]:
    """The parsed document, or a problem naming the file (and the line, for syntax errors)."""
    try:
        if path.stat().st_size > MAX_ENTRY_FILE_BYTES:
            return None, Problem(str(path), "", f"file is larger than {MAX_ENTRY_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(str(path), "", f"cannot read: {exc}")
    try:
        return yaml.load(text, Loader=_Loader), None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return None, Problem(str(path), where, f"invalid YAML: {reason}")


def load_file(directory: Path, path: Path) -> tuple[Entry | None, list[Problem]]:
    data, problem = parse_yaml_file(path)
    if problem:
        return None, [problem]
    return entry_from_mapping(data, str(path), expected_id(directory, path))


def load_knowledge(directories: Iterable[Path | str]) -> KnowledgeBase:
    """Load every entry under the directories, in order; the first directory to define an id keeps it."""
    dirs = tuple(Path(d) for d in directories)
    entries: dict[str, Entry] = {}
    problems: list[Problem] = []
    for directory in dirs:
        if not directory.is_dir():
            problems.append(Problem(str(directory), "", "knowledge directory does not exist"))
            continue
        for path in entry_files(directory):
            entry, found = load_file(directory, path)
            problems.extend(found)
            if entry is None:
                continue
            if entry.id in entries:
                problems.append(
                    Problem(str(path), "id", f"duplicate id {entry.id!r}, already defined in {entries[entry.id].path}")
                )
                continue
            entries[entry.id] = entry
    for entry in entries.values():
        for i, rid in enumerate(entry.related):
            if rid not in entries:
                problems.append(Problem(entry.path or entry.id, f"related[{i}]", f"no entry has id {rid!r}"))
    for problem in problems:
        log.warning("knowledge: %s", problem)
    return KnowledgeBase(tuple(entries.values()), tuple(problems), dirs)


class _BlockDumper(_Dumper):  # type: ignore[misc]
    """Writes multi-line strings as `|` blocks so code stays readable in the YAML files."""


def _str_representer(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def dump_entry(entry: Entry) -> str:
    return str(
        yaml.dump(entry_to_mapping(entry), Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
    )
