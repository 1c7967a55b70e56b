"""Evidence from labelled examples: how real people wrote about each entry's problem.

An entry's signatures and symptom phrasings are what its curator thought of; the corpus holds how people
actually put it ("my GPU memory goes up by 200 MB every epoch"). For each entry with labelled messages in the
corpus, `knownfix tune` keeps one centroid: the mean of its messages' word vectors (the matcher's stems and
concept tokens, not its word pairs: `example_words`; weighted by inverse document frequency), cut to the words that
weigh most.
How a message reads against an entry's examples is one more piece of evidence for ordering a description's
candidates (the table's [ranking], fitted by `knownfix tune`): it settles near neighbours that the curated text
alone leaves tied ("memory grows each iteration" against "out of memory"). Only word statistics are kept, never a
message. Each curated entry's own text counts as examples too (`tune.curated_examples`); packs are not in the
corpus and get nothing from it.

A centroid follows what an entry's messages have in common, not what sets the entry apart from its neighbour,
and the entry with many messages has the fuller centroid: "在 docker 里 torch.cuda.is_available() 返回 False"
reads like cuda/not-available's many examples more than like the Docker entry's few. Beside the centroids the
file holds a discriminative model (`bot/examples_fit.py`): a softmax logistic regression over the same word
vectors, whose weights are learnt against every other entry at once, so `docker` counts for the Docker entry
and against the generic one. A description's candidates are ordered by the logarithm of the regression's
probability (`Likeness.probability`): the odds between two neighbours, which a probability's last few hundredths
hide. The calibration reads the mean of the cosine and the probability (`Likeness.similarity`), both 0..1.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.values import is_number, read_json

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
# Words kept per entry: the centroid's heaviest; the rest add file size and almost nothing to a cosine.
WORDS_PER_ENTRY = 100


class ExamplesError(ValueError):
    """The examples file is missing, malformed, or holds a value of the wrong type."""


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Postings = Mapping[str, tuple[tuple[str, float], ...]]  # word -> (entry, weight) for the entries it weighs in


def example_words(features: Iterable[str]) -> frozenset[str]:
    """The features both example models read: single words and concept tokens, without the matcher's word pairs.
    A pair is seen in few messages, so the models learn it from one or two examples by heart, and the many pairs
    dilute the single words every description shares with its entry's other examples ("memory", "grow"). Corpus
    5-fold CV on 7,991 cases, descriptions top-1: examples alone 0.646 -> 0.684, the matcher 0.741 -> 0.762 (with
    the table's examples weight 1.5 -> 2.0)."""
    return frozenset(f for f in features if " " not in f)


def _query(idf: Mapping[str, float], features: Iterable[str]) -> tuple[dict[str, float], float]:
    """The message's IDF vector over the words `idf` knows, and its length (0 when it shares none)."""
    # Sorted, and summed exactly: a set's order changes with the interpreter's hash seed, and the same
    # message must get the same figure in every process (tune's results are reproducible).
    query = {t: idf[t] for t in sorted(features) if t in idf}
    return query, math.sqrt(math.fsum(v * v for v in query.values()))


def _weighted_sums(idf: Mapping[str, float], postings: Postings, features: Iterable[str]) -> dict[str, float]:
    """Per entry, the dot product of the message's unit-length vector with the entry's weights."""
    query, norm = _query(idf, features)
    if not norm:
        return {}
    terms: dict[str, list[float]] = {}
    for token, value in query.items():
        for entry, weight in postings.get(token, ()):
            terms.setdefault(entry, []).append(value * weight / norm)
    return {entry: math.fsum(values) for entry, values in terms.items()}


@dataclass(frozen=True)
class Discriminative:
    """A softmax logistic regression over the entries (no intercept: how many messages an entry had is no
    evidence about a new one), kept as per word, the entries it weighs for or against."""

    idf: Mapping[str, float]
    postings: Postings
    classes: int  # how many entries the softmax runs over: an entry the message does not touch has logit 0

    # The entries in id order, and per word the positions and weights of the entries it weighs in: a word such as
    # `cuda` weighs for or against a hundred entries, summed in one numpy step instead of a hundred. Built with the
    # model (at load, not on the first description a user sends): two flat arrays, sliced per word.
    _names: list[str] = field(init=False, repr=False, compare=False)
    _columns: dict[str, tuple[IntArray, FloatArray]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tokens = list(self.postings)
        pairs = [pair for t in tokens for pair in self.postings[t]]
        names = sorted({e for e, _ in pairs})
        position = {e: n for n, e in enumerate(names)}
        positions = np.array([position[e] for e, _ in pairs], dtype=np.int64)
        weights = np.array([w for _, w in pairs], dtype=np.float64)
        ends = np.cumsum([len(self.postings[t]) for t in tokens], dtype=np.int64).tolist()
        starts = [0, *ends][: len(ends)]
        columns = {t: (positions[a:b], weights[a:b]) for t, a, b in zip(tokens, starts, ends, strict=True)}
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_columns", columns)

    def probability(self, features: Iterable[str]) -> dict[str, float]:
        """The regression's probability for each entry one of the message's words weighs in."""
        query, norm = _query(self.idf, features)
        names, columns = self._names, self._columns
        hits = [(columns[token], value / norm) for token, value in query.items() if token in columns]
        if not hits:
            return {}
        # One sum over all the message's words, in word order whatever the hash seed: the same figures every run.
        where = np.concatenate([positions for (positions, _), _ in hits])
        contributions = np.concatenate([weights * scale for (_, weights), scale in hits])
        logits = np.bincount(where, weights=contributions, minlength=len(names))
        touched = np.bincount(where, minlength=len(names)) > 0
        top = max(0.0, float(logits[touched].max()))  # shifted before exp: no overflow however large a logit
        odds = np.exp(logits[touched] - top)
        untouched = (self.classes - int(touched.sum())) * math.exp(-top)
        total = math.fsum([untouched, *odds.tolist()])
        return {names[n]: float(o) / total for n, o in zip(np.flatnonzero(touched).tolist(), odds, strict=True)}


@dataclass(frozen=True)
class Likeness:
    """How a message reads against each entry's examples. `similarity`: the mean of the centroid's cosine and the
    regression's probability, 0..1 (the calibration reads it); `probability`: the regression's alone, whose
    logarithm orders a description's candidates (the table's [ranking] examples). An entry the message's words do
    not touch is absent from both."""

    similarity: Mapping[str, float]
    probability: Mapping[str, float]


NO_LIKENESS = Likeness({}, {})


@dataclass(frozen=True)
class ExampleModel:
    """Per word, the entries whose centroid holds it and with what weight; each word's IDF; and the
    discriminative model, when the file has one."""

    idf: Mapping[str, float]
    postings: Postings
    discriminative: Discriminative | None = None

    def likeness(self, features: Iterable[str]) -> Likeness:
        """Per entry, the cosine of the message's vector with its centroid, or with a discriminative model the mean
        of that cosine and the model's probability (`similarity`, both 0..1); and the model's probability alone."""
        feats = sorted(example_words(features))
        cosine = _weighted_sums(self.idf, self.postings, feats)
        if self.discriminative is None:
            return Likeness(cosine, {})
        probability = self.discriminative.probability(feats)
        mean = {e: (cosine.get(e, 0.0) + probability.get(e, 0.0)) / 2 for e in sorted({*cosine, *probability})}
        return Likeness(mean, probability)

    @property
    def entries(self) -> frozenset[str]:
        return frozenset(e for posting in self.postings.values() for e, _ in posting)


EMPTY = ExampleModel({}, {})


def smoothed_idf(examples: Sequence[tuple[frozenset[str], str]], min_examples: int = 1) -> dict[str, float]:
    """Each word's inverse document frequency over these examples, smoothed so every word weighs a little; only
    the words seen in at least `min_examples` of them. Both example models read a message's words by it."""
    df: dict[str, int] = {}
    for feats, _ in examples:
        for t in feats:
            df[t] = df.get(t, 0) + 1
    n = len(examples)
    return {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items() if d >= min_examples}


def for_descriptions(model: ExampleModel, is_error_report: bool, features: Iterable[str]) -> Likeness:
    """How the message reads against each entry's examples, for a description only: an error line's signatures and
    patterns name the error exactly, and an entry with many examples ("No module named X") must not outrank the
    precise one without any. The matcher and `knownfix tune` both read examples through this."""
    return NO_LIKENESS if is_error_report else model.likeness(features)


def per_row(likeness: Likeness, entry_ids: Iterable[str], pack: Iterable[bool]) -> tuple[list[float], list[float]]:
    """Per candidate row: its entry's similarity and probability from `likeness` (`for_descriptions`); none for a
    pack's entries, which the corpus has no examples of. The matcher and `knownfix tune` both fill the evidence
    through this."""
    similarity: list[float] = []
    probability: list[float] = []
    for entry_id, is_pack in zip(entry_ids, pack, strict=True):
        similarity.append(0.0 if is_pack else likeness.similarity.get(entry_id, 0.0))
        probability.append(0.0 if is_pack else likeness.probability.get(entry_id, 0.0))
    return similarity, probability


def fit(examples: Sequence[tuple[frozenset[str], str]]) -> ExampleModel:
    """Centroids from (features, entry id) pairs: IDF over these messages, each message's vector normalised,
    summed per entry, normalised again, cut to WORDS_PER_ENTRY."""
    examples = [(example_words(feats), entry) for feats, entry in examples]
    idf = smoothed_idf(examples)
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


def _parse_idf(raw: object, part: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise ExamplesError(f"examples: {part}idf must map words to numbers")
    idf: dict[str, float] = {}
    for token, value in raw.items():
        if not is_number(value):
            raise ExamplesError(f"examples: {part}idf of {str(token)[:40]!r} must be a number")
        idf[str(token)] = float(value)
    return idf


def _parse_postings(raw: object, idf: Mapping[str, float], part: str) -> Postings:
    if not isinstance(raw, dict):
        raise ExamplesError(f"examples: {part}entries must map entry ids to words")
    postings: dict[str, list[tuple[str, float]]] = {}
    for entry, words in raw.items():
        if not isinstance(words, dict):
            raise ExamplesError(f"examples: {part}entry {str(entry)[:80]!r} must map words to weights")
        for token, value in words.items():
            if not is_number(value) or token not in idf:
                raise ExamplesError(f"examples: {part}entry {str(entry)[:80]!r}: bad weight for {str(token)[:40]!r}")
            postings.setdefault(token, []).append((str(entry), float(value)))
    return {t: tuple(p) for t, p in postings.items()}


def _parse_discriminative(raw: object) -> Discriminative:
    part = "discriminative "
    if not isinstance(raw, dict):
        raise ExamplesError("examples: discriminative must be an object with classes, idf and entries")
    classes = raw.get("classes")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise ExamplesError("examples: discriminative classes must be a positive whole number")
    idf = _parse_idf(raw.get("idf"), part)
    postings = _parse_postings(raw.get("entries"), idf, part)
    named = {e for posting in postings.values() for e, _ in posting}
    if len(named) > classes:
        raise ExamplesError(f"examples: discriminative classes is {classes} but {len(named)} entries have weights")
    return Discriminative(idf, postings, classes)


def parse(raw: object) -> ExampleModel:
    if not isinstance(raw, dict) or not isinstance(raw.get("idf"), dict) or not isinstance(raw.get("entries"), dict):
        raise ExamplesError("examples: expected an object with idf and entries")
    idf = _parse_idf(raw["idf"], "")
    postings = _parse_postings(raw["entries"], idf, "")
    discriminative = _parse_discriminative(raw["discriminative"]) if "discriminative" in raw else None
    return ExampleModel(idf, postings, discriminative)


def load(path: Path = EXAMPLES_FILE) -> ExampleModel:
    return parse(read_json(path, ExamplesError, "examples"))


@functools.cache
def default_examples() -> ExampleModel:
    """The bundled model, read once per process."""
    return load()


def _by_entry(postings: Postings) -> dict[str, dict[str, float]]:
    entries: dict[str, dict[str, float]] = {}
    for token, posting in postings.items():
        for entry, weight in posting:
            entries.setdefault(entry, {})[token] = round(weight, 5)
    return {e: dict(sorted(words.items())) for e, words in sorted(entries.items())}


def dump(model: ExampleModel, path: Path = EXAMPLES_FILE) -> None:
    body: dict[str, object] = {
        "about": (
            "Fitted by `knownfix tune` on the labelled messages of evaluation/corpus: per entry, the centroid of "
            "its messages' word vectors (the matcher's single-word features, IDF-weighted), cut to the "
            f"{WORDS_PER_ENTRY} heaviest words; and a softmax logistic regression over the same vectors, cut to "
            "each entry's heaviest weights (bot/examples_fit.py). Word statistics only, no message text. See "
            "bot/matching/examples.py."
        ),
        "idf": {t: round(v, 5) for t, v in sorted(model.idf.items())},
        "entries": _by_entry(model.postings),
    }
    d = model.discriminative
    if d is not None:
        body["discriminative"] = {
            "classes": d.classes,
            "idf": {t: round(v, 5) for t, v in sorted(d.idf.items())},
            "entries": _by_entry(d.postings),
        }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
