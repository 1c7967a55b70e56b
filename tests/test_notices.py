"""The notices tools print beside an error are not the asker's words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.notices import drop_notices

# What Colab prints under every failed import, between two rules of dashes.
RULE = "-" * 75
COLAB_NOTE = f"""
{RULE}
NOTE: If your import is failing due to a missing package, you can
manually install dependencies using either !pip or !apt.

To view examples of installing some common dependencies, click the
"Open Examples" button below.
{RULE}
"""
PIP_NOTICE = """
[notice] A new release of pip is available: 23.0.1 -> 24.0
[notice] To update, run: python.exe -m pip install --upgrade pip
"""


def test_colabs_note_is_no_prose_of_the_askers(real_traceback: Callable[[str], str]) -> None:
    printed = real_traceback("import no_such_module_for_knownfix_tests\n")
    plain = extract("I get this in colab:\n" + printed)
    noted = extract("I get this in colab:\n" + printed + COLAB_NOTE)
    assert noted.error_lines == plain.error_lines and noted.frames == plain.frames
    assert noted.prose == plain.prose == "I get this in colab:"


def test_a_note_cut_short_loses_the_lines_it_has() -> None:
    cut = "\n".join(COLAB_NOTE.strip().split("\n")[:4])  # a paste that stops inside the note
    assert cut.split("\n")[0] == RULE and cut.split("\n")[-1] == ""
    assert (
        drop_notices("ModuleNotFoundError: No module named 'x'\n" + cut) == "ModuleNotFoundError: No module named 'x'\n"
    )


def test_pips_upgrade_notice_is_dropped() -> None:
    error = "ERROR: No matching distribution found for torch==1.8.0"
    assert drop_notices(error + "\n" + PIP_NOTICE) == error + "\n\n"


@pytest.mark.parametrize(
    "text",
    [
        "you can manually install dependencies using either !pip or !apt.",  # the note's words without its first line
        "NOTE: If your import is failing, check the spelling",
        "a [notice]board of errors",
        "",
    ],
)
def test_text_without_a_notice_is_left_alone(text: str) -> None:
    assert drop_notices(text) is text


def test_a_colab_paste_is_answered_as_the_traceback_without_its_note(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    printed = real_traceback("import no_such_module_for_knownfix_tests\n")
    plain = bundled_engine.match(printed)
    noted = bundled_engine.match(printed + COLAB_NOTE)
    assert plain.best is not None and noted.best is not None
    assert noted.best.entry.id == plain.best.entry.id == "python/module-not-found"
    assert noted.best.probability == pytest.approx(plain.best.probability, abs=0.02)
