from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.matching.matcher import Confidence


def test_traceback_with_other_shapes_matches_with_high_confidence(demo_engine: Engine) -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/home/u/train.py", line 9, in <module>\n'
        "    out = model(x)\n"
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)\n"
    )
    result = demo_engine.match(text)
    assert result.best is not None
    assert result.best.entry.id == "demo/shape-mismatch"
    assert result.best.confidence is Confidence.HIGH
    assert result.reply


def test_old_wording_of_the_same_error_matches(demo_engine: Engine) -> None:
    result = demo_engine.match("RuntimeError: size mismatch, m1: [32 x 100], m2: [200 x 10] at /pytorch/aten/src/TH")
    assert result.best is not None and result.best.entry.id == "demo/shape-mismatch"


def test_symptom_description_without_traceback_matches(demo_engine: Engine) -> None:
    result = demo_engine.match("after 3 epochs my training loss just explodes and turns into NaN, what gives?")
    assert result.best is not None and result.best.entry.id == "demo/loss-nan"


def test_console_output_matches(demo_engine: Engine) -> None:
    text = "  Building wheel for tokenizers ... error\nERROR: Failed building wheel for tokenizers\n"
    result = demo_engine.match(text)
    assert result.best is not None and result.best.entry.id == "demo/pip-wheel"
    assert result.reply


@pytest.mark.parametrize(
    "chat",
    [
        "good morning everyone!",
        "thanks a lot, that worked",
        "does anyone have a good tutorial on transformers?",
        "I trained for 10 epochs, loss went from 2.3 to 0.4, looks fine",
    ],
)
def test_chat_gets_no_passive_reply(demo_engine: Engine, chat: str) -> None:
    assert not demo_engine.match(chat).reply


def test_uncovered_error_gets_no_passive_reply(demo_engine: Engine, real_traceback: Callable[[str], str]) -> None:
    text = real_traceback("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n")
    assert "ConnectionRefusedError" in text
    result = demo_engine.match(text)
    assert not result.reply


def test_exception_type_agreement_breaks_ties(demo_engine: Engine) -> None:
    result = demo_engine.match("ModuleNotFoundError: No module named 'transformers'")
    assert result.best is not None and result.best.entry.id == "demo/module-not-found"
    assert result.reply


def test_ranking_is_ordered_and_bounded(demo_engine: Engine) -> None:
    result = demo_engine.match("my loss becomes nan and python cannot find the package", top=3)
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(result.matches) <= 3


@pytest.mark.parametrize(
    "hostile",
    [
        "@everyone " * 100_000,
        "a" * 5_000_000,
        "(" * 200_000 + "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x2 and 3x4)",
        "\x00\x01\x02" * 100_000,
        "Traceback (most recent call last):\n" * 50_000,
    ],
)
def test_hostile_input_returns_an_answer(demo_engine: Engine, hostile: str) -> None:
    result = demo_engine.match(hostile)
    assert result.report.truncated or len(hostile) <= 1_000_000


def test_empty_knowledge_base_matches_nothing(tmp_path: object) -> None:
    engine = Engine.load([str(tmp_path)])
    result = engine.match("RuntimeError: anything")
    assert result.matches == () and not result.reply
