"""A cache of the loaded knowledge base and its index, keyed on the content of every entry file, that
several processes share.

Loading and indexing a few thousand YAML entries takes seconds; reading the cache takes a fraction of
that. The key hashes each file's path and bytes (plus the code version), so any edit, added or
removed file rebuilds. The cache lives in a directory of the user's own (`KNOWNFIX_CACHE_DIR`, else
`$XDG_CACHE_HOME/knownfix`, else `~/.cache/knownfix`); `KNOWNFIX_CACHE_DIR=off` turns it off. It is
never required: any failure to read or write it just means building from the files.

The file is a pickle of the knowledge base and the index's small parts, followed by the index's numpy
arrays, which are never copied into the process: they are read-only views of the file mapped into
memory, so every bot process on a machine (shards, the old and the new one during a deploy) uses the
same pages of the operating system's page cache. At 20,000 entries those arrays are most of the index.
A checksum over everything after the header, and the key repeated inside, make a damaged, truncated,
or misplaced file a rebuild, never a wrong index.

    header  (128 bytes)  magic, format, pickle length, array section offset and length, key, checksum
    pickle              (knowledge base, indexes); each array is a reference to the array section
    arrays              from a page boundary, each array aligned to ARRAY_ALIGN bytes
"""

from __future__ import annotations

import hashlib
import io
import logging
import mmap
import os
import pickle
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from bot import __version__
from bot.knowledge.loader import KnowledgeBase, entry_files, load_knowledge
from bot.matching.index import MatchIndex, build_indexes

log = logging.getLogger(__name__)

# Bump when KnowledgeBase, Entry or MatchIndex change shape, the file layout does, or the words a text is read
# as (bot.matching.text: the index stores them), so old files are not read.
CACHE_FORMAT = 15
KEEP_FILES = 4  # older cache files beyond this many are removed
MAGIC = b"KNOWNFIX"
HEADER = struct.Struct("<8sIIQQQ16s16s")  # magic, format, unused, pickle length, arrays offset, length, key, checksum
HEADER_BYTES = 128  # HEADER padded to whole cache lines, with room to grow: the pickle starts here
PAGE = mmap.ALLOCATIONGRANULARITY  # the array section starts on a page, so arrays never share a page with the pickle
ARRAY_ALIGN = 64  # each array starts on a cache line: aligned for every dtype numpy reads
CHECKSUM_BYTES = 16
SUFFIX = ".index"

Cached = tuple[KnowledgeBase, tuple[MatchIndex, ...]]


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


def _aligned(offset: int, to: int) -> int:
    return -(-offset // to) * to


class _ArrayPickler(pickle.Pickler):
    """Pickles everything but numpy arrays, which it lays out one after another for the array section."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.arrays: list[tuple[int, np.ndarray[Any, Any]]] = []
        self.section = 0

    def persistent_id(self, obj: Any) -> Any:
        if not isinstance(obj, np.ndarray) or obj.dtype.hasobject:
            return None
        array = np.ascontiguousarray(obj)
        offset = _aligned(self.section, ARRAY_ALIGN)
        self.arrays.append((offset, array))
        self.section = offset + array.nbytes
        return ("array", array.dtype.str, array.shape, offset)


class _ArrayUnpickler(pickle.Unpickler):
    """Reads the pickle back with each array a read-only view of the mapped array section."""

    def __init__(self, file: IO[bytes], section: memoryview) -> None:
        super().__init__(file)
        self.section = section

    def persistent_load(self, pid: Any) -> Any:
        kind, dtype_str, shape, offset = pid
        if kind != "array":
            raise pickle.UnpicklingError(f"unknown reference {kind!r}")
        dtype = np.dtype(dtype_str)
        count = int(np.prod(shape, dtype=np.int64))
        if offset < 0 or offset + count * dtype.itemsize > len(self.section):
            raise pickle.UnpicklingError("an array lies outside the file")
        if count == 0:
            array = np.zeros(shape, dtype=dtype)
            array.flags.writeable = False
            return array
        return np.frombuffer(self.section, dtype=dtype, count=count, offset=offset).reshape(shape)


def _checksum(*parts: bytes | bytearray | memoryview) -> bytes:
    digest = hashlib.blake2b(digest_size=CHECKSUM_BYTES)
    for part in parts:
        digest.update(part)
    return digest.digest()


def _key_bytes(key: str) -> bytes:
    return bytes.fromhex(key)[:16].ljust(16, b"\0")


def _encode(value: Cached, key: str, out: IO[bytes]) -> None:
    body = io.BytesIO()
    pickler = _ArrayPickler(body)
    pickler.dump(value)
    pickled = body.getvalue()
    arrays_at = _aligned(HEADER_BYTES + len(pickled), PAGE)
    section = bytearray(pickler.section)
    for offset, array in pickler.arrays:
        section[offset : offset + array.nbytes] = array.tobytes()
    padding = bytes(arrays_at - HEADER_BYTES - len(pickled))
    checksum = _checksum(pickled, padding, section)
    header = HEADER.pack(MAGIC, CACHE_FORMAT, 0, len(pickled), arrays_at, len(section), _key_bytes(key), checksum)
    out.write(header.ljust(HEADER_BYTES, b"\0"))  # HEADER.size <= HEADER_BYTES (tests hold it)
    out.write(pickled)
    out.write(padding)
    out.write(section)


def _decode(mapped: mmap.mmap, key: str) -> Cached:
    """The cached value in a mapped file; ValueError (or an unpickling error) for anything not written for `key`."""
    if len(mapped) < HEADER_BYTES:
        raise ValueError("shorter than its header")
    magic, fmt, _, pickled, arrays_at, arrays_len, stored_key, checksum = HEADER.unpack_from(mapped)
    if magic != MAGIC or fmt != CACHE_FORMAT:
        raise ValueError(f"not a format {CACHE_FORMAT} index file")
    if stored_key != _key_bytes(key):
        raise ValueError("written for other knowledge files")
    if arrays_at < HEADER_BYTES + pickled or arrays_at + arrays_len != len(mapped):
        raise ValueError("truncated or padded")
    view = memoryview(mapped)
    if _checksum(view[HEADER_BYTES:]) != checksum:
        raise ValueError("checksum mismatch")
    unpickler = _ArrayUnpickler(io.BytesIO(view[HEADER_BYTES : HEADER_BYTES + pickled]), view[arrays_at:])
    loaded = unpickler.load()
    if (
        isinstance(loaded, tuple)
        and len(loaded) == 2
        and isinstance(loaded[0], KnowledgeBase)
        and isinstance(loaded[1], tuple)
        and all(isinstance(ix, MatchIndex) for ix in loaded[1])
    ):
        return loaded[0], loaded[1]
    raise ValueError("unexpected content")


def _read(path: Path, key: str) -> Cached | None:
    try:
        with path.open("rb") as fh:
            # The mapping outlives the file object: the arrays keep it alive for as long as the index lives.
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # an empty file cannot be mapped (ValueError)
        log.warning("ignoring unreadable knowledge cache %s: %s", path, exc)
        return None
    try:
        return _decode(mapped, key)
    except Exception as exc:  # a truncated, damaged or foreign file: rebuild, and say why
        log.warning("ignoring knowledge cache %s: %s", path, exc)
        return None


def _write(directory: Path, path: Path, key: str, value: Cached) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Written to a temporary file and renamed, so a reader never sees half a cache, and a process that
        # has the old file mapped keeps reading the old file's pages.
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".tmp-", delete=False) as fh:
            _encode(value, key, fh)
        os.replace(fh.name, path)
        olds = sorted(directory.glob("index-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in olds[KEEP_FILES:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.info("knowledge cache not written (%s); the next start builds the index again", exc)
        return False
    return True


def load_indexed(directories: Sequence[Path]) -> Cached:
    """The knowledge base and its index, from the cache when the files are unchanged: the index's arrays
    then map the cache file, shared with every other process that loaded it."""
    directory = cache_dir()
    if directory is None:
        kb = load_knowledge(directories)
        return kb, build_indexes(kb)
    key = knowledge_key(directories)
    path = directory / f"index-{key}{SUFFIX}"
    cached = _read(path, key)
    if cached is not None:
        for problem in cached[0].problems:
            log.warning("knowledge: %s", problem)
        return cached
    kb = load_knowledge(directories)
    built = (kb, build_indexes(kb))
    # Read back once written, so that the first process too uses the shared mapping, not a private copy.
    shared = _read(path, key) if _write(directory, path, key, built) else None
    return shared or built
