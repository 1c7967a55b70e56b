"""Issue 10 upkeep: three of the entries added this round were broad enough to take other entries' reports.

Each wording here belongs to an older entry that one of the new entries outranked: a call on the class that
misses 'self' (the generic missing-argument pattern took it), a 401 from the Hub (a 429 signature whose URL
words matched any Hub error), and a plot that never shows (a short CJK phrasing that was mostly 'matplotlib').
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

OWNED_BY_AN_OLDER_ENTRY = [
    ("TypeError: run() missing 1 required positional argument: 'self'", "python/missing-self-argument"),
]


@pytest.mark.parametrize(("wording", "entry_id"), OWNED_BY_AN_OLDER_ENTRY)
def test_a_new_entry_leaves_an_older_entrys_report_to_it(bundled_engine: Engine, wording: str, entry_id: str) -> None:
    result = bundled_engine.match(wording, top=3)
    assert result.best is not None
    assert result.best.entry.id == entry_id


def test_a_plot_that_never_shows_is_not_a_missing_cjk_glyph(bundled_engine: Engine) -> None:
    result = bundled_engine.match("I can't show any plot with matplotlib when I run python in wsl", top=3)
    assert result.best is not None
    assert result.best.entry.id != "matplotlib/cjk-glyph-missing"


def test_an_unauthorized_hub_download_is_not_a_rate_limit(bundled_engine: Engine) -> None:
    paste = (
        "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: "
        "https://huggingface.co/meta-llama/Llama-2-7b-hf/resolve/main/config.json"
    )
    result = bundled_engine.match(paste, top=3)
    assert result.best is not None
    assert result.best.entry.id != "huggingface-hub/too-many-requests"
