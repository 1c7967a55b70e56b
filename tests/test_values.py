"""Values read from files: a `true` where a number belongs, a file that is not text."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.matching.talk import TalkWordsError, load_talk_words
from bot.matching.weights import WEIGHTS_FILE, WeightsError, load
from bot.values import is_number, read_json


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (1, True),
        (0.5, True),
        (10**400, True),
        (True, False),
        ("1", False),
        (None, False),
        (math.nan, False),
        (-math.inf, False),
    ],
)
def test_a_number_is_a_finite_int_or_float_and_never_a_bool(value: object, number: bool) -> None:
    assert is_number(value) is number


@pytest.mark.parametrize("item", ["word_check = { value = ", "score = { value = "])
def test_a_true_in_place_of_a_weight_is_refused(tmp_path: Path, item: str) -> None:
    # TOML's `true` is an int to Python; a scoring weight or a calibration coefficient written as one is a typo.
    text = WEIGHTS_FILE.read_text(encoding="utf-8")
    start = text.index(item) + len(item)
    broken = tmp_path / "weights.toml"
    broken.write_text(text[:start] + "true" + text[text.index(",", start) :], encoding="utf-8")
    with pytest.raises(WeightsError, match=item.split()[0]):
        load(broken)


@pytest.mark.parametrize("content", [b"{not json", b'{"a": "\xff"}'])
def test_an_unreadable_json_file_is_one_line_naming_it(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "model.json"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=r"^a model: cannot read .*model\.json") as caught:
        read_json(bad, ValueError, "a model")
    assert "\n" not in str(caught.value)
    with pytest.raises(ValueError, match="cannot read"):
        read_json(tmp_path / "missing.json", ValueError, "a model")


def test_a_nan_in_a_model_file_is_refused(tmp_path: Path) -> None:
    # Python's json reads NaN; a NaN weight would compare false with everything and pass every check after it.
    bad = tmp_path / "talk_words.json"
    bad.write_text('{"intercept": 0.0, "weights": {"you": NaN}}', encoding="utf-8")
    with pytest.raises(TalkWordsError, match="'you'"):
        load_talk_words(bad)
