"""Newton's method with step halving, for the small convex fits `knownfix tune` makes: the calibration's logistic
regression (`tune.fit_logistic`) and the description ranking's conditional logit (`ranking_fit`).

Each fit has a handful of weights against thousands of rows, so each step solves a small linear system and a dozen
steps reach the optimum, the same on every run. A full Newton step can overshoot where a feature nearly separates
the right rows from the rest (a binary one the right entry mostly has): the step is halved until the objective
falls, so a fit never runs off to huge weights (two ranking features tried once sent whole folds' fits to weights
in the hundreds, fold top-1 0.46).

Tuning time only: the bot needs nothing of this at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
State = TypeVar("State")

MAX_STEPS = 50
CONVERGED = 1e-9  # the largest change of a weight in a step at which Newton's method has arrived
MAX_HALVINGS = 30  # a step halved this often is below any weight's precision


def minimise(
    objective: Callable[[FloatArray], tuple[float, State]],
    derivatives: Callable[[FloatArray, State], tuple[FloatArray, FloatArray]],
    start: FloatArray,
    max_steps: int = MAX_STEPS,
) -> FloatArray:
    """The weights that minimise a convex `objective` from `start`. `objective(w)` gives the value at `w` and
    whatever the derivatives need of its computation (each row's probability); `derivatives(w, that)` the gradient
    and the Hessian there."""
    weights = start.astype(np.float64)
    loss, state = objective(weights)
    for _ in range(max_steps):
        gradient, hessian = derivatives(weights, state)
        step = np.linalg.solve(hessian, gradient)
        for _ in range(MAX_HALVINGS):
            trial_loss, trial_state = objective(weights - step)
            if trial_loss <= loss:
                break
            step = step / 2
        else:
            break  # no step lowers the objective: the optimum, to the precision the sums allow
        weights, loss, state = weights - step, trial_loss, trial_state
        if float(np.abs(step).max()) < CONVERGED:
            break
    return weights
