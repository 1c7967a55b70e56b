"""The notices tools print beside an error are not the asker's words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.notices import drop_notices, without_advice

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


# What PyTorch 2.x prints after a CUDA error's message, and PyTorch 1.x's wording of the first two sentences.
CUDA_ADVICE = (
    "CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be"
    " incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1\n"
    "Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.\n"
)
CUDA_ADVICE_1X = (
    "CUDA kernel errors might be asynchronously reported at some other API call,so the stacktrace below might be"
    " incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1.\n"
)
ILLEGAL_INSTRUCTION = "RuntimeError: CUDA error: an illegal instruction was encountered\n"


@pytest.mark.parametrize("advice", [CUDA_ADVICE, CUDA_ADVICE_1X])
def test_pytorchs_advice_after_a_cuda_error_is_dropped(advice: str) -> None:
    assert drop_notices(ILLEGAL_INSTRUCTION + advice + "why does this happen?") == (
        ILLEGAL_INSTRUCTION + "why does this happen?"
    )


def test_the_advice_goes_from_a_line_it_shares_and_with_the_prefix_it_leaves_alone() -> None:
    joined = ILLEGAL_INSTRUCTION.strip() + " " + CUDA_ADVICE.replace("\n", " ")
    assert drop_notices(joined) == ILLEGAL_INSTRUCTION.strip()
    prefixed = "".join(f"[rank0]: {line}\n" for line in (ILLEGAL_INSTRUCTION + CUDA_ADVICE).splitlines())
    assert drop_notices(prefixed) == "[rank0]: " + ILLEGAL_INSTRUCTION


def test_a_signature_is_compared_without_the_advice() -> None:
    signature = "RuntimeError: CUDA error: device-side assert triggered " + CUDA_ADVICE.replace("\n", " ")
    assert without_advice(signature) == "RuntimeError: CUDA error: device-side assert triggered"
    assert without_advice("RuntimeError: CUDA error: out of memory") == "RuntimeError: CUDA error: out of memory"


def test_a_cuda_error_with_the_advice_reads_as_without_it(bundled_engine: Engine) -> None:
    (line,) = extract(ILLEGAL_INSTRUCTION + CUDA_ADVICE).error_lines
    assert line.detail == ILLEGAL_INSTRUCTION.strip()
    plain = bundled_engine.match(ILLEGAL_INSTRUCTION)
    advised = bundled_engine.match(ILLEGAL_INSTRUCTION + CUDA_ADVICE)
    assert plain.best is not None and advised.best is not None
    assert advised.best.entry.id == plain.best.entry.id == "cuda/illegal-instruction"
    assert advised.best.probability == pytest.approx(plain.best.probability, abs=0.02)
    # The advice's "device-side assertions" no longer brings the device-side assert entry near.
    assert "cuda/device-side-assert" not in [m.entry.id for m in advised.matches[:2]]


def test_no_signature_in_the_index_holds_the_advice(bundled_engine: Engine) -> None:
    for ix in bundled_engine.indexes:
        assert not any("asynchronously" in text or "_dsa" in text for text in ix.signature_texts)
