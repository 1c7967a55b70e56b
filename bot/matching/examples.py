"""Evidence from labelled examples: how real people wrote about each entry's problem.

An entry's signatures and symptom phrasings are what its curator thought of; the corpus holds how people
actually put it ("my GPU memory goes up by 200 MB every epoch"). For each entry with labelled messages in the
corpus, `knownfix tune` keeps one centroid: the mean of its messages' word vectors (the matcher's own feature
set - stems, word pairs, concepts - weighted by inverse document frequency), cut to the words that weigh most.
A message's cosine similarity to an entry's centroid is one more piece of evidence, added to the entry's
score with the table's weight: it settles near neighbours that the curated text alone leaves tied
("memory grows each iteration" against "out of memory"). Only word statistics are kept, never a message.
Entries without examples get nothing from it; packs are not in the corpus.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
# Words kept per entry: the centroid's heaviest; the rest add file size and almost nothing to a cosine.
WORDS_PER_ENTRY = 100


class ExamplesError(ValueError):
    """The examples file is missing, malformed, or holds a value of the wrong type."""


@dataclass(frozen=True)
class ExampleModel:
    """Per word, the entries whose centroid holds it and with what weight; and each word's IDF."""

    idf: Mapping[str, float]
    postings: Mapping[str, tuple[tuple[str, float], ...]]

    def similarity(self, features: Iterable[str]) -> dict[str, float]:
        """Cosine of the message's vector with every entry centroid that shares a word with it."""
        # Sorted, and summed exactly: a set's order changes with the interpreter's hash seed, and the same
        # message must get the same figure in every process (tune's results are reproducible).
        query = {t: self.idf[t] for t in sorted(features) if t in self.idf}
        norm = math.sqrt(math.fsum(v * v for v in query.values()))
        if not norm:
            return {}
        terms: dict[str, list[float]] = {}
        for token, value in query.items():
            for entry, weight in self.postings.get(token, ()):
                terms.setdefault(entry, []).append(value * weight / norm)
        return {entry: math.fsum(values) for entry, values in terms.items()}

    @property
    def entries(self) -> frozenset[str]:
        return frozenset(e for posting in self.postings.values() for e, _ in posting)


EMPTY = ExampleModel({}, {})


def fit(examples: Sequence[tuple[frozenset[str], str]]) -> ExampleModel:
    """Centroids from (features, entry id) pairs: IDF over these messages, each message's vector normalised,
    summed per entry, normalised again, cut to WORDS_PER_ENTRY."""
    n = len(examples)
    df: dict[str, int] = {}
    for feats, _ in examples:
        for t in feats:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items()}  # smoothed: every word weighs a little
    sums: dict[str, dict[str, float]] = {}
    for feats, entry in examples:
        norm = math.sqrt(math.fsum(idf[t] ** 2 for t in feats))
        if not norm:
            continue
        acc = sums.setdefault(entry, {})
        for t in sorted(feats):
            acc[t] = acc.get(t, 0.0) + idf[t] / norm
    postings: dict[str, list[tuple[str, float]]] = {}
    for entry, acc in sorted(sums.items()):
        norm = math.sqrt(math.fsum(v * v for v in acc.values()))
        heaviest = sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))[:WORDS_PER_ENTRY]
        for t, v in heaviest:
            postings.setdefault(t, []).append((entry, v / norm))
    kept = {t: idf[t] for t in postings}
    return ExampleModel(kept, {t: tuple(p) for t, p in postings.items()})


def parse(raw: object) -> ExampleModel:
    if not isinstance(raw, dict) or not isinstance(raw.get("idf"), dict) or not isinstance(raw.get("entries"), dict):
        raise ExamplesError("examples: expected an object with idf and entries")
    idf: dict[str, float] = {}
    for token, value in raw["idf"].items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExamplesError(f"examples: idf of {str(token)[:40]!r} must be a number")
        idf[str(token)] = float(value)
    postings: dict[str, list[tuple[str, float]]] = {}
    for entry, words in raw["entries"].items():
        if not isinstance(words, dict):
            raise ExamplesError(f"examples: entry {str(entry)[:80]!r} must map words to weights")
        for token, value in words.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or token not in idf:
                raise ExamplesError(f"examples: entry {str(entry)[:80]!r}: bad weight for {str(token)[:40]!r}")
            postings.setdefault(token, []).append((str(entry), float(value)))
    return ExampleModel(idf, {t: tuple(p) for t, p in postings.items()})


def load(path: Path = EXAMPLES_FILE) -> ExampleModel:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ExamplesError(f"examples: cannot read {path}: {exc}") from exc
    return parse(raw)


@functools.cache
def default_examples() -> ExampleModel:
    """The bundled model, read once per process."""
    return load()


def dump(model: ExampleModel, path: Path = EXAMPLES_FILE) -> None:
    entries: dict[str, dict[str, float]] = {}
    for token, posting in model.postings.items():
        for entry, weight in posting:
            entries.setdefault(entry, {})[token] = round(weight, 5)
    body = {
        "about": (
            "Fitted by `knownfix tune` on the labelled messages of evaluation/corpus: per entry, the centroid of "
            "its messages' word vectors (the matcher's features, IDF-weighted), cut to the "
            f"{WORDS_PER_ENTRY} heaviest words. Word statistics only, no message text. See "
            "bot/matching/examples.py."
        ),
        "idf": {t: round(v, 5) for t, v in sorted(model.idf.items())},
        "entries": {e: dict(sorted(words.items())) for e, words in sorted(entries.items())},
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
