"""An error named inside a sentence written in Chinese, Japanese or Korean, which puts no space around it."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.matching.extract import extract

from .conftest import run_python

# A real error line, taken from what the script below prints.
FAILING_SCRIPT = "import torch\ntorch.zeros(4, 3) @ torch.zeros(5, 2)\n"


@pytest.fixture(scope="module")
def shapes_error(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The script's error line, run once for the module (importing torch takes seconds)."""
    return run_python(FAILING_SCRIPT, tmp_path_factory.mktemp("cjk")).rstrip("\n").split("\n")[-1]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("运行的时候报错", "，请问怎么解决？"),  # a full-width comma ends the error
        ("会经常出现", " 这个问题"),  # a space, then the sentence goes on
        ("実行すると", "というエラーが出ます"),  # Japanese, glued on both sides
        ("실행하면 ", "오류가 납니다"),  # Korean after a space
        ("【", "】"),  # brackets of CJK punctuation
    ],
)
def test_an_error_glued_into_a_cjk_sentence_is_its_error_line_and_the_rest_is_prose(
    shapes_error: str, before: str, after: str
) -> None:
    error = shapes_error
    assert error.startswith("RuntimeError: mat1 and mat2 shapes cannot be multiplied")
    report = extract(before + error + after)
    assert [e.text for e in report.error_lines] == [error]
    assert report.error_lines[0].detail == error  # the sentence is not the error's continuation
    assert before.strip(" 【") in report.prose or not before.strip(" 【")
    assert after.strip(" 】，？") in report.prose


@pytest.mark.parametrize(
    "error",
    [
        "PermissionError: [WinError 5] 拒绝访问。",  # printed in a Chinese locale: the CJK text is the message
        "OSError: [WinError 126] 找不到指定的模块。",
        "FileNotFoundError: [Errno 2] No such file or directory: '数据.csv'",  # a name quoted at the line's end
        # English from Python, then Windows' own words after the colon, in the machine's language
        "ImportError: DLL load failed: 找不到指定的模块。",
        "ImportError: DLL load failed: 지정된 프로시저를 찾을 수 없습니다.",
        "ImportError: DLL load failed while importing _multiarray_umath: 指定されたモジュールが見つかりません。",
    ],
)
def test_a_message_printed_in_a_cjk_locale_keeps_its_words(error: str) -> None:
    assert [e.text for e in extract("报错" + error).error_lines] == [error]
    assert [e.text for e in extract(error).error_lines] == [error]


def test_a_sentence_after_a_localized_message_is_still_prose() -> None:
    """The machine's message after the colon ends at its full stop; the writer's question after it is prose."""
    report = extract("ImportError: DLL load failed: 找不到指定的模块。 请问怎么解决")
    assert [e.text for e in report.error_lines] == ["ImportError: DLL load failed: 找不到指定的模块。"]
    assert "请问怎么解决" in report.prose


def test_the_sentence_after_a_quoted_cjk_name_is_still_prose() -> None:
    report = extract("报错FileNotFoundError: [Errno 2] No such file or directory: '数据.csv'，文件明明在")
    assert [e.text for e in report.error_lines] == [
        "FileNotFoundError: [Errno 2] No such file or directory: '数据.csv'"
    ]
    assert "文件明明在" in report.prose


def test_a_glued_error_is_answered_as_the_bare_line(bundled_engine: Engine, shapes_error: str) -> None:
    error = shapes_error
    glued = bundled_engine.match("训练时报错" + error + "，这是什么原因？")
    assert glued.best is not None and glued.best.entry.id == "pytorch/mat1-mat2-shape-mismatch"
    assert glued.report.error_lines[0].text == error
