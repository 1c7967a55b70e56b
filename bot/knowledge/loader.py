"""Read knowledge directories into a KnowledgeBase: every good entry loads, every bad one is reported."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.model import Entry
from bot.knowledge.validate import Problem, entry_from_mapping, entry_to_mapping, quoted

log = logging.getLogger(__name__)

# The C loader is several times faster on large knowledge bases; fall back where libyaml is missing.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MAX_ENTRY_FILE_BYTES = 512 * 1024
# Curated entries use no aliases; a few for shared snippets are fine, dozens only serve a bomb.
MAX_ALIASES = 50
# The largest curated entry is about 200 nodes once aliases are expanded; 250 times that is no entry.
MAX_EXPANDED_NODES = 50_000
# Aliases may repeat text, but not into more than twice what a file may hold.
MAX_EXPANDED_CHARS = 2 * MAX_ENTRY_FILE_BYTES

# Building a value can fail outside YAMLError: int() past 4,300 digits, a 13th month, `!!float nonsense`.
_BUILD_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)


class DocumentTooLarge(yaml.YAMLError):
    """The document's aliases expand past the limits: rejected before any Python value is built."""


class _LimitedLoader(_Loader):  # type: ignore[misc]
    """The safe loader, with the composed node graph checked before values are built from it.

    libyaml composes in C (no hook per node), but the graph it returns is no bigger than the text,
    so checking it whole costs as little as counting during composition would."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return self.construct_document(node)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _expanded_size(node: yaml.Node, size: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(nodes, scalar characters) of a node once aliases are expanded, from its children's sizes."""
    kids = [size[id(child)] for child in _children(node)]
    nodes = 1 + sum(n for n, _ in kids)
    chars = (len(node.value) if isinstance(node, yaml.ScalarNode) else 0) + sum(c for _, c in kids)
    if nodes > MAX_EXPANDED_NODES or chars > MAX_EXPANDED_CHARS:
        raise DocumentTooLarge(
            f"it holds more than {MAX_EXPANDED_NODES} values or {MAX_EXPANDED_CHARS} characters once aliases"
            " are expanded"
        )
    return nodes, chars


def check_expansion(root: yaml.Node) -> None:
    """Measure what the node graph becomes once every alias is expanded, without expanding it.

    The composer returns an alias as the very node its anchor names, so the graph has the size of the
    text: a node met a second time is an alias use, and sizes are summed bottom-up, each node once."""
    size: dict[int, tuple[int, int]] = {}  # id(node) -> its expanded size, once its children are done
    on_path: set[int] = set()  # nodes whose children are still being measured
    aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            size[key] = _expanded_size(node, size)
        elif key in on_path:
            raise DocumentTooLarge("an alias refers to the node that contains it (the value would hold itself)")
        elif key in size:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise DocumentTooLarge(f"it uses aliases more than {MAX_ALIASES} times")
        else:
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


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


# What a non-regular file in a knowledge directory is, for the line that reports it.
_SKIPPED_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind_of(mode: int) -> str:
    return next((name for test, name in _SKIPPED_KINDS if test(mode)), "not a regular file")


def _is_link_to_folder(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_symlink() and item.is_dir()
    except OSError:
        return False


def _walk(directory: Path) -> tuple[list[Path], list[Problem]]:
    """Regular `*.yaml` files under the directory, and a problem for each link or special file met.

    Links are not followed: a link could pull in files from outside the knowledge directory, and a pipe
    or device would block the read or never end."""
    files: list[Path] = []
    skipped: list[Problem] = []
    pending = [directory]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                items = list(listing)
        except OSError as exc:
            skipped.append(Problem(str(folder), "", f"cannot list: {exc.strerror or exc}"))
            continue
        for item in items:
            path = Path(item.path)
            try:
                mode = item.stat(follow_symlinks=False).st_mode
            except OSError:  # removed since the listing
                continue
            if stat.S_ISDIR(mode):
                pending.append(path)
            elif stat.S_ISREG(mode):
                if path.suffix == ".yaml":
                    files.append(path)
            elif path.suffix == ".yaml" or _is_link_to_folder(item):
                skipped.append(Problem(str(path), "", f"skipped: {_kind_of(mode)}, not a regular file"))
    return sorted(files), sorted(skipped, key=lambda p: p.path)


def entry_files(directory: Path) -> Iterator[Path]:
    """The regular entry files under a directory, in a stable order (links and special files left out)."""
    yield from _walk(directory)[0]


def expected_id(directory: Path, path: Path) -> str:
    return path.relative_to(directory).with_suffix("").as_posix()


def _read_regular(path: Path) -> bytes:
    """At most MAX_ENTRY_FILE_BYTES + 1 bytes of a regular file, refusing anything else at open time
    (the file may have been swapped for a link or a pipe since the directory was listed)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{_kind_of(os.fstat(fd).st_mode)}, not a regular file")
        return fh.read(MAX_ENTRY_FILE_BYTES + 1)


def parse_yaml_file(path: Path) -> tuple[Any, Problem | None]:
    """The parsed document, or a problem naming the file (and the line, for syntax errors)."""
    try:
        data = _read_regular(path)
        if len(data) > MAX_ENTRY_FILE_BYTES:
            return None, Problem(str(path), "", f"file is larger than {MAX_ENTRY_FILE_BYTES} bytes")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(str(path), "", f"cannot read: {exc}")
    # Without both an anchor (&) and an alias (*) the node graph is a tree no bigger than the text:
    # nothing to measure, and most entries skip the walk.
    loader = _LimitedLoader if "&" in text and "*" in text else _Loader
    try:
        return yaml.load(text, Loader=loader), None
    except DocumentTooLarge as exc:
        return None, Problem(str(path), "", f"refused: {exc}")
    except _BUILD_ERRORS as exc:
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
        files, skipped = _walk(directory)
        problems.extend(skipped)
        for path in files:
            entry, found = load_file(directory, path)
            problems.extend(found)
            if entry is None:
                continue
            if entry.id in entries:
                duplicate = f"duplicate id {quoted(entry.id)}, already defined in {entries[entry.id].path}"
                problems.append(Problem(str(path), "id", duplicate))
                continue
            entries[entry.id] = entry
    for entry in entries.values():
        for i, rid in enumerate(entry.related):
            if rid not in entries:
                problems.append(Problem(entry.path or entry.id, f"related[{i}]", f"no entry has id {quoted(rid)}"))
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
