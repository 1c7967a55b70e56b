"""The entries' track records: counting them, reading them as log-odds, their file, and how the matcher and tune
use them."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot import tune
from bot.engine import Engine
from bot.matching import records
from bot.matching.matcher import Matcher
from bot.matching.records import Tally, TrackRecords
from bot.matching.weights import CALIBRATION_FEATURES, WEIGHTS_FILE, Calibration, default_weights
from tests.conftest import write_corpus

FIXTURES = Path(__file__).parent / "fixtures"
W = default_weights()


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_records_count_each_entry_apart_for_reports_and_descriptions() -> None:
    counted = records.count(
        [("a/x", False, True), ("a/x", False, False), ("a/x", True, True), ("b/y", False, True), ("a/x", False, True)]
    )
    assert counted.reports == {"a/x": Tally(2, 3), "b/y": Tally(1, 1)}
    assert counted.descriptions == {"a/x": Tally(1, 1)}
    assert counted.share_right(False) == pytest.approx(3 / 4)
    assert counted.share_right(True) == 1.0


def test_a_record_reads_as_log_odds_against_the_average_entry_shrunk_by_the_prior_cases() -> None:
    # Reports: a/x right 18 of 20, b/y 2 of 20; all entries 20 of 40, an even share.
    r = TrackRecords(reports={"a/x": Tally(18, 20), "b/y": Tally(2, 20)})
    assert r.share_right(False) == pytest.approx(0.5)
    assert r.lift("a/x", False, 0.0) == pytest.approx(_logit(0.9))
    assert r.lift("b/y", False, 0.0) == pytest.approx(_logit(0.1))
    # Ten average messages added: (18 + 5) / 30.
    assert r.lift("a/x", False, 10.0) == pytest.approx(_logit(23 / 30))
    assert 0 < r.lift("a/x", False, 100.0) < r.lift("a/x", False, 10.0)  # the more prior, the nearer to 0


def test_an_entry_without_a_record_of_that_kind_gets_nothing_from_it() -> None:
    r = TrackRecords(reports={"a/x": Tally(18, 20), "b/y": Tally(2, 20)})
    assert r.lift("pack/unknown", False, 10.0) == 0.0  # a pack's or a new entry's
    assert r.lift("a/x", True, 10.0) == 0.0  # no descriptions were ranked at all
    assert TrackRecords().lift("a/x", False, 10.0) == 0.0


def test_a_share_of_one_is_held_off_the_edge() -> None:
    r = TrackRecords(reports={"a/x": Tally(5, 5), "b/y": Tally(0, 5)})
    assert math.isfinite(r.lift("a/x", False, 0.0)) and math.isfinite(r.lift("b/y", False, 0.0))


def test_a_training_case_reads_its_entrys_record_without_its_own_outcome() -> None:
    r = TrackRecords(reports={"a/x": Tally(3, 4), "b/y": Tally(1, 4)})
    without_right = TrackRecords(reports={"a/x": Tally(2, 3), "b/y": Tally(1, 4)})
    without_wrong = TrackRecords(reports={"a/x": Tally(3, 3), "b/y": Tally(1, 4)})
    # The prior stays the whole tally's share: one case moves its own entry's record, not the average.
    expected_right = (2 + 10 * 0.5) / (3 + 10)
    assert r.lift("a/x", False, 10.0, own=True) == pytest.approx(_logit(expected_right) - _logit(0.5))
    assert r.lift("a/x", False, 10.0, own=False) == pytest.approx(_logit((3 + 5) / 13) - _logit(0.5))
    assert without_right.tally("a/x", False) == r.tally("a/x", False).without(True)
    assert without_wrong.tally("a/x", False) == r.tally("a/x", False).without(False)


def test_records_survive_their_file(tmp_path: Path) -> None:
    r = records.count([("a/x", False, True), ("a/x", True, False), ("b/y", False, False)])
    path = tmp_path / "records.json"
    records.dump(r, path)
    assert records.load(path) == r
    assert "no message text" in json.loads(path.read_text(encoding="utf-8"))["about"]


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"reports": {}}',
        '{"reports": {"a/x": [3, 2]}, "descriptions": {}}',
        '{"reports": {"a/x": [1]}, "descriptions": {}}',
        '{"reports": {"a/x": [true, 2]}, "descriptions": {}}',
        '{"reports": {"a/x": [1.5, 2]}, "descriptions": {}}',
        '{"reports": {}, "descriptions": {"a/x": [-1, 2]}}',
        "not json",
    ],
)
def test_a_malformed_records_file_is_one_clear_error(tmp_path: Path, body: str) -> None:
    path = tmp_path / "records.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(records.RecordsError) as raised:
        records.load(path)
    assert "\n" not in str(raised.value) and str(raised.value).startswith("records:")


def test_the_bundled_records_load_and_name_only_known_entries() -> None:
    bundled = records.default_records()
    known = {e.id for e in Engine.load().kb.entries}
    assert bundled.reports and bundled.descriptions
    assert set(bundled.reports) | set(bundled.descriptions) <= known
    assert 0.0 < bundled.share_right(False) < 1.0 and 0.0 < bundled.share_right(True) < 1.0


# -- in the matcher -----------------------------------------------------------------------------------


def _leaning_on_records(base: Engine, r: TrackRecords) -> Matcher:
    """A matcher whose calibration reads nothing but the record (coefficient 1, intercept 0)."""
    coefficients = tuple(1.0 if f == "record" else 0.0 for f in CALIBRATION_FEATURES)
    weights = replace(base.matcher.weights, calibration=Calibration(0.0, coefficients))
    return Matcher(base.indexes, None, weights, base.matcher.talk, base.matcher.examples, r)


def test_the_matcher_reads_the_best_matchs_record_for_the_kind_of_message() -> None:
    base = Engine.load([FIXTURES / "kb"])
    paste = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)"
    good = TrackRecords(reports={"demo/shape-mismatch": Tally(9, 10), "demo/loss-nan": Tally(1, 10)})
    bad = TrackRecords(reports={"demo/shape-mismatch": Tally(1, 10), "demo/loss-nan": Tally(9, 10)})
    prior = W.records.prior_cases
    for r in (good, bad):
        result = _leaning_on_records(base, r).rank(paste)
        assert result.best is not None and result.best.entry.id == "demo/shape-mismatch"
        lift = r.lift("demo/shape-mismatch", False, prior)
        assert result.best.probability == pytest.approx(1 / (1 + math.exp(-lift)), abs=1e-4)
    # The same entry's description record does not count for a paste.
    described_only = TrackRecords(descriptions={"demo/shape-mismatch": Tally(1, 10), "demo/loss-nan": Tally(9, 10)})
    result = _leaning_on_records(base, described_only).rank(paste)
    assert result.best is not None and result.best.probability == pytest.approx(0.5)


# -- in tune ------------------------------------------------------------------------------------------


def _corpus(tmp_path: Path) -> Path:
    rows: list[dict[str, str | None]] = []
    for n in range(8):
        rows.append({"text": f"RuntimeError: mat1 and mat2 shapes cannot be multiplied ({n + 2}x4096 and 512x3)",
                     "expected": "demo/shape-mismatch", "kind": "error-line", "source": f"own:shape/{n}"})  # fmt: skip
        rows.append({"text": f"my loss becomes nan after {n + 2} epochs", "expected": "demo/loss-nan",
                     "kind": "symptom", "source": f"own:nan/{n}"})  # fmt: skip
        quoted = f"RuntimeError: mat1 and mat2 shapes cannot be multiplied ({n + 2}x4096 and 512x3)"
        rows.append({"text": f"you get {quoted} when the widths differ, that is all it means", "expected": None,
                     "kind": "chat", "source": f"own:chat/{n}"})  # fmt: skip
    return write_corpus(tmp_path, rows)


def test_tune_counts_records_on_the_training_cases_and_reads_each_without_its_own_outcome(tmp_path: Path) -> None:
    engine = Engine.load([FIXTURES / "kb"])
    cases, _ = tune.load_corpus(_corpus(tmp_path), {e.id for e in engine.kb.entries})
    m = tune.measure(engine, cases)
    train = np.arange(0, 18)
    fitted, counted = tune._fit(m, W, train, False)
    ranked, outcomes = tune._rank(m, fitted, None, None, None)
    assert counted == tune.track_records(outcomes, train)
    firsts = sum(t.first for t in (*counted.reports.values(), *counted.descriptions.values()))
    assert firsts == int(ranked.has_match[train].sum())  # every training case with a match, no other
    column = CALIBRATION_FEATURES.index("record")
    own = np.zeros(len(cases), dtype=np.bool_)
    own[train] = True
    read = tune.rank_all(m, fitted, None, counted, own).features[:, column]
    prior = W.records.prior_cases
    for c in range(len(cases)):
        outcome = outcomes[c]
        if outcome is None:
            continue
        entry, described, right = outcome
        mine = right if c in train else None
        assert read[c] == pytest.approx(counted.lift(entry, described, prior, mine))
    # The shape-mismatch entry is right for every paste and wrong for every thanks that quotes it: a training
    # paste's record is its entry's without it, so it reads lower than a held-out paste's.
    paste_in, paste_out = 0, 18
    assert cases[paste_in].kind == cases[paste_out].kind == "error-line"
    assert read[paste_in] < read[paste_out]


def test_tune_writes_the_records_it_counted(tmp_path: Path) -> None:
    engine = Engine.load([FIXTURES / "kb"])
    cases, _ = tune.load_corpus(_corpus(tmp_path), {e.id for e in engine.kb.entries})
    result = tune.tune(engine, cases, W, k=3)
    total = sum(t.first for t in (*result.records.reports.values(), *result.records.descriptions.values()))
    assert 0 < total <= len(cases)
    out = tmp_path / "out"
    out.mkdir()
    table = out / "weights.toml"
    table.write_bytes(WEIGHTS_FILE.read_bytes())
    tune.write(result, path=table, talk_path=out / "talk.json", examples_path=out / "examples.json",
               records_path=out / "records.json")  # fmt: skip
    assert records.load(out / "records.json") == result.records
