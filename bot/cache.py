"""A cache of the loaded knowledge base and its index, keyed on the content of every entry file.

Loading and indexing a few thousand YAML entries takes seconds; unpickling the result takes a fraction
of that. The key hashes each file's path and bytes (plus the code version), so any edit, added or
removed file rebuilds. The cache lives in a directory of the user's own (`KNOWNFIX_CACHE_DIR`, else
`$XDG_CACHE_HOME/knownfix`, else `~/.cache/knownfix`); `KNOWNFIX_CACHE_DIR=off` turns it off. It is
never required: any failure to read or write it just means building from the files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.knowledge.loader import KnowledgeBase, entry_files, load_knowledge
from bot.matching.index import MatchIndex, build_indexes

log = logging.getLogger(__name__)

# Bump when KnowledgeBase, Entry or MatchIndex change shape, so old pickles are not read.
CACHE_FORMAT = 4
KEEP_FILES = 4  # older cache files beyond this many are removed


def cache_dir() -> Path | None:
    configured = os.environ.get("KNOWNFIX_CACHE_DIR")
    if configured:
        return None if configured.lower() in {"off", "0", "none"} else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "knownfix"


_INDEX_CODE = [Path(__file__).parent / "knowledge", Path(__file__).parent / "matching"]


def _code_digest() -> bytes:
    """The code that reads entries and builds the index: a change to it must not reuse an old index."""
    digest = hashlib.sha256()
    for folder in _INDEX_CODE:
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


def knowledge_key(directories: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"{__version__}:{CACHE_FORMAT}".encode())
    digest.update(_code_digest())
    for directory in directories:
        digest.update(b"\0dir\0" + str(directory.resolve()).encode())
        if not directory.is_dir():
            continue
        for path in entry_files(directory):
            digest.update(b"\0file\0" + path.relative_to(directory).as_posix().encode() + b"\0")
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                digest.update(b"unreadable")
    return digest.hexdigest()[:32]


def _read(path: Path) -> tuple[KnowledgeBase, tuple[MatchIndex, ...]] | None:
    try:
        with path.open("rb") as fh:
            loaded = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: rebuild, and say why
        log.warning("ignoring unreadable knowledge cache %s: %s", path, exc)
        return None
    if (
        isinstance(loaded, tuple)
        and len(loaded) == 2
        and isinstance(loaded[0], KnowledgeBase)
        and isinstance(loaded[1], tuple)
        and all(isinstance(ix, MatchIndex) for ix in loaded[1])
    ):
        return loaded[0], loaded[1]
    log.warning("ignoring knowledge cache %s: unexpected content", path)
    return None


def _write(directory: Path, path: Path, value: tuple[KnowledgeBase, tuple[MatchIndex, ...]]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Written to a temporary file and renamed, so a reader never sees half a cache.
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".tmp-", delete=False) as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, path)
        olds = sorted(directory.glob("index-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in olds[KEEP_FILES:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.info("knowledge cache not written (%s); the next start builds the index again", exc)


def load_indexed(directories: Sequence[Path]) -> tuple[KnowledgeBase, tuple[MatchIndex, ...]]:
    """The knowledge base and its index, from the cache when the files are unchanged."""
    directory = cache_dir()
    if directory is None:
        kb = load_knowledge(directories)
        return kb, build_indexes(kb)
    path = directory / f"index-{knowledge_key(directories)}.pickle"
    cached = _read(path)
    if cached is not None:
        for problem in cached[0].problems:
            log.warning("knowledge: %s", problem)
        return cached
    kb = load_knowledge(directories)
    indexes = build_indexes(kb)
    _write(directory, path, (kb, indexes))
    return kb, indexes
