"""The match index: everything the matcher needs from the knowledge base, computed once at load time.

A query does no per-entry setup: feature weights, postings, normalised signatures and compiled
patterns all live here. The lexical tables are flat numpy arrays (`flat.py`): scoring a query is a few
vectorised additions whatever the number of entries, and the index cache maps the same arrays into
every process that loads it, so several bot processes share one copy.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.model import Entry
from bot.knowledge.patterns import pattern_literals
from bot.matching.callees import Callees, pinned_callees
from bot.matching.flat import FeatureTable, PostingLists, read_only
from bot.matching.frames import entry_paths
from bot.matching.normalize import comparable
from bot.matching.notices import without_advice
from bot.matching.pinned_names import Pinned, pinned_names, pinned_packages
from bot.matching.prefilter import Prefilter
from bot.matching.text import features

SIGNATURE = 0
SYMPTOM = 1
BIGRAM_WEIGHT = 0.6  # a word pair says more than either word, but must not count twice as much
PACK_TRUST = 0.6
FUZZY_CHARS = 200  # signatures are compared by their start: what identifies an error comes first
# An exception class opening a signature, as extraction (bot.matching.extract) reads one opening a pasted line:
# a name ending like an exception class, behind any module path (`torch.cuda.OutOfMemoryError`), then a colon
# or the line's end; or any capitalised class behind a module path with a message (`httpx.ConnectTimeout: ...`).
# Anchored (it is only ever matched at a signature's start): unanchored, the module path's repetition is the
# shape that goes quadratic when searched (tests/test_hostile_input.py).
_OPENING_CLASS = re.compile(
    r"\A(?:(?:[A-Za-z_]\w*\.)*(?P<named>_?[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt|Fault)|StopIteration)"
    r"(?::|[ \t]*$)"
    r"|(?:[a-z_]\w+\.)+(?P<qualified>_?[A-Z]\w*):[ \t]*\S)",
    re.MULTILINE,
)

# A status code of an error enum (`CUBLAS_STATUS_EXECUTION_FAILED`, `CUDNN_STATUS_NOT_SUPPORTED`,
# `CUDA_ERROR_LAUNCH_FAILED`): its family is what comes before the member's name (`CUBLAS_STATUS`). One literal
# prefix each, no nested repetition: linear on any input.
STATUS_CODE = re.compile(r"\b(?P<family>[A-Z][A-Z0-9]{1,30}_(?:STATUS|ERROR))_[A-Z0-9]{1,40}(?:_[A-Z0-9]{1,40}){0,6}\b")


# The operating system's error number that opens an error's message (`OSError: [Errno 98] ...`, `ERROR:    [Errno
# 98] ...`, `PermissionError: [WinError 5] ...`): the error's identity, as a status code is, where the words after it
# are alike across errors (`[Errno 99] Cannot assign requested address` against `[Errno 98] Address already in use`)
# and masked numbers make them one. Only right after `Error:`: nested in another error's message (conda's `Failed to
# establish a new connection: [Errno 11001] ...`) the number is a detail of what that error says. Errno and WinError
# numbers are one family: entries list each system's number for their error (98, 48, 10048).
ERRNO = re.compile(r"(?:Error|Exception|error|ERROR): {0,8}\[(?:Errno|WinError) (?P<number>-?\d{1,6})\]")
ERRNO_FAMILY = "ERRNO"

# The HTTP status an error reports, as the HTTP clients word it: requests' and huggingface_hub's `429 Client Error:`,
# httpx's `Client error '429 Too Many Requests'`, urllib's `HTTP Error 429:`. A 502 Bad Gateway is not a 429 Too Many
# Requests, however alike the rest of the two lines reads (the exception class, the URL, masked numbers). One literal
# each, fixed-width digits: linear on any input.
HTTP_STATUS = re.compile(
    r"\b(?P<reason>[1-5]\d\d) (?:Client|Server) Error\b"
    r"|\b(?:Client|Server) error '(?P<quoted>[1-5]\d\d) "
    r"|\bHTTP Error (?P<urllib>[1-5]\d\d):"
)
HTTP_FAMILY = "HTTP"


def status_codes(text: str) -> frozenset[tuple[str, str]]:
    """The (family, code) pairs of the status codes a text names, of the error numbers its errors open with, and of
    the HTTP statuses it reports."""
    codes: set[tuple[str, str]] = set()
    if "_STATUS_" in text or "_ERROR_" in text:
        codes.update((m.group("family"), m.group(0)) for m in STATUS_CODE.finditer(text))
    if "Errno " in text or "WinError " in text:
        codes.update((ERRNO_FAMILY, m.group("number")) for m in ERRNO.finditer(text))
    if " Error" in text or " error '" in text:
        for m in HTTP_STATUS.finditer(text):
            codes.add((HTTP_FAMILY, m.group("reason") or m.group("quoted") or m.group("urllib")))
    return frozenset(codes)


def codes_disagree(pasted: frozenset[tuple[str, str]], own: frozenset[tuple[str, str]]) -> bool:
    """The paste names a status code of a family the entry's signatures name too, and none of the entry's codes of
    that family: `CUBLAS_STATUS_INVALID_VALUE` is not `CUBLAS_STATUS_EXECUTION_FAILED`, however alike the rest of
    the two lines reads (they differ in that one word)."""
    for family in {f for f, _ in pasted} & {f for f, _ in own}:
        if not {c for f, c in pasted if f == family} & {c for f, c in own if f == family}:
            return True
    return False


@dataclass(frozen=True)
class MatchIndex:
    entries: tuple[Entry, ...]
    # The lexical tables, flat arrays that the index cache shares between processes (see flat.py).
    features: FeatureTable  # every feature of the tier's signatures and symptoms -> its id
    feature_weights: npt.NDArray[np.float64]  # per feature id: its weight (rarity, word pairs discounted)
    postings: PostingLists  # per feature id: the phrasings using it
    vocabulary: PostingLists  # per feature id: the entries using it anywhere
    phrasing_entry: npt.NDArray[np.int32]
    phrasing_kind: npt.NDArray[np.int8]
    phrasing_total: npt.NDArray[np.float64]
    signature_texts: tuple[str, ...]  # normalised, one per signature
    signature_named: tuple[str, ...]  # normalised but with quoted names kept, for telling look-alikes apart
    signature_entry: npt.NDArray[np.int32]
    # per signature: another entry has a signature of the same masked form (`cannot import name '…' from '…'`),
    # so only the quoted names tell them apart
    signature_shared: npt.NDArray[np.bool_]
    signatures_of: tuple[tuple[int, ...], ...]  # per entry: indices into signature_texts
    exception_entries: dict[str, tuple[int, ...]]  # lower-case exception name -> entries filed under it (`exception`)
    exception_names: tuple[frozenset[str], ...]  # per entry: every class it is raised as (see `exception_names`)
    status_codes: tuple[frozenset[tuple[str, str]], ...]  # per entry: the status codes its signatures name
    pinned_names: tuple[Pinned, ...]  # per entry: the quoted names its signatures pin (`pinned_names.py`)
    pinned_packages: tuple[Pinned, ...]  # per entry: the dotted names its patterns spell out (`pinned_names.py`)
    pinned_callees: tuple[Callees, ...]  # per entry: the functions its patterns' call errors name (`callees.py`)
    # per entry: (pattern source, literal strength, the literal every match holds): read at build, as the cache
    # keeps them, so a query's first look at a pattern does not parse it
    patterns: tuple[tuple[tuple[str, int, str], ...], ...]
    libraries: tuple[frozenset[str], ...]  # per entry: libraries that hint at it
    paths: tuple[tuple[tuple[str, float], ...], ...]  # per entry: (path key, specificity), see frames.entry_paths
    trust: float  # 1.0 for the curated tier (the first knowledge directory), PACK_TRUST for packs after it
    prefilter: Prefilter

    @property
    def size(self) -> int:
        return len(self.entries)

    def feature_ids(self, feats: Collection[str]) -> npt.NDArray[np.int64]:
        """The ids of those of a message's features this tier knows: looked up once per message and tier (it
        hashes every feature), then read by `phrasing_weights` and `entry_weights`."""
        return self.features.ids(feats)

    def phrasing_weights(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Per phrasing: the summed weight of the features `ids` (see `feature_ids`) it holds."""
        return self.postings.weighted_sum(ids, self.feature_weights, len(self.phrasing_total))

    def entry_weights(self, ids: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float64], float]:
        """Per entry: the summed weight of the features `ids` it uses anywhere; and the summed weight of all of
        them (those of the message's features the tier knows at all)."""
        known = 0.0
        for weight in self.feature_weights[ids].tolist():  # one by one, as floats add up in any other order
            known += weight
        return self.vocabulary.weighted_sum(ids, self.feature_weights, self.size), known


def exception_names(entry: Entry) -> frozenset[str]:
    """Every exception class an entry's error is raised as, lower-case and without its module: its `exception`
    field and the classes its signatures open with. One error is often raised as several classes (a shadowed
    module: AttributeError, or ModuleNotFoundError for `import torch.nn`; a missing column read as an attribute:
    AttributeError rather than KeyError), and the signatures already record which. A paste of any of them does
    not contradict the entry; only the field says which class the entry is filed under (`exception_entries`)."""
    names = {entry.exception_name.lower()} if entry.exception_name else set()
    for text in entry.all_signatures:
        opening = _OPENING_CLASS.match(text.lstrip())
        if opening:
            names.add((opening.group("named") or opening.group("qualified")).lower())
    return frozenset(names)


def shared_forms(forms: list[str], owners: list[int]) -> npt.NDArray[np.bool_]:
    """Per masked signature: whether another entry has a signature of that form, or one that goes on from it
    (`cannot import name '…'` goes on as `cannot import name '…' from '…'`). Masked, such a signature says only
    which shape of error it is; its quoted names say which entry."""
    owners_of: dict[str, set[int]] = defaultdict(set)
    for form, owner in zip(forms, owners, strict=True):
        owners_of[form].add(owner)
    distinct = sorted(owners_of)
    shared_form: set[str] = set()
    for at, form in enumerate(distinct):
        others = set(owners_of[form])
        # The forms that go on from this one follow it in sorted order. Indexed, so each form costs only the forms it
        # is compared with: a slice of the rest copied the list, quadratic in the number of signatures.
        j = at + 1
        while j < len(distinct) and distinct[j].startswith(form):
            if distinct[j][len(form)] == " ":
                others |= owners_of[distinct[j]]
            j += 1
        if len(others) > 1:
            shared_form.add(form)
    return np.array([form in shared_form for form in forms], dtype=np.bool_)


def feature_weight(feature: str, idf: dict[str, float]) -> float:
    weight = idf.get(feature, 0.0)
    return weight * BIGRAM_WEIGHT if " " in feature else weight


def knowledge_tiers(kb: KnowledgeBase) -> list[tuple[tuple[Entry, ...], float]]:
    """The entries of the first directory (a deployment's own curated knowledge) and those of the packs
    loaded after it, each with its trust: an imported entry about the same error never displaces a
    curated one, and packs do not change the word statistics curated entries are scored with."""
    if len(kb.directories) < 2:
        return [(kb.entries, 1.0)]
    first = kb.directories[0].resolve()
    is_curated = [e.path is None or first in Path(e.path).resolve().parents for e in kb.entries]
    curated = tuple(e for e, own in zip(kb.entries, is_curated, strict=True) if own)
    packs = tuple(e for e, own in zip(kb.entries, is_curated, strict=True) if not own)
    return [(curated, 1.0), (packs, PACK_TRUST)]


def build_indexes(kb: KnowledgeBase) -> tuple[MatchIndex, ...]:
    return tuple(build_index(entries, trust) for entries, trust in knowledge_tiers(kb))


def build_index(entries: tuple[Entry, ...], trust: float = 1.0) -> MatchIndex:
    phrasing_feats: list[frozenset[str]] = []
    phrasing_entry: list[int] = []
    phrasing_kind: list[int] = []
    df: dict[str, int] = defaultdict(int)
    signature_texts: list[str] = []
    signature_named: list[str] = []
    signature_entry: list[int] = []
    signatures_of: list[tuple[int, ...]] = []
    exception_entries: dict[str, list[int]] = defaultdict(list)
    names_of: list[frozenset[str]] = []

    def add_phrasing(entry_index: int, text: str, kind: int) -> frozenset[str]:
        f = features(text)
        phrasing_feats.append(f)
        phrasing_entry.append(entry_index)
        phrasing_kind.append(kind)
        return f

    for i, entry in enumerate(entries):
        entry_feats: set[str] = set()
        sig_ids: list[int] = []
        for signature in entry.all_signatures:
            text = without_advice(signature)  # as a paste is read: PyTorch's advice after a CUDA error dropped
            entry_feats |= add_phrasing(i, text, SIGNATURE)
            sig_ids.append(len(signature_texts))
            signature_texts.append(comparable(text)[:FUZZY_CHARS])
            signature_named.append(comparable(text, keep_names=True)[:FUZZY_CHARS])
            signature_entry.append(i)
        for text in entry.symptoms:
            entry_feats |= add_phrasing(i, text, SYMPTOM)
        for feat in entry_feats:
            df[feat] += 1
        signatures_of.append(tuple(sig_ids))
        names_of.append(exception_names(entry))
        if entry.exception_name:
            exception_entries[entry.exception_name.lower()].append(i)

    signature_shared = shared_forms(signature_texts, signature_entry)

    n = max(1, len(entries))
    table, ids = FeatureTable.build(list(df))
    feature_id = dict(zip(df, ids.tolist(), strict=True))
    idf = {feat: math.log(1.0 + n / count) for feat, count in df.items()}
    weights = np.zeros(len(table), dtype=np.float64)
    for feat, f in feature_id.items():
        weights[f] = feature_weight(feat, idf)

    pair_feature: list[int] = []
    pair_phrasing: list[int] = []
    totals = np.zeros(len(phrasing_feats), dtype=np.float64)
    for p, feats in enumerate(phrasing_feats):
        # In id order, as a query's sums run (`FeatureTable.ids`): summed in a set's order, which changes with
        # the hash seed, a total could differ in its last bit between two builds and reorder tied entries.
        for f in sorted(feature_id[feat] for feat in feats):
            pair_feature.append(f)
            pair_phrasing.append(p)
            totals[p] += weights[f]
    features_of_pair = np.asarray(pair_feature, dtype=np.int64)
    phrasing_of_pair = np.asarray(pair_phrasing, dtype=np.int64)
    entry_of_phrasing = read_only(np.asarray(phrasing_entry, dtype=np.int32))
    # An entry uses a feature once however many of its phrasings hold it.
    entry_pairs = np.unique(features_of_pair * n + entry_of_phrasing[phrasing_of_pair])

    patterns = tuple(tuple((p, *pattern_literals(p)) for p in e.patterns) for e in entries)
    return MatchIndex(
        entries=entries,
        features=table,
        feature_weights=read_only(weights),
        postings=PostingLists.build(features_of_pair, phrasing_of_pair, len(table)),
        vocabulary=PostingLists.build(entry_pairs // n, entry_pairs % n, len(table)),
        phrasing_entry=entry_of_phrasing,
        phrasing_kind=read_only(np.asarray(phrasing_kind, dtype=np.int8)),
        phrasing_total=read_only(totals),
        signature_texts=tuple(signature_texts),
        signature_named=tuple(signature_named),
        signature_entry=read_only(np.asarray(signature_entry, dtype=np.int32)),
        signature_shared=read_only(signature_shared),
        signatures_of=tuple(signatures_of),
        exception_entries={k: tuple(v) for k, v in exception_entries.items()},
        exception_names=tuple(names_of),
        status_codes=tuple(frozenset().union(*map(status_codes, e.all_signatures)) for e in entries),
        patterns=patterns,
        # Template entries' names are examples the asker's own replace (`placeholders`): they pin nothing.
        pinned_names=tuple(frozenset() if e.placeholders else pinned_names(e.all_signatures) for e in entries),
        pinned_packages=tuple(
            frozenset() if e.placeholders else pinned_packages(e.all_signatures, (literal for _, _, literal in own))
            for e, own in zip(entries, patterns, strict=True)
        ),
        pinned_callees=tuple(
            frozenset() if e.placeholders else pinned_callees(source for source, _, _ in own)
            for e, own in zip(entries, patterns, strict=True)
        ),
        libraries=tuple(frozenset(lib.lower() for lib in e.context.libraries) | {e.domain} for e in entries),
        paths=entry_paths([e.context.paths for e in entries]),
        trust=trust,
        prefilter=Prefilter(frozenset(f for f in df if " " not in f and not f.startswith("c_"))),
    )
