"""Fitting the [ranking] weights (`bot/matching/weights.toml`) for `knownfix tune`.

A conditional logit: for each labelled description, a softmax over its candidates of a linear score of their
evidence, fitted so the right entry takes the probability from its rivals. Only the order within a message
matters, so what every candidate of a message shares (how long the message is, how many candidates it has) has
no say, and the fitted weights are the ones the ranking uses as they are. Newton's method on the penalised
log-likelihood (`bot/newton.py`, each step halved until the objective falls): a handful of weights against
thousands of candidate rows; the same figures on every run.

Tuning time only: the bot reads the kept weights from the table and needs nothing of this.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.newton import minimise

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The ridge penalty per labelled message: chosen on the corpus's 5-fold CV (8,777 cases, descriptions top-1
# 0.759 / 0.768 / 0.772 / 0.774 at 1e-2 / 3e-3 / 1e-3 / 1e-4): 1e-4 ranks a little better, 1e-3 keeps the
# weights of features that rarely fire (a library named, a symptom entry) from growing on a few messages.
L2 = 1e-3


def conditional_logit(
    features: FloatArray, group: IntArray, right: npt.NDArray[np.bool_], l2: float = L2
) -> FloatArray:
    """The weights of a softmax within each group of rows (a message's candidates) that puts the probability on
    its `right` rows. `group`: per row, its message, numbered from 0 without gaps; each message must have a right
    row. Starts from the first feature alone (the score, as the matcher ranked before)."""
    groups = int(group.max()) + 1 if group.size else 0
    if not groups:
        return np.zeros(features.shape[1])
    target = right.astype(np.float64)
    target /= np.bincount(group, weights=target, minlength=groups)[group]  # several right rows share the one

    def objective(weights: FloatArray) -> tuple[float, FloatArray]:
        """The penalised negative log-likelihood per message, and each row's probability within its message."""
        logits = features @ weights
        top = np.full(groups, -np.inf)
        np.maximum.at(top, group, logits)
        odds = np.exp(logits - top[group])
        total = np.bincount(group, weights=odds, minlength=groups)
        log_p = logits - top[group] - np.log(total[group])
        loss = -float(target @ log_p) / groups + 0.5 * l2 * float(weights @ weights)
        return loss, odds / total[group]

    def derivatives(weights: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        gradient = features.T @ (p - target) / groups + l2 * weights
        weighted = features * p[:, None]
        per_group = np.zeros((groups, features.shape[1]))
        np.add.at(per_group, group, weighted)
        hessian = (features.T @ weighted - per_group.T @ per_group) / groups + l2 * np.eye(weights.size)
        return gradient, hessian

    start = np.zeros(features.shape[1])
    start[0] = 1.0
    return minimise(objective, derivatives, start)
