"""Fitting the [ranking] weights (`bot/matching/weights.toml`) for `knownfix tune`.

A conditional logit: for each labelled description, a softmax over its candidates of a linear score of their
evidence, fitted so the right entry takes the probability from its rivals. Only the order within a message
matters, so what every candidate of a message shares (how long the message is, how many candidates it has) has
no say, and the fitted weights are the ones the ranking uses as they are. Newton's method on the penalised
log-likelihood, each step halved until the objective falls: a handful of weights against thousands of candidate
rows, where each step solves a small system and a dozen steps reach the optimum; the same figures on every run.

Tuning time only: the bot reads the kept weights from the table and needs nothing of this.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The ridge penalty per labelled message: chosen on the corpus's 5-fold CV (8,777 cases, descriptions top-1
# 0.759 / 0.768 / 0.772 / 0.774 at 1e-2 / 3e-3 / 1e-3 / 1e-4): 1e-4 ranks a little better, 1e-3 keeps the
# weights of features that rarely fire (a library named, a symptom entry) from growing on a few messages.
L2 = 1e-3
MAX_STEPS = 50
CONVERGED = 1e-9  # the largest change of a weight in a step at which Newton's method has arrived
MAX_HALVINGS = 30  # a step halved this often is below any weight's precision


def _objective(
    features: FloatArray, group: IntArray, target: FloatArray, groups: int, l2: float, weights: FloatArray
) -> tuple[float, FloatArray]:
    """The penalised negative log-likelihood per message at `weights`, and each row's probability within its
    message."""
    logits = features @ weights
    top = np.full(groups, -np.inf)
    np.maximum.at(top, group, logits)
    odds = np.exp(logits - top[group])
    total = np.bincount(group, weights=odds, minlength=groups)
    p = odds / total[group]
    log_p = logits - top[group] - np.log(total[group])
    loss = -float(target @ log_p) / groups + 0.5 * l2 * float(weights @ weights)
    return loss, p


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
    weights = np.zeros(features.shape[1])
    weights[0] = 1.0
    loss, p = _objective(features, group, target, groups, l2, weights)
    for _ in range(MAX_STEPS):
        gradient = features.T @ (p - target) / groups + l2 * weights
        weighted = features * p[:, None]
        per_group = np.zeros((groups, features.shape[1]))
        np.add.at(per_group, group, weighted)
        hessian = (features.T @ weighted - per_group.T @ per_group) / groups + l2 * np.eye(weights.size)
        step = np.linalg.solve(hessian, gradient)
        # A full Newton step can overshoot where a feature nearly separates the right rows (a binary one the
        # right entry mostly has): halve it until the objective falls, so the fit never runs off to huge weights.
        for _ in range(MAX_HALVINGS):
            trial_loss, trial_p = _objective(features, group, target, groups, l2, weights - step)
            if trial_loss <= loss:
                break
            step = step / 2
        else:
            break  # no step lowers the objective: the optimum, to the precision the sums allow
        weights, loss, p = weights - step, trial_loss, trial_p
        if float(np.abs(step).max()) < CONVERGED:
            break
    return weights
