"""Newton's method with step halving (`bot/newton.py`), which the calibration and the description ranking fit with."""

from __future__ import annotations

import numpy as np
import pytest

from bot.newton import minimise
from bot.tune import fit_logistic, predict


def _pseudo_huber(w: np.ndarray) -> tuple[float, None]:
    return float(np.sum(np.sqrt(1.0 + w * w))), None


def _pseudo_huber_derivatives(w: np.ndarray, _: None) -> tuple[np.ndarray, np.ndarray]:
    root = np.sqrt(1.0 + w * w)
    return w / root, np.diag(1.0 / root**3)


def test_a_step_that_would_overshoot_is_halved_until_the_objective_falls() -> None:
    # sqrt(1 + w^2) is convex, but a full Newton step from w lands on -w^3: from 2 it would go to -8, then 512.
    start = np.array([2.0, -3.0])
    w = minimise(_pseudo_huber, _pseudo_huber_derivatives, start)
    assert np.all(np.abs(w) < 1e-6)


def test_a_quadratic_is_solved_in_one_step() -> None:
    target = np.array([1.5, -2.0, 0.25])
    scale = np.diag([1.0, 4.0, 9.0])
    steps: list[np.ndarray] = []

    def objective(w: np.ndarray) -> tuple[float, None]:
        steps.append(w)
        d = w - target
        return 0.5 * float(d @ scale @ d), None

    def derivatives(w: np.ndarray, _: None) -> tuple[np.ndarray, np.ndarray]:
        return scale @ (w - target), scale

    w = minimise(objective, derivatives, np.zeros(3))
    assert w == pytest.approx(target)
    assert len(steps) <= 3  # the start, the one step, and the step of nothing that shows it has arrived


def test_the_calibration_fit_recovers_a_logistic_model() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20_000, 2))
    chance = predict(-0.5, np.array([1.5, -2.0]), x)
    y = (rng.random(x.shape[0]) < chance).astype(np.float64)
    intercept, coefficients = fit_logistic(x, y)
    assert intercept == pytest.approx(-0.5, abs=0.1)
    assert coefficients == pytest.approx([1.5, -2.0], abs=0.1)


def test_the_calibration_fit_stays_finite_when_a_feature_separates_the_classes() -> None:
    # Separable data has no maximum-likelihood optimum: the ridge penalty alone keeps the weight finite.
    x = np.array([[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]]) * 100
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    intercept, coefficients = fit_logistic(x, y)
    assert np.isfinite(intercept) and np.all(np.isfinite(coefficients))
    assert np.all((predict(intercept, coefficients, x) > 0.5) == (y == 1.0))
