"""Labelled examples as evidence: the centroids, their file, and how the matcher and tune use them."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot import examples_fit, tune
from bot.engine import Engine
from bot.matching import evidence as ev
from bot.matching import examples
from bot.matching.matcher import Matcher
from bot.matching.talk import TalkWords
from bot.matching.text import features
from bot.matching.weights import default_weights
from bot.talk_fit import FloatArray, talk_logits
from tests.conftest import NO_EVIDENCE, evidence_columns, evidence_rows, write_corpus

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
    sims = _fitted().likeness(features("after two epochs the loss is nan")).similarity
    assert sims["demo/loss-nan"] > sims.get("demo/shape-mismatch", 0.0)
    assert 0.0 < sims["demo/loss-nan"] <= 1.0 + 1e-9
    assert _fitted().likeness(features("good morning")).similarity == {}  # no shared word: no evidence either way


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
    assert again.likeness(query).similarity == pytest.approx(_fitted().likeness(query).similarity, abs=1e-4)
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


# -- the discriminative model ------------------------------------------------------------------------------

# A generic entry with many examples and a specific one with two long ones: what they share is the generic
# entry's wording, and `docker` is the one word that tells them apart.
_NOISE = ["on my laptop", "after installing", "with pip", "even with a gpu", "on windows", "after a driver update"]
_NEIGHBOURS = [
    *[(f"torch.cuda.is_available() returns False {noise}", "demo/cuda-not-available") for noise in _NOISE],
    (
        "torch.cuda.is_available() returns False in docker, the image was built from ubuntu with python slim and "
        "the compose file mounts my project",
        "demo/docker-no-gpu",
    ),
    (
        "docker again: torch.cuda.is_available() returns False although nvidia-smi on the host lists both cards "
        "and the driver version",
        "demo/docker-no-gpu",
    ),
    ("my loss turns nan", "demo/loss-nan"),
    ("loss becomes nan", "demo/loss-nan"),
]


def _neighbours() -> list[tuple[frozenset[str], str]]:
    return [(features(text), entry) for text, entry in _NEIGHBOURS]


def _best(sims: Mapping[str, float]) -> str:
    return max(sorted(sims), key=lambda e: sims[e])


def test_the_word_that_tells_neighbours_apart_outweighs_the_generic_entrys_numbers() -> None:
    query = features("in docker torch.cuda.is_available() returns False")
    # The centroids alone follow the generic entry: its many examples hold the message's other words.
    assert _best(examples.fit(_neighbours()).likeness(query).similarity) == "demo/cuda-not-available"
    model = examples_fit.fit_examples(_neighbours())
    assert model.discriminative is not None
    assert _best(model.discriminative.probability(query)) == "demo/docker-no-gpu"
    assert _best(model.likeness(query).similarity) == "demo/docker-no-gpu"
    plain = features("torch.cuda.is_available() returns False on my laptop")
    assert _best(model.likeness(plain).similarity) == "demo/cuda-not-available"


def test_the_discriminative_probability_is_a_share_of_one() -> None:
    model = examples_fit.fit_examples(_neighbours())
    assert model.discriminative is not None
    probability = model.discriminative.probability(features("docker loss nan returns False"))
    assert all(0.0 < p < 1.0 for p in probability.values())
    assert sum(probability.values()) < 1.0 + 1e-9  # the entries no word touches hold the rest
    assert model.discriminative.probability(features("good morning")) == {}
    assert all(0.0 <= s <= 1.0 for s in model.likeness(features("docker loss nan returns False")).similarity.values())


def test_each_entry_keeps_only_its_largest_weights() -> None:
    words = examples_fit.WEIGHTS_PER_ENTRY * 2
    many = [(frozenset(f"w{j}" for j in range(words)), f"e/{i % 2}") for i in range(4)]
    model = examples_fit.fit_discriminative(many)
    for entry in ("e/0", "e/1"):
        held = [t for t, posting in model.postings.items() if any(e == entry for e, _ in posting)]
        assert len(held) == examples_fit.WEIGHTS_PER_ENTRY
    assert model.classes == 2


_FIT_AND_DUMP = """
import sys
from pathlib import Path
from bot import examples_fit
from bot.matching import examples
from bot.matching.text import features
import tests.test_examples as t
examples.dump(examples_fit.fit_examples(t._neighbours()), Path(sys.argv[1]))
"""


def test_the_fit_is_the_same_under_every_hash_seed(tmp_path: Path) -> None:
    """Features are sets, whose order follows the interpreter's hash seed: the fitted file must not."""
    bodies = []
    for seed in ("1", "2"):
        path = tmp_path / f"examples-{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        root = Path(__file__).resolve().parent.parent
        subprocess.run([sys.executable, "-c", _FIT_AND_DUMP, str(path)], check=True, env=env, cwd=root, timeout=120)
        bodies.append(path.read_bytes())
    assert bodies[0] == bodies[1]


def test_the_discriminative_model_round_trips_through_its_file(tmp_path: Path) -> None:
    path = tmp_path / "examples.json"
    model = examples_fit.fit_examples(_neighbours())
    examples.dump(model, path)
    again = examples.load(path)
    query = features("in docker torch.cuda.is_available() returns False")
    assert again.likeness(query).similarity == pytest.approx(model.likeness(query).similarity, abs=1e-4)
    assert set(json.loads(path.read_text(encoding="utf-8"))["discriminative"]) == {"classes", "idf", "entries"}


_CENTROIDS = {"idf": {"a": 1.0}, "entries": {"e/x": {"a": 0.5}}}


@pytest.mark.parametrize(
    ("discriminative", "problem"),
    [
        ([], "discriminative must be an object"),
        ({"classes": 0, "idf": {}, "entries": {}}, "classes must be a positive whole number"),
        ({"classes": True, "idf": {}, "entries": {}}, "classes must be a positive whole number"),
        ({"classes": 2, "idf": {"a": float("nan")}, "entries": {}}, "discriminative idf of 'a'"),
        ({"classes": 2, "idf": {"a": 1.0}, "entries": {"e/x": {"b": 0.5}}}, "bad weight for 'b'"),
        ({"classes": 2, "idf": {"a": 1.0}, "entries": {"e/x": 3}}, "must map words to weights"),
        ({"classes": 1, "idf": {"a": 1.0}, "entries": {"e/x": {"a": 1}, "e/y": {"a": -1}}}, "2 entries have"),
        ({"classes": 2, "entries": {}}, "idf must map words"),
    ],
)
def test_a_malformed_discriminative_part_is_refused_on_one_line(discriminative: object, problem: str) -> None:
    with pytest.raises(examples.ExamplesError, match=problem) as caught:
        examples.parse({**_CENTROIDS, "discriminative": discriminative})
    assert "\n" not in str(caught.value)


def test_a_bundled_file_that_is_not_json_is_refused_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "examples.json"
    path.write_text('{"idf": {', encoding="utf-8")
    with pytest.raises(examples.ExamplesError, match="cannot read") as caught:
        examples.load(path)
    assert "\n" not in str(caught.value)


def test_the_bundled_model_has_its_discriminative_part() -> None:
    model = examples.default_examples()
    assert model.discriminative is not None
    assert model.discriminative.classes >= len(model.entries)


# -- in the ranking -------------------------------------------------------------------------------------


def _columns(n: int, **given: list[object]) -> dict[str, list[object]]:
    """`n` candidates of descriptions with no evidence at all, except the columns given."""
    return evidence_columns(n, given, {**NO_EVIDENCE, "description": True})


def test_examples_reorder_entries_but_never_add_to_the_score() -> None:
    columns = _columns(2, signature_coverage=[0.80, 0.82], example_probability=[0.5, 0.0])
    scores = ev.combine(evidence_rows(columns), W.scoring, W.selection, W.ranking)
    assert scores.score[1] > scores.score[0]  # the curated evidence alone prefers the second
    assert scores.rank[0] > scores.rank[1]  # the first reads like its examples: it ranks first
    plain = ev.combine(evidence_rows(dict(columns, example_probability=[0.0, 0.0])), W.scoring, W.selection, W.ranking)
    assert np.allclose(plain.score, scores.score)


def test_the_examples_count_on_the_log_odds_scale() -> None:
    # Twice as likely counts the same low down and high up; the last hundredths near 1 count for little.
    columns = _columns(4, example_probability=[0.02, 0.01, 0.98, 0.97])
    scores = ev.combine(evidence_rows(columns), W.scoring, W.selection, W.ranking, case_of=np.array([0, 0, 1, 1]))
    low, high = scores.reorder[0] - scores.reorder[1], scores.reorder[2] - scores.reorder[3]
    assert low > 0 and high > 0
    assert low > 20 * high


def test_an_entry_the_examples_say_nothing_of_gets_nothing_from_them() -> None:
    # A pack's entry has no examples: its 0 must not weigh as "unlikely" scaled down by the pack's lower trust, or
    # it would rank above a curated entry the examples found unlikely.
    columns = _columns(2, example_probability=[0.0, 0.0], pack=[False, True])
    scores = ev.combine(evidence_rows(columns), W.scoring, W.selection, W.ranking)
    assert scores.reorder.tolist() == [0.0, 0.0]


def test_an_error_report_is_ordered_by_its_score_alone() -> None:
    columns = _columns(2, signature_coverage=[0.80, 0.82], example_probability=[0.5, 0.0], description=[False, False])
    scores = ev.combine(evidence_rows(columns), W.scoring, W.selection, W.ranking)
    assert not scores.described.any() and not scores.reorder.any()
    assert np.array_equal(scores.rank, scores.score)


def test_the_ranking_adds_each_weight_times_its_evidence_to_the_capped_score() -> None:
    r = W.ranking
    values: dict[str, list[object]] = {
        "example_probability": [0.49], "symptom_coverage": [0.3], "explained_share": [0.6], "symptom_likeness": [0.2],
        "symptom_entry": [True], "library_hint": [True],
    }  # fmt: skip
    columns = _columns(1, **values)
    scores = ev.combine(evidence_rows(columns), W.scoring, W.selection, W.ranking)
    added = (
        r.examples * math.log(1 + 0.49 / r.examples_floor) + r.symptom_coverage * 0.3
        + r.explained_share * 0.6 + r.symptom_likeness * 0.2 + r.symptom_entry + r.library_hint
    )  # fmt: skip
    assert scores.reorder[0] == pytest.approx(added)
    assert scores.rank[0] == pytest.approx(min(scores.score[0], 1.0) + added)


def test_examples_have_no_say_in_a_message_that_is_a_pack_signature_pasted() -> None:
    # Rows 0-1 are one message, rows 2-3 another. In the first, the pack entry (row 1) is pasted word for word:
    # the curated neighbour's examples must not lift it over the pack entry. The second keeps its examples.
    columns = _columns(
        4,
        signature_coverage=[0.80, 0.82, 0.80, 0.82],
        exact_signature=[False, True, False, False],
        pack=[False, True, False, False],
        example_probability=[0.5, 0.0, 0.5, 0.0],
    )
    evidence = evidence_rows(columns)
    scores = ev.combine(evidence, W.scoring, W.selection, W.ranking, case_of=np.array([0, 0, 1, 1]))
    assert scores.reorder.tolist()[:2] == [0.0, 0.0] and scores.reorder[2] > 0
    assert np.array_equal(scores.rank[:2], scores.score[:2])
    one_message = ev.combine(evidence, W.scoring, W.selection, W.ranking)  # one message's rows: none reordered
    assert not one_message.reorder.any()


def test_a_description_that_holds_a_pack_signature_whole_is_ordered_by_its_score() -> None:
    # No error line was found (no exception name), but the pack's signature is in the message whole: a paste.
    columns = _columns(
        2, signature_similarity=[0.0, 0.97], symptom_coverage=[0.6, 0.0], pack=[False, True], explained_share=[0.9, 0.0]
    )
    scores = ev.combine(evidence_rows(columns), W.scoring, W.selection, W.ranking)
    assert not scores.described.any()
    assert np.array_equal(scores.rank, scores.score)


def test_the_example_models_read_single_words_not_word_pairs() -> None:
    feats = features("the loss becomes nan")
    assert any(" " in f for f in feats)  # the matcher's own features hold pairs
    assert examples.example_words(feats) == frozenset(f for f in feats if " " not in f)
    model = examples_fit.fit_examples([(feats, "demo/loss-nan"), (features("shape does not fit"), "demo/shape")])
    assert not any(" " in t for t in model.idf)
    assert model.discriminative is not None and not any(" " in t for t in model.discriminative.idf)


def test_the_matcher_uses_examples_for_descriptions_only() -> None:
    base = Engine.load([FIXTURES / "kb"])
    leaning = examples.fit([(features("loss nan epochs width linear layer"), "demo/shape-mismatch")] * 3)
    matcher = Matcher(base.indexes, None, base.matcher.weights, base.matcher.talk, leaning)
    described = matcher.assess("my loss is nan after some epochs, the linear layer looks fine")
    pasted = matcher.assess("RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)")
    assert described.evidence.example_similarity.max() > 0
    assert pasted.evidence.example_similarity.max() == 0.0  # signatures and patterns name an error exactly
    assert pasted.evidence.example_probability.max() == 0.0


def test_a_description_lists_candidates_from_a_lower_score_than_an_error_report() -> None:
    d = W.decisions
    between = (d.minimum_symptom_score + d.minimum_score) / 2
    assert d.minimum_symptom_score < d.minimum_score
    scores = ev.Scores(
        score=np.array([between, between, d.minimum_symptom_score / 2]),
        via=np.zeros(3, dtype=np.int64),
        reorder=np.zeros(3),
        described=np.array([True, False, True]),
        trust=np.ones(3),
    )
    assert scores.listed(d).tolist() == [True, False, False]


def _floors(minimum: float, described: float) -> Matcher:
    base = Engine.load([FIXTURES / "kb"])
    decisions = replace(W.decisions, minimum_score=minimum, minimum_symptom_score=described)
    return Matcher(base.indexes, None, replace(W, decisions=decisions), base.matcher.talk, base.matcher.examples)


def test_the_matcher_lists_a_descriptions_candidates_and_an_error_reports_from_their_own_floors() -> None:
    description = "gradients are odd"  # demo/loss-nan scores 0.59 against the fixture entries
    report = "RuntimeError: the loss explodes"  # an error report: demo/loss-nan scores 0.56
    assert "demo/loss-nan" in {m.entry.id for m in _floors(0.5, 0.55).rank(description).matches}
    assert not _floors(0.5, 0.65).rank(description).matches
    assert "demo/loss-nan" in {m.entry.id for m in _floors(0.5, 0.65).rank(report).matches}
    assert "demo/loss-nan" not in {m.entry.id for m in _floors(0.6, 0.5).rank(report).matches}


# -- in tune ---------------------------------------------------------------------------------------------


def test_tune_gives_each_training_case_examples_fitted_without_it(tmp_path: Path) -> None:
    engine = Engine.load([FIXTURES / "kb"])
    words = ["suddenly", "training", "validation", "fp16", "adam", "warmup", "gradient", "batch", "clip", "scaler"]
    rows = [
        {"text": f"my loss goes nan {w} {words[n - 1]}", "expected": "demo/loss-nan", "kind": "symptom",
         "source": f"s{n}"}
        for n, w in enumerate(words)
    ]  # fmt: skip
    # A second entry, so the discriminative model has something to tell the first from.
    rows += [
        {"text": f"pip cannot build the wheel {w}", "expected": "demo/pip-wheel", "kind": "symptom", "source": f"p{n}"}
        for n, w in enumerate(words)
    ]
    path = write_corpus(tmp_path, rows)
    cases, _ = tune.load_corpus(path, {e.id for e in engine.kb.entries})
    m = tune.measure(engine, cases)
    tokens = [frozenset[str]() for _ in cases]
    train = np.arange(len(cases))
    stacked, _ = tune.stacked(m, tokens, tune.talk_labels(cases), frozenset(), (), (), train, train[:0], 5, 1)
    inner = tune.folds(cases, 5, 2)  # the inner folds `stacked` draws for seed 1
    part = next(p for p in inner if 0 in p.tolist())
    without_it = tune.fit_examples(m, np.setdiff1d(train, part))
    with_it = tune.fit_examples(m, train)
    first = int(m.row_start[0]) + [e.id for e in m.assessments[0].entries].index("demo/loss-nan")
    own = m.assessments[0].features
    assert stacked.evidence.example_similarity[first] == pytest.approx(
        without_it.likeness(own).similarity["demo/loss-nan"]
    )
    probability = without_it.likeness(own).probability["demo/loss-nan"]
    assert stacked.evidence.example_probability[first] == pytest.approx(probability)
    assert without_it.likeness(own).similarity["demo/loss-nan"] != pytest.approx(
        with_it.likeness(own).similarity["demo/loss-nan"]
    )


def test_stacked_reads_talk_odds_only_for_the_cases_each_model_is_applied_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine.load([FIXTURES / "kb"])
    rows = [
        {"text": f"my loss goes nan at step {n}", "expected": "demo/loss-nan", "kind": "symptom", "source": f"s{n}"}
        for n in range(12)
    ]
    path = write_corpus(tmp_path, rows)
    cases, _ = tune.load_corpus(path, {e.id for e in engine.kb.entries})
    m = tune.measure(engine, cases)
    tokens = [frozenset({f"step {n}"}) for n in range(len(cases))]
    read: list[int] = []

    def counted(model: TalkWords, some: Sequence[frozenset[str]]) -> FloatArray:
        read.append(len(some))
        return talk_logits(model, some)

    monkeypatch.setattr(tune, "talk_logits", counted)
    train, test = np.arange(9), np.arange(9, 12)
    tune.stacked(m, tokens, tune.talk_labels(cases), frozenset(), (), (), train, test, 3, 1)
    assert sum(read) == len(cases)  # each case once, by the one model that never saw it
