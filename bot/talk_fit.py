"""Fitting the talk word model (`bot/matching/talk.py`) for `knownfix tune`: which tokens it may use, the
ridge logistic regression itself, and the figure that says how well it tells talk from reports.

Tuning time only: the bot reads the fitted weights from `talk_words.json` and needs nothing of this.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.knowledge.model import Entry
from bot.matching.talk import MIN_TOKEN_CASES, TalkWords
from bot.matching.text import STOPWORDS

FloatArray = npt.NDArray[np.float64]

# Ridge on the talk word model: thousands of tokens against two thousand cases, so most must stay near zero
# (3.0 told chat from reports best in 5-fold CV among 1, 3, 10 and 30).
TALK_L2 = 3.0
TALK_ITERATIONS = 800  # accelerated gradient steps; the loss stops moving well before this
# A topic word found in reports about at least this share of the knowledge's domains is how people talk
# ("fixed", "instead", "installed": each in one signature somewhere), not what they talk about, and the model
# may weigh it. 5-fold CV on the corpus, talk told from reports (AUC) with none of the topic words / with
# those of 1/4 / 1/3 / 5/12 / 1/2 of the 24 domains: 0.888 / 0.908 / 0.906 / 0.904 / 0.903; score rules' false
# replies 0.072 -> 0.068 at the same recall.
GENERAL_WORD_DOMAINS = 1 / 3


def topic_words(entries: Sequence[Entry]) -> frozenset[str]:
    """The words the knowledge uses to name its errors (signatures, titles, domains), function words aside.

    The talk model must learn how people talk, not what they talk about: in the corpus `joblib` or `kernel`
    lean one way only because of which threads were collected, and a channel's mix of topics is its own."""
    names: set[str] = set()
    for entry in entries:
        for text in (*entry.all_signatures, entry.title, entry.domain, entry.category):
            names.update(_TOPIC_WORD.findall(str(text).lower()))
    return frozenset(names - STOPWORDS)


_TOPIC_WORD = re.compile(r"[a-z][a-z']*")


def general_words(
    tokens: Sequence[frozenset[str]],
    domains: Sequence[str | None],
    subset: npt.NDArray[np.int64],
    topics: frozenset[str],
) -> frozenset[str]:
    """The topic words that the reports in `subset` use across GENERAL_WORD_DOMAINS of their domains or more.

    `domains`: per case, the domain of the entry it reports (None for talk and uncovered reports). A word that
    people write when reporting problems with many unrelated libraries says nothing of which library a thread
    was about, so it is no topic for the talk model, however many signatures it appears in."""
    seen_in: dict[str, set[str]] = {}
    for i in subset.tolist():
        domain = domains[i]
        if domain is None:
            continue
        for token in tokens[i]:
            if token in topics:  # a word pair never is one
                seen_in.setdefault(token, set()).add(domain)
    everywhere = len({domains[i] for i in subset.tolist()} - {None})
    needed = max(2, math.ceil(GENERAL_WORD_DOMAINS * everywhere))
    return frozenset(t for t, where in seen_in.items() if len(where) >= needed)


def fit_talk_words(
    tokens: Sequence[frozenset[str]],
    y: FloatArray,
    subset: npt.NDArray[np.int64],
    topics: frozenset[str] = frozenset(),
    domains: Sequence[str | None] = (),
) -> TalkWords:
    """Ridge logistic regression of talk against report over the tokens seen in MIN_TOKEN_CASES cases or more
    and free of `topics` words (except the general ones, when each case's `domains` are given), by Nesterov's
    accelerated gradient (numpy only; a Newton step would need a vocabulary-sized Hessian)."""
    if domains:
        topics = topics - general_words(tokens, domains, subset, topics)
    seen: dict[str, int] = {}
    for i in subset.tolist():
        for t in tokens[i]:
            seen[t] = seen.get(t, 0) + 1
    vocab = sorted(t for t, n in seen.items() if n >= MIN_TOKEN_CASES and not any(w in topics for w in t.split(" ")))
    column = {t: j for j, t in enumerate(vocab)}
    intercept = len(vocab)  # the intercept's column, present in every row and not penalised
    rows: list[int] = []
    cols: list[int] = []
    for row, i in enumerate(subset.tolist()):
        present = sorted(column[t] for t in tokens[i] if t in column)
        rows.extend([row] * (len(present) + 1))
        cols.extend([*present, intercept])
    design = _Binary(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), subset.size, len(vocab) + 1)
    target = y[subset]
    penalty = np.full(design.width, TALK_L2)
    penalty[intercept] = 0.0
    # Step 1/L, L bounding the loss's curvature: a quarter of the largest squared singular value, plus the ridge.
    lipschitz = 0.25 * design.norm_squared() + TALK_L2
    beta = np.zeros(design.width)
    ahead = beta.copy()
    for k in range(TALK_ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-np.clip(design.times(ahead), -30, 30)))
        gradient = design.transposed_times(p - target) + penalty * ahead
        following = ahead - gradient / lipschitz
        ahead = following + (k / (k + 3)) * (following - beta)
        beta = following
    return TalkWords(float(beta[intercept]), {t: float(w) for t, w in zip(vocab, beta[:intercept], strict=True)})


@dataclass(frozen=True)
class _Binary:
    """A 0/1 matrix held as the coordinates of its ones: a case has a few dozen tokens out of thousands."""

    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    height: int
    width: int

    def times(self, v: FloatArray) -> FloatArray:
        out: FloatArray = np.bincount(self.rows, weights=v[self.cols], minlength=self.height).astype(
            np.float64, copy=False
        )
        return out

    def transposed_times(self, v: FloatArray) -> FloatArray:
        out: FloatArray = np.bincount(self.cols, weights=v[self.rows], minlength=self.width).astype(
            np.float64, copy=False
        )
        return out

    def norm_squared(self, iterations: int = 50) -> float:
        """The largest eigenvalue of X'X by power iteration (seeded: tune stays reproducible)."""
        v = np.random.default_rng(0).random(self.width) + 0.1
        value = 0.0
        for _ in range(iterations):
            w = self.transposed_times(self.times(v))
            value = float(np.linalg.norm(w))
            v = w / value
        return value * 1.01  # power iteration approaches from below; a step slightly short is still safe


def talk_logits(model: TalkWords, tokens: Sequence[frozenset[str]]) -> FloatArray:
    return np.array([model.logit(t) for t in tokens])


def auc(score: FloatArray, positive: npt.NDArray[np.bool_]) -> float:
    """The chance that a random positive scores above a random negative (ties count half)."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    for value in np.unique(score):  # average ranks over ties
        tied = score == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return math.nan
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
