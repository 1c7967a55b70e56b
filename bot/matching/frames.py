"""Frame evidence: the traceback passes through a file an entry names in `context.paths`.

A pasted line says what went wrong; the frames say where. Two errors can end in the same line
(`EOFError: Ran out of input` from an empty pickle file, or from a DataLoader worker that Windows started
with spawn), and only the files they passed through tell them apart (`multiprocessing/spawn.py`).
Paths that many entries name (`torch/nn/functional.py`: twenty) say little about which entry, so a path
counts by how few entries name it, as a word counts by its rarity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

MAX_FRAMES = 200  # distinct frames compared, the last ones: a traceback of thousands (recursion) repeats a few


def path_key(path: str) -> str:
    """A path as frames and entries are compared: forward slashes, lower case (Windows paths are either case)."""
    return path.replace("\\", "/").lower()


def _entry_key(path: str) -> str:
    """An entry's path as `frame_evidence` reads it: no slash at its start, one at its end for a folder."""
    key = path_key(path)  # a Windows folder (`torch\\lib\\`) ends in a backslash: a folder too
    return key.strip("/") + ("/" if key.endswith("/") else "")


def entry_paths(paths_of: Sequence[Sequence[str]]) -> tuple[tuple[tuple[str, float], ...], ...]:
    """Per entry: its paths with their specificity, 1 / the number of the tier's entries that name the path."""
    keys = [tuple(dict.fromkeys(_entry_key(p) for p in ps if p.strip("/"))) for ps in paths_of]
    named_by = Counter(k for ks in keys for k in ks)
    return tuple(tuple((k, 1.0 / named_by[k]) for k in ks) for ks in keys)


def frame_keys(frames: Sequence[str]) -> tuple[str, ...]:
    """The distinct frames of a paste as `frame_evidence` reads them, each with a leading slash so a path only
    matches whole components (`spawn.py` is not `respawn.py`)."""
    # The last frames are where the error was raised: those are kept when there are too many.
    return tuple(dict.fromkeys("/" + path_key(f).lstrip("/") for f in frames))[-MAX_FRAMES:]


def frame_evidence(frames: Sequence[str], paths: Sequence[tuple[str, float]]) -> float:
    """The specificity of the most specific of an entry's paths that a frame passes through, 0 for none. A file
    path matches a frame's end (`multiprocessing/spawn.py`); a folder (`matplotlib/backends/`) anywhere in it."""
    best = 0.0
    for key, specificity in paths:
        if specificity <= best:
            continue
        tail = "/" + key
        folder = key.endswith("/")
        if any((tail in f) if folder else f.endswith(tail) for f in frames):
            best = specificity
    return best
