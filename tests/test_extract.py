from __future__ import annotations

from collections.abc import Callable

from bot.matching.extract import MAX_CHARS, extract


def test_a_real_traceback_gives_type_message_frames_and_library(real_traceback: Callable[[str], str]) -> None:
    text = real_traceback(
        """
        import json
        def load(s):
            return json.loads(s)
        load("")
        """
    )
    report = extract(text)
    assert report.has_traceback
    assert report.error_lines[-1].exception == "json.decoder.JSONDecodeError"
    assert report.error_lines[-1].exception_name == "JSONDecodeError"
    assert report.error_lines[-1].message.startswith("Expecting value")
    assert any(path.endswith("script.py") for path in report.frames)
    assert any("json" in path for path in report.frames)


def test_chained_exceptions_are_all_found(real_traceback: Callable[[str], str]) -> None:
    text = real_traceback(
        """
        config = {}
        try:
            config["lr"]
        except KeyError as exc:
            raise ValueError("learning rate missing from config") from exc
        """
    )
    report = extract(text)
    names = [line.exception for line in report.error_lines]
    assert names == ["KeyError", "ValueError"]
    assert report.error_lines[-1].message == "learning rate missing from config"


def test_several_tracebacks_in_one_paste(real_traceback: Callable[[str], str]) -> None:
    first = real_traceback("[][1]\n")
    second = real_traceback("None['x']\n")
    report = extract(f"first run:\n{first}\nthen after my change:\n```\n{second}\n```")
    messages = [line.text for line in report.error_lines]
    assert "IndexError: list index out of range" in messages
    assert "TypeError: 'NoneType' object is not subscriptable" in messages
    assert "first run:" in report.prose and "then after my change:" in report.prose


def test_warning_with_location_is_an_error_line(real_traceback: Callable[[str], str]) -> None:
    text = real_traceback(
        """
        import warnings
        warnings.warn("something is deprecated", DeprecationWarning, stacklevel=1)
        """.replace("DeprecationWarning", "UserWarning")
    )
    report = extract(text)
    assert report.error_lines[0].exception == "UserWarning"
    assert report.frames and report.frames[0].endswith("script.py")


def test_pip_console_output_is_an_error_report() -> None:
    console = (
        "Collecting tokenizers\n"
        "  Building wheel for tokenizers (pyproject.toml) ... error\n"
        "  error: subprocess-exited-with-error\n"
        "  × Building wheel for tokenizers (pyproject.toml) did not run successfully.\n"
        "  │ exit code: 1\n"
        "ERROR: Failed building wheel for tokenizers\n"
    )
    report = extract(console)
    assert report.is_error_report
    assert "ERROR: Failed building wheel for tokenizers" in [line.text for line in report.error_lines]


def test_error_line_inside_prose() -> None:
    report = extract("hey, after upgrading I keep getting RuntimeError: CUDA error: out of memory, any idea?")
    assert report.error_lines[0].exception == "RuntimeError"
    assert report.error_lines[0].message.startswith("CUDA error: out of memory")


def test_plain_chat_is_not_an_error_report() -> None:
    report = extract("thanks, that fixed it! also, which GPU would you recommend for a beginner?")
    assert not report.is_error_report
    assert report.error_lines == ()


def test_message_continuation_lines_are_kept() -> None:
    text = (
        "RuntimeError: CUDA error: device-side assert triggered\n"
        "CUDA kernel errors might be asynchronously reported at some other API call.\n"
        "For debugging consider passing CUDA_LAUNCH_BLOCKING=1.\n"
    )
    line = extract(text).error_lines[0]
    assert line.text == "RuntimeError: CUDA error: device-side assert triggered"
    assert "CUDA_LAUNCH_BLOCKING" in line.detail


def test_libraries_come_from_frames_imports_and_words() -> None:
    text = (
        'File "/opt/venv/lib/python3.11/site-packages/transformers/modeling_utils.py", line 3, in f\n'
        "import pandas as pd\n"
        "my numpy code fails\n"
    )
    libraries = extract(text).libraries
    assert {"transformers", "pandas", "numpy"} <= libraries


def test_huge_input_is_bounded_and_keeps_the_error_at_the_end() -> None:
    log = "epoch 1 step 5 loss 0.123\n" * 400_000 + "RuntimeError: the end\n"
    report = extract(log)
    assert report.truncated
    assert len(report.text) <= MAX_CHARS + 2
    assert report.error_lines[-1].message == "the end"


def test_binary_and_very_long_lines_do_not_break_extraction() -> None:
    junk = "\x00\xff" * 10 + "a" * 50_000 + "\nValueError: bad value\n"
    report = extract(junk)
    assert report.error_lines[-1].exception == "ValueError"


def test_ipython_traceback_names_the_exception_up_front() -> None:
    text = (
        "---------------------------------------------------------------------------\n"
        "ZeroDivisionError                         Traceback (most recent call last)\n"
        "Cell In[3], line 1\n"
        "----> 1 ratio = hits / total\n"
        "\n"
        "~/project/stats.py in ratio(a, b)\n"
        "      2 def ratio(a, b):\n"
        "----> 3     return a / b\n"
        "\n"
        "ZeroDivisionError: division by zero\n"
    )
    report = extract(text)
    assert report.has_traceback
    assert [line.exception for line in report.error_lines] == ["ZeroDivisionError", "ZeroDivisionError"]
    assert report.error_lines[-1].message == "division by zero"
    assert "~/project/stats.py" in report.frames
    assert "ratio = hits" not in report.prose


def test_traceback_header_inline_in_prose_keeps_the_error_on_that_line() -> None:
    report = extract("运行时报错：TypeError: unsupported operand 问题出现在：Traceback (most recent call last):")
    assert report.error_lines[0].exception == "TypeError"


def test_exception_with_its_message_on_the_next_lines() -> None:
    text = "ImportError: \nThis feature needs the foo library, which was not found in your environment.\n"
    line = extract(text).error_lines[0]
    assert line.exception == "ImportError"
    assert "foo library" in line.detail


def test_problem_cues_separate_descriptions_from_chat() -> None:
    assert extract("my loss doesn't go down after epoch 3").describes_problem
    assert extract("why is training so slow on the gpu?").describes_problem
    assert not extract("trained for 10 epochs, loss went from 2.3 to 0.4, looks fine").describes_problem
    assert not extract("thanks everyone, see you tomorrow").describes_problem
