"""The description ranking's fit (`bot/ranking_fit.py`, `tune.fit_ranking`) and the table it writes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot import tune
from bot.engine import Engine
from bot.matching.examples import default_examples
from bot.matching.records import default_records
from bot.matching.talk import default_talk_words as load_talk
from bot.matching.weights import RANKING_FEATURES, default_weights, load
from bot.ranking_fit import conditional_logit

FIXTURES = Path(__file__).parent / "fixtures"


def _messages(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`n` messages of four candidates each: column 0 is a noisy score, column 1 evidence that tells the right
    candidate apart, column 2 noise; the right one is candidate 0 of each message."""
    rng = np.random.default_rng(seed)
    rows = n * 4
    features = rng.normal(size=(rows, 3))
    right = np.zeros(rows, dtype=np.bool_)
    right[::4] = True
    features[right, 1] += 1.5
    features[right, 0] += 0.5
    group = np.repeat(np.arange(n), 4).astype(np.int64)
    return features, group, right


def test_the_fit_weighs_the_evidence_that_tells_the_right_candidate_apart() -> None:
    features, group, right = _messages(seed=1)
    weights = conditional_logit(features, group, right)
    assert weights[1] > weights[0] > 0  # the telling evidence most, the score too
    assert abs(weights[2]) < 0.3 * weights[1]  # noise next to nothing
    held_out, _, _ = _messages(seed=2)
    keys = (held_out @ weights).reshape(-1, 4)
    assert np.mean(keys.argmax(axis=1) == 0) > 0.7  # it ranks new messages' right candidates first


def test_the_fit_is_the_same_on_every_run_and_ignores_what_a_message_shares() -> None:
    features, group, right = _messages(seed=3)
    first = conditional_logit(features, group, right)
    assert np.array_equal(first, conditional_logit(features, group, right))
    shifted = features.copy()
    shifted[:, 2] += np.repeat(np.arange(200) % 7, 4)  # a value every candidate of a message shares
    assert conditional_logit(shifted, group, right) == pytest.approx(first, abs=1e-6)


def test_the_fit_arrives_where_a_full_newton_step_would_overshoot() -> None:
    # The fit starts from the score alone. With scores spread wide and unrelated to which candidate is right, the
    # start puts all of a message's probability on its highest score, where the curvature is nearly flat, and a full
    # Newton step went to weights in the thousands (a feature set tried for the ranking did this to whole folds).
    rng = np.random.default_rng(4)
    rows = 200 * 4
    right = np.zeros(rows, dtype=np.bool_)
    right[::4] = True
    features = np.column_stack([rng.random(rows) * 20, right + rng.normal(0, 0.5, rows)])
    group = np.repeat(np.arange(200), 4).astype(np.int64)
    weights = conditional_logit(features, group, right)
    assert np.all(np.isfinite(weights)) and abs(weights[0]) < 0.1 < weights[1] < 10
    keys = (features @ weights).reshape(-1, 4)
    assert np.mean(keys.argmax(axis=1) == 0) > 0.8


def test_no_messages_give_no_weights() -> None:
    empty = conditional_logit(np.zeros((0, 3)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.bool_))
    assert empty.tolist() == [0.0, 0.0, 0.0]


def test_the_table_holds_one_ranking_weight_for_each_feature() -> None:
    ranking = default_weights().ranking
    assert len(ranking.coefficients) == len(RANKING_FEATURES)
    assert ranking.coefficients == tuple(getattr(ranking, name) for name in RANKING_FEATURES)
    assert "examples_floor" not in RANKING_FEATURES  # set by hand, never fitted


def _descriptions() -> list[tune.Case]:
    """The demo entries described in words (each message's right entry among its candidates), and one pasted error."""
    texts = [
        ("after a few epochs the loss explodes and becomes nan", "demo/loss-nan"),
        ("my loss turns into nan halfway through training", "demo/loss-nan"),
        ("the loss is nan after some steps", "demo/loss-nan"),
        ("building the wheel for tokenizers fails on install", "demo/pip-wheel"),
        ("pip cannot build a wheel for tokenizers", "demo/pip-wheel"),
    ]
    cases = [tune.Case(text, entry, "symptom", f"own:desc/{n}") for n, (text, entry) in enumerate(texts)]
    pasted = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    return [*cases, tune.Case(pasted, "demo/shape-mismatch", "error-line", "own:paste/0")]


def test_tune_fits_the_ranking_on_descriptions_and_leaves_the_floor_as_set() -> None:
    engine = Engine.load([FIXTURES / "kb"])
    cases = _descriptions()
    m = tune.measure(engine, cases)
    assert m.evidence.description.sum() > 0 and not m.evidence.description[m.case_of == len(cases) - 1].any()
    base = replace(default_weights(), ranking=replace(default_weights().ranking, explained_share=0.0))
    fitted = tune.fit_ranking(m, base, np.arange(len(cases)))
    assert fitted.ranking != base.ranking  # refitted from the descriptions
    assert fitted.ranking.examples_floor == base.ranking.examples_floor  # hand-set, never fitted
    assert fitted.scoring == base.scoring and fitted.calibration == base.calibration
    # With no description among the cases there is nothing to fit: the table's weights stay.
    only_paste = tune.fit_ranking(m, base, np.array([len(cases) - 1]))
    assert only_paste.ranking == base.ranking


def test_tune_writes_the_fitted_ranking_to_the_table(tmp_path: Path) -> None:
    fitted = replace(default_weights().ranking, examples=0.123456, symptom_entry=-0.5)
    table = tmp_path / "weights.toml"
    table.write_text((Path(tune.__file__).parent / "matching" / "weights.toml").read_text(encoding="utf-8"))
    result = tune.TuneResult(
        weights=replace(default_weights(), ranking=fitted),
        cross_validated=None,  # type: ignore[arg-type]  # write reads the weights, the two models and the records
        reliability=[],
        problems=[],
        talk=load_talk(),
        example_model=default_examples(),
        records=default_records(),
    )
    tune.write(result, path=table, talk_path=tmp_path / "talk.json", examples_path=tmp_path / "examples.json",
               records_path=tmp_path / "records.json")  # fmt: skip
    assert load(table).ranking == fitted
