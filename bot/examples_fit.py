"""Fitting the labelled examples' discriminative model (`bot/matching/examples.py`) for `knownfix tune`.

A softmax logistic regression over the entries, on the same IDF-weighted word vectors the centroids use, fitted
by stochastic gradient descent with a seeded order (numpy only: a few hundred entries against a few thousand
messages, where a full-batch solver would touch every entry's weight for every word of every message on each
of its many steps). Each step raises the right entry's weights on the message's words and lowers those of the
entries that took probability from it, so a word shared by neighbours ("cuda", "is_available") ends up
weighing little and the word that tells them apart ("docker") much.

Tuning time only: the bot reads the kept weights from `examples.json` and needs nothing of this.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.matching.examples import Discriminative, ExampleModel, Postings, example_words, fit, smoothed_idf

FloatArray = npt.NDArray[np.float64]

# A word seen in one example only cannot be told apart from that example's other words: it would be learnt by
# heart (and the vocabulary would be 60,000 words instead of 13,000).
MIN_WORD_EXAMPLES = 2
# Passes over the examples, the first step size and how fast it shrinks, and the ridge penalty per example:
# chosen on the corpus's 5-fold CV (descriptions top-1 0.827 alone, 0.84 with the centroids; 20 passes or a
# penalty of 1e-4 did no better, 1e-3 much worse).
EPOCHS = 10
STEP = 2.0
STEP_DECAY = 0.3
L2 = 1e-5
SEED = 20261203  # the order examples are visited in; fixed so every run fits the same weights
# Weights kept per entry, the largest in size (for or against it): a message's few words then touch few
# entries at run time, and the smaller weights moved descriptions' CV top-1 by under half a point when cut.
WEIGHTS_PER_ENTRY = 200


def _rows(
    examples: Sequence[tuple[frozenset[str], str]], idf: dict[str, float], column: dict[str, int], label: dict[str, int]
) -> list[tuple[npt.NDArray[np.int64], FloatArray, int]]:
    """Each example as (word columns, unit-length IDF values, entry index); examples with no known word drop."""
    rows = []
    for feats, entry in examples:
        words = sorted(t for t in feats if t in column)
        if not words:
            continue
        values = np.array([idf[t] for t in words])
        rows.append(
            (np.array([column[t] for t in words], dtype=np.int64), values / np.linalg.norm(values), label[entry])
        )
    return rows


def _descend(rows: Sequence[tuple[npt.NDArray[np.int64], FloatArray, int]], words: int, classes: int) -> FloatArray:
    """The weight matrix (word x entry) after EPOCHS passes of stochastic gradient descent on the softmax loss."""
    weights = np.zeros((words, classes))
    order = np.random.default_rng(SEED)
    for epoch in range(EPOCHS):
        step = STEP / (1 + STEP_DECAY * epoch)
        for i in order.permutation(len(rows)).tolist():
            columns, values, right = rows[i]
            logits = values @ weights[columns]
            gradient = np.exp(logits - logits.max())
            gradient /= gradient.sum()
            gradient[right] -= 1.0
            weights[columns] -= step * np.outer(values, gradient)
        weights *= (1 - step * L2) ** len(rows)  # the ridge penalty's shrinkage, once per pass
    return weights


def _heaviest(weights: FloatArray, vocabulary: Sequence[str], entries: Sequence[str]) -> Postings:
    postings: dict[str, list[tuple[str, float]]] = {}
    for k, entry in enumerate(entries):
        column = weights[:, k]
        # By size, ties in word order (the vocabulary is sorted, the sort stable): the same cut in every run.
        heaviest = np.argsort(-np.abs(column), kind="stable")[:WEIGHTS_PER_ENTRY]
        for j in np.sort(heaviest[column[heaviest] != 0.0]).tolist():
            postings.setdefault(vocabulary[j], []).append((entry, float(column[j])))
    return {t: tuple(p) for t, p in sorted(postings.items())}


def fit_discriminative(examples: Sequence[tuple[frozenset[str], str]]) -> Discriminative:
    """The softmax regression on (features, entry id) pairs, cut to WEIGHTS_PER_ENTRY weights per entry."""
    examples = [(example_words(feats), entry) for feats, entry in examples]
    idf = smoothed_idf(examples, MIN_WORD_EXAMPLES)  # the centroids' IDF: both models read words alike
    vocabulary = sorted(idf)
    entries = sorted({entry for _, entry in examples})
    column = {t: j for j, t in enumerate(vocabulary)}
    rows = _rows(examples, idf, column, {e: k for k, e in enumerate(entries)})
    weights = _descend(rows, len(vocabulary), len(entries))
    postings = _heaviest(weights, vocabulary, entries)
    # Every word's IDF, kept or not: a message's vector has unit length over all of them, as when fitted.
    return Discriminative(idf, postings, len(entries))


def fit_examples(examples: Sequence[tuple[frozenset[str], str]]) -> ExampleModel:
    """Both models on the same examples: the centroids and, beside them, the discriminative model."""
    centroids = fit(examples)
    return ExampleModel(centroids.idf, centroids.postings, fit_discriminative(examples))
