"""Normalisation runs a mask's search only on text that holds what the mask needs.

Every query normalises its compared lines (twice for close signatures), and the index normalises every
signature: a mask searched over text that cannot hold its construct (a URL mask over a line without
`://`) is work that changes nothing. These tests pin the skipping by counting searches, not by time.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import bot.matching.normalize as normalize_module
from bot.matching.normalize import normalize

MAT1 = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x2048 and 512x10)"


class _CountingPattern:
    def __init__(self, pattern: re.Pattern[str], counts: dict[str, int]) -> None:
        self._pattern = pattern
        self._counts = counts

    def sub(self, *args: Any, **kwargs: Any) -> Any:
        self._counts[self._pattern.pattern] = self._counts.get(self._pattern.pattern, 0) + 1
        return self._pattern.sub(*args, **kwargs)


def _searches(monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, int]:
    """Which masks searched the text while it was normalised, by pattern."""
    counts: dict[str, int] = {}
    masks = tuple((_CountingPattern(m[0], counts), *m[1:]) for m in normalize_module._MASKS)
    monkeypatch.setattr(normalize_module, "_MASKS", masks)
    monkeypatch.setattr(normalize_module, "_QUOTED", (_CountingPattern(normalize_module._QUOTED[0], counts),
                                                      *normalize_module._QUOTED[1:]))  # fmt: skip
    normalize(text)
    monkeypatch.undo()
    return counts


def _mask_pattern(placeholder: str, sample: str) -> str:
    """The pattern of the mask that turns `sample` into `placeholder`."""
    return next(m[0].pattern for m in normalize_module._MASKS if m[1].strip() == placeholder and m[0].search(sample))


@pytest.mark.parametrize(
    ("placeholder", "sample"),
    [
        ("_url_", "https://example.org/x"),
        ("_path_", "/home/u/x"),
        ("_hex_", "0x7f3a"),
        ("_shape_", "torch.Size([16, 1])"),
        ("_shape_", "[64, 3]"),
        ("_ver_", "1.26.4"),
        ("_file_", "train.py"),
    ],
)
def test_a_mask_does_not_search_text_without_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, placeholder: str, sample: str
) -> None:
    assert _searches(monkeypatch, MAT1).get(_mask_pattern(placeholder, sample), 0) == 0


def test_quoted_names_are_not_searched_for_without_a_quote(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _searches(monkeypatch, MAT1).get(normalize_module._QUOTED[0].pattern, 0) == 0


def test_a_mask_still_searches_text_that_holds_its_construct(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "see https://pytorch.org/docs in /home/u/train.py for torch 2.13.0 at 0x7f: 'x' [64, 3] torch.Size([2])"
        " (64, 3) 64x3 2 GiB cuda:0"
    )
    masked = "see _url_ in _path_ for torch _ver_ at _hex_ _q_ _shape_ _shape_ _shape_ _shape_ _size_ _device_"
    assert normalize(text) == masked
    assert len(_searches(monkeypatch, text)) == len({m[0].pattern for m in normalize_module._MASKS}) + 1
