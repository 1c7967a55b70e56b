"""Labelled examples as evidence: the centroids, their file, and how the matcher and tune use them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot import tune
from bot.engine import Engine
from bot.matching import evidence as ev
from bot.matching import examples
from bot.matching.matcher import Matcher
from bot.matching.text import features
from bot.matching.weights import default_weights

FIXTURES = Path(__file__).parent / "fixtures"
W = default_weights()


def _fitted() -> examples.ExampleModel:
    return examples.fit(
        [
            (features("my loss turns nan after a few epochs"), "demo/loss-nan"),
            (features("loss becomes nan in the second epoch"), "demo/loss-nan"),
            (features("the linear layer input width does not fit"), "demo/shape-mismatch"),
        ]
    )


def test_a_message_is_closest_to_the_entry_whose_examples_it_reads_like() -> None:
    sims = _fitted().similarity(features("after two epochs the loss is nan"))
    assert sims["demo/loss-nan"] > sims.get("demo/shape-mismatch", 0.0)
    assert 0.0 < sims["demo/loss-nan"] <= 1.0 + 1e-9
    assert _fitted().similarity(features("good morning")) == {}  # no shared word: no evidence either way


def test_each_entry_keeps_only_its_heaviest_words() -> None:
    many = [(frozenset(f"w{i}_{j}" for j in range(examples.WORDS_PER_ENTRY * 2)), "e/x") for i in range(2)]
    model = examples.fit(many)
    held = [t for t, posting in model.postings.items() if any(e == "e/x" for e, _ in posting)]
    assert len(held) == examples.WORDS_PER_ENTRY


def test_the_model_round_trips_through_its_file(tmp_path: Path) -> None:
    path = tmp_path / "examples.json"
    examples.dump(_fitted(), path)
    again = examples.load(path)
    query = features("loss is nan")
    assert again.similarity(query) == pytest.approx(_fitted().similarity(query), abs=1e-4)
    body = json.loads(path.read_text(encoding="utf-8"))
    assert "my loss turns nan" not in path.read_text(encoding="utf-8")  # word statistics, never a message
    assert set(body) == {"about", "idf", "entries"}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([], "idf and entries"),
        ({"idf": {"a": "x"}, "entries": {}}, "idf of 'a'"),
        ({"idf": {"a": 1.0}, "entries": {"e/x": []}}, "must map words"),
        ({"idf": {"a": 1.0}, "entries": {"e/x": {"b": 0.5}}}, "bad weight for 'b'"),
    ],
)
def test_a_malformed_file_is_refused_with_what_is_wrong(raw: object, problem: str) -> None:
    with pytest.raises(examples.ExamplesError, match=problem):
        examples.parse(raw)


def test_the_bundled_model_loads() -> None:
    model = examples.default_examples()
    assert len(model.entries) > 100


# -- in the ranking -------------------------------------------------------------------------------------


def _row(score_words: float, example: float) -> dict[str, object]:
    return {"signature_coverage": score_words, "example_similarity": example}


def test_examples_reorder_entries_but_never_add_to_the_score() -> None:
    n = 2
    base: dict[str, object] = {
        "signature_similarity": [0.0] * n, "signature_coverage": [0.80, 0.82], "symptom_coverage": [0.0] * n,
        "explained_share": [0.0] * n, "pattern_strength": [-1] * n, "pattern_counts_as_proof": [True] * n,
        "words_count_as_proof": [True] * n, "exact_signature": [False] * n, "exception_agrees": [False] * n,
        "exception_shared_by": [0] * n, "exception_disagrees": [False] * n, "library_hint": [False] * n,
        "symptom_entry": [False] * n, "pack": [False] * n, "example_similarity": [0.5, 0.0],
    }  # fmt: skip
    scores = ev.combine(ev.Evidence(**{k: np.array(v) for k, v in base.items()}), W.scoring, W.selection)
    assert scores.score[1] > scores.score[0]  # the curated evidence alone prefers the second
    assert scores.rank[0] > scores.rank[1]  # the first reads like its examples: it ranks first
    without = dict(base, example_similarity=[0.0, 0.0])
    plain = ev.combine(ev.Evidence(**{k: np.array(v) for k, v in without.items()}), W.scoring, W.selection)
    assert np.allclose(plain.score, scores.score)


def test_the_matcher_uses_examples_for_descriptions_only() -> None:
    base = Engine.load([FIXTURES / "kb"])
    leaning = examples.fit([(features("loss nan epochs width linear layer"), "demo/shape-mismatch")] * 3)
    matcher = Matcher(base.indexes, None, base.matcher.weights, base.matcher.talk, leaning)
    described = matcher.assess("my loss is nan after some epochs, the linear layer looks fine")
    pasted = matcher.assess("RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)")
    assert described.evidence.example_similarity.max() > 0
    assert pasted.evidence.example_similarity.max() == 0.0  # signatures and patterns name an error exactly


# -- in tune ---------------------------------------------------------------------------------------------


def test_tune_gives_each_training_case_examples_fitted_without_it(tmp_path: Path) -> None:
    engine = Engine.load([FIXTURES / "kb"])
    words = ["suddenly", "training", "validation", "fp16", "adam", "warmup", "gradient", "batch", "clip", "scaler"]
    rows = [
        {"text": f"my loss goes nan {w} {words[n - 1]}", "expected": "demo/loss-nan", "kind": "symptom",
         "source": f"s{n}"}
        for n, w in enumerate(words)
    ]  # fmt: skip
    path = tmp_path / "corpus"
    path.mkdir()
    (path / "own.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cases, _ = tune.load_corpus(path, {e.id for e in engine.kb.entries})
    m = tune.measure(engine, cases)
    tokens = [frozenset[str]() for _ in cases]
    train = np.arange(len(cases))
    stacked, _ = tune.stacked(m, tokens, tune.talk_labels(cases), frozenset(), (), train, train[:0], 5, 1)
    inner = tune.folds(cases, 5, 2)  # the inner folds `stacked` draws for seed 1
    part = next(p for p in inner if 0 in p.tolist())
    without_it = tune.fit_examples(m, np.setdiff1d(train, part))
    with_it = tune.fit_examples(m, train)
    first = int(m.row_start[0]) + [e.id for e in m.assessments[0].entries].index("demo/loss-nan")
    own = m.assessments[0].features
    assert stacked.evidence.example_similarity[first] == pytest.approx(without_it.similarity(own)["demo/loss-nan"])
    assert without_it.similarity(own)["demo/loss-nan"] != pytest.approx(with_it.similarity(own)["demo/loss-nan"])
