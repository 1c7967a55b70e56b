"""The index's large tables as flat numpy arrays, so that several processes can share one copy.

At 20,000 entries the index knows about 240,000 features (stemmed words, word pairs, concepts). Held as a
dict of strings to small arrays they cost each process about 200 MiB of Python objects, which no
other process can share. Here the same facts are a handful of arrays (a feature table and two posting
lists in compressed-row form); the index cache stores them in a file that every process maps
(`bot.cache`), so the operating system keeps one copy of those pages for all of them.

A feature's id is its position among the sorted 64-bit hashes of all features: finding the ids of a
query's features is one vectorised binary search, and each hit is confirmed against the feature's own
bytes, so a query word that merely shares a hash is never mistaken for a known one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

HASH_BYTES = 8  # 64-bit hashes: with a few hundred thousand features a clash is rare (and then re-salted)
SALT_TRIES = 64  # salts tried until the build's features hash without a clash; one almost always suffices

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ArrayT = TypeVar("ArrayT", bound=npt.NDArray[Any])


def read_only(array: ArrayT) -> ArrayT:
    """Read-only, as the same array mapped from the cache file is: a stray write fails in both forms alike."""
    array.flags.writeable = False
    return array


def feature_hash(encoded: bytes, salt: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(encoded, digest_size=HASH_BYTES, salt=salt).digest(), "little")


@dataclass(frozen=True)
class FeatureTable:
    """Feature text -> dense id, without a dict: ids are positions in `hashes`, sorted ascending."""

    salt: bytes
    hashes: npt.NDArray[np.uint64]
    text: npt.NDArray[np.uint8]  # every feature's UTF-8 bytes, in id order
    ends: IntArray  # per id: where its bytes end in `text` (they start where the previous id's end)

    @classmethod
    def build(cls, features: Sequence[str]) -> tuple[FeatureTable, IntArray]:
        """The table of `features` (distinct), and each feature's id in the order given."""
        encoded = [f.encode() for f in features]
        for attempt in range(SALT_TRIES):
            salt = attempt.to_bytes(16, "little")
            hashes = np.fromiter((feature_hash(e, salt) for e in encoded), dtype=np.uint64, count=len(encoded))
            if np.unique(hashes).size == hashes.size:
                break
        else:  # pragma: no cover - 64 clashing salts in a row do not happen
            raise ValueError("feature hashes clash under every salt tried")
        order = np.argsort(hashes, kind="stable")
        ids = np.empty(len(encoded), dtype=np.int64)
        ids[order] = np.arange(len(encoded), dtype=np.int64)
        ordered = [encoded[i] for i in order.tolist()]
        text = np.frombuffer(b"".join(ordered), dtype=np.uint8).copy()
        ends = np.cumsum(np.fromiter(map(len, ordered), dtype=np.int64, count=len(ordered)))
        return cls(salt, read_only(hashes[order]), read_only(text), read_only(ends)), ids

    def __len__(self) -> int:
        return int(self.hashes.size)

    def feature(self, feature_id: int) -> str:
        start = int(self.ends[feature_id - 1]) if feature_id else 0
        return self.text[start : int(self.ends[feature_id])].tobytes().decode()

    def ids(self, features: Collection[str]) -> IntArray:
        """The ids of those of `features` the table holds, ascending: sums over them then come out the same
        to the bit whatever order a set of features iterates in (it changes with the hash seed)."""
        if not features or not len(self):
            return np.zeros(0, dtype=np.int64)
        encoded = [f.encode() for f in features]
        wanted = np.fromiter((feature_hash(e, self.salt) for e in encoded), dtype=np.uint64, count=len(encoded))
        found = np.minimum(np.searchsorted(self.hashes, wanted), len(self) - 1)
        hit = np.flatnonzero(self.hashes[found] == wanted)
        starts = np.where(found[hit] > 0, self.ends[found[hit] - 1], 0).tolist()
        ends = self.ends[found[hit]].tolist()
        confirmed = [
            int(found[h])
            for h, start, end in zip(hit.tolist(), starts, ends, strict=True)
            if self.text[start:end].tobytes() == encoded[h]
        ]
        return np.sort(np.asarray(confirmed, dtype=np.int64))


@dataclass(frozen=True)
class PostingLists:
    """For each feature id, the sorted rows (phrasings or entries) that use it: compressed-row form."""

    ends: IntArray  # per feature id: where its rows end in `rows` (they start where the previous id's end)
    rows: npt.NDArray[np.int32]

    @classmethod
    def build(cls, feature_ids: IntArray, rows: IntArray, features: int) -> PostingLists:
        """From (feature id, row) pairs, each pair once; rows come out ascending within a feature."""
        order = np.lexsort((rows, feature_ids))
        ends = np.cumsum(np.bincount(feature_ids, minlength=features)).astype(np.int64)
        return cls(read_only(ends), read_only(rows[order].astype(np.int32)))

    def weighted_sum(self, feature_ids: IntArray, weights: npt.NDArray[np.float64], size: int) -> FloatArray:
        """Per row (of `size`): the summed `weights` of the given features that the row uses."""
        ends = self.ends[feature_ids]
        starts = np.where(feature_ids > 0, self.ends[feature_ids - 1], 0)
        lengths = ends - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(size, dtype=np.float64)
        # The positions of every chosen feature's rows, run after run, without a Python loop.
        run_start = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        rows = self.rows[run_start + np.arange(total)]
        summed = np.bincount(rows, weights=np.repeat(weights[feature_ids], lengths), minlength=size)
        return summed.astype(np.float64, copy=False)  # float64 already (weights were given); typed for mypy
