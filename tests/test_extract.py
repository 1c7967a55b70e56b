from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.matching.extract import MAX_CHARS, bound_text, extract


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


@pytest.mark.parametrize(
    ("text", "error", "prose"),
    [
        (
            "It was giving me \"UnicodeDecodeError: 'charmap' codec can't decode byte 0x9d\" until I set the encoding",
            "UnicodeDecodeError: 'charmap' codec can't decode byte 0x9d",
            "It was giving me until I set the encoding",
        ),
        (
            "The `ModuleNotFoundError: No module named 'distutils'` comes from Python 3.12 dropping it",
            "ModuleNotFoundError: No module named 'distutils'",
            "The comes from Python 3.12 dropping it",
        ),
        (
            "it says `ValueError: model type `dual_ar` is not recognized` even after the upgrade",
            "ValueError: model type `dual_ar` is not recognized",
            "it says even after the upgrade",
        ),
        (
            "\u8fd0\u884c\u540e\u62a5\u9519\u201cTypeError: unhashable type: 'list'\u201d\u662f\u4e3a\u4ec0\u4e48",
            "TypeError: unhashable type: 'list'",
            "\u8fd0\u884c\u540e\u62a5\u9519 \u662f\u4e3a\u4ec0\u4e48",
        ),
        (
            "you get \u201cRuntimeError: CUDA out of memory\u201d because the batch is too big",
            "RuntimeError: CUDA out of memory",
            "you get because the batch is too big",
        ),
    ],
)
def test_an_error_quoted_in_a_sentence_ends_at_its_closing_quote(text: str, error: str, prose: str) -> None:
    # The sentence's words are prose, where the talk cues and the talk word model read them; the error is only
    # what the quotes hold, so the sentence's words do not dilute its comparison with the signatures.
    report = extract(text + "\nthe next line is the sentence's, not the message's")
    (line,) = report.error_lines
    assert (line.text, line.detail) == (error, error)
    assert line.message == error.split(": ", 1)[1]
    assert report.prose.splitlines()[0] == prose


def test_an_error_quoted_alone_on_its_line_loses_only_its_quotes() -> None:
    report = extract("`RuntimeError: CUDA out of memory`\nwhat now?")
    assert [line.detail for line in report.error_lines] == ["RuntimeError: CUDA out of memory"]
    assert report.prose == "what now?"


@pytest.mark.parametrize(
    "text",
    [
        "I get `RuntimeError: CUDA out of memory. Tried to allocate",  # no closing quote: the line is the message
        "I get 'KeyError: 'label'' when I index it",  # single quotes sit inside messages: not read as quotes
        'I get "KeyError: "[\'label\'] not in index"" when I index it',  # the message's own quote comes first
    ],
)
def test_an_error_not_quoted_whole_in_a_sentence_keeps_its_line(text: str) -> None:
    line = extract(text).error_lines[0]
    assert line.text == text[text.index(line.exception or "") :].strip()


@pytest.mark.parametrize(
    ("text", "error", "prose"),
    [
        (
            'After installing conda it says "bash: conda: command not found". I can see the files.',
            "bash: conda: command not found",
            "After installing conda it says . I can see the files.",
        ),
        (
            "importing tensorflow gives `Illegal instruction (core dumped)` every time",
            "Illegal instruction (core dumped)",
            "importing tensorflow gives every time",
        ),
        (  # a wording matched anywhere in the quote: the quote opens before it, not where the wording starts
            "\u5728\u8fd0\u884c\u65f6\u663e\u793a\uff1a"
            "\u201cThe kernel appears to have died. It will restart automatically.\u201d",
            "The kernel appears to have died. It will restart automatically.",
            "\u5728\u8fd0\u884c\u65f6\u663e\u793a\uff1a",
        ),
    ],
)
def test_a_console_error_quoted_in_a_sentence_ends_at_its_closing_quote(text: str, error: str, prose: str) -> None:
    # As for an exception quoted so: the sentence's words go to the prose (before, the whole line was the error and
    # the talk cues never saw "it says" or "I can see"), and the error is what the quotes hold.
    report = extract(text)
    (line,) = report.error_lines
    assert (line.exception, line.text) == (None, error)
    assert report.prose == prose


@pytest.mark.parametrize(
    "text",
    [
        "Trying to run pip but get command not found",  # not quoted: nothing tells the error from the sentence
        'it says "conda" and then: command not found',  # the quote closes before the wording
        "it says `bash: conda: command not found",  # the quote never closes
    ],
)
def test_a_console_error_not_quoted_around_its_wording_keeps_its_line(text: str) -> None:
    (line,) = extract(text).error_lines
    assert line.text == text


@pytest.mark.parametrize(
    ("text", "exception", "is_report"),
    [
        ("aiohttp throws RuntimeError", "RuntimeError", False),  # the class only named: the words describe it
        ("np.max of an empty array throws a ValueError\nbut only on the second run", "ValueError", False),
        # Its message pasted after it; a colon, with the paste on the lines after; a line of its own, however short.
        ("hey, after upgrading I keep getting RuntimeError: CUDA error: out of memory", "RuntimeError", True),
        ("which produces the SettingWithCopyWarning:\n    df[df.a > 0]['b'] = 1", "SettingWithCopyWarning", True),
        ("RuntimeError", "RuntimeError", True),
    ],
)
def test_a_class_only_named_at_the_end_of_a_sentence_is_no_paste(text: str, exception: str, is_report: bool) -> None:
    # Its name still counts as the message's exception (agreement with an entry's), but the message is matched as
    # a description: its words, the symptom phrasings and the labelled examples, not signatures it never pasted.
    report = extract(text)
    assert report.exceptions == {exception}
    assert report.is_error_report is is_report
    assert [line.named for line in report.error_lines] == [not is_report]
    # A named exception says something is wrong, pasted or not: passive mode and a mention may still answer it.
    assert report.describes_problem


def test_the_words_before_an_error_in_a_sentence_are_prose() -> None:
    report = extract("hey, after upgrading I keep getting RuntimeError: CUDA error: out of memory, any idea?")
    assert report.prose == "hey, after upgrading I keep getting"


@pytest.mark.parametrize(
    "line",
    [
        "[rank0]: RuntimeError: NCCL error",
        "2024-01-01 12:00:00,123 - root - ERROR - RuntimeError: NCCL error",
        "E       RuntimeError: NCCL error",
        "W1205 02:00:00.000 RuntimeError: NCCL error",
    ],
)
def test_a_log_prefix_before_an_error_is_not_prose(line: str) -> None:
    report = extract(line)
    assert report.error_lines[0].exception == "RuntimeError"
    assert report.prose == ""


@pytest.mark.parametrize("marker", ["> ", ">", ">> ", "  > "])
def test_a_block_quoted_traceback_keeps_its_frames(marker: str, real_traceback: Callable[[str], str]) -> None:
    # Markdown, GitHub and Discord quote a pasted traceback with `> ` on every line.
    pasted = real_traceback(
        """
        import json
        def load(s):
            return json.loads(s)
        load("")
        """
    )
    quoted = "\n".join(marker + line for line in pasted.splitlines()) + "\n\nany idea?"
    plain, report = extract(pasted), extract(quoted)
    assert report.frames == plain.frames and report.frames
    assert [line.text for line in report.error_lines] == [line.text for line in plain.error_lines]
    assert report.prose == "any idea?"


def test_the_python_prompt_is_not_a_quote_marker() -> None:
    report = extract(
        ">>> import torch\n>>> torch.zeros(2).cuda()\nAssertionError: Torch not compiled with CUDA enabled"
    )
    assert report.prose.startswith(">>> import torch")


def test_plain_chat_is_not_an_error_report() -> None:
    report = extract("thanks, that fixed it! also, which GPU would you recommend for a beginner?")
    assert not report.is_error_report
    assert report.error_lines == ()


def test_message_continuation_lines_are_kept() -> None:
    text = (
        "RuntimeError: Error(s) in loading state_dict for Net:\n"
        '\tMissing key(s) in state_dict: "fc.weight", "fc.bias".\n'
        '\tUnexpected key(s) in state_dict: "head.weight".\n'
    )
    line = extract(text).error_lines[0]
    assert line.text == "RuntimeError: Error(s) in loading state_dict for Net:"
    assert "Missing key(s)" in line.detail and "Unexpected key(s)" in line.detail


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


NUMPY_PARAGRAPHS = (
    "ImportError: \n"
    "\n"
    "IMPORTANT: PLEASE READ THIS FOR ADVICE ON HOW TO SOLVE THIS ISSUE!\n"
    "\n"
    "Importing the numpy C-extensions failed. This error can happen for\n"
    "many reasons, often due to issues with your setup or with how NumPy was\n"
    "installed.\n"
)


def test_a_message_that_begins_with_a_blank_line_is_read_past_it() -> None:
    # numpy prints its message in paragraphs after "ImportError: ": the words are after the blank lines.
    line = extract(NUMPY_PARAGRAPHS).error_lines[0]
    assert line.exception == "ImportError"
    assert "IMPORTANT: PLEASE READ" in line.detail and "numpy C-extensions failed" in line.detail
    # A message with words of its own stops at the blank line, as before: after it the person writes again.
    words = extract("KeyError: 'labels'\n\nI checked the dataset and the column is there\n").error_lines[0]
    assert words.detail == "KeyError: 'labels'"
    titled = extract("RuntimeError: Error(s) in loading state_dict for Net:\n\nwhat did I do wrong?\n").error_lines[0]
    assert "wrong" not in titled.detail


def test_numpys_paragraphs_pasted_alone_name_their_entry(bundled_engine: Engine) -> None:
    best = bundled_engine.match(NUMPY_PARAGRAPHS).best
    assert best is not None and best.entry.id == "numpy/c-extensions-failed"


def test_problem_cues_separate_descriptions_from_chat() -> None:
    assert extract("my loss doesn't go down after epoch 3").describes_problem
    assert extract("why is training so slow on the gpu?").describes_problem
    assert not extract("trained for 10 epochs, loss went from 2.3 to 0.4, looks fine").describes_problem
    assert not extract("thanks everyone, see you tomorrow").describes_problem


# Issue 9: a traceback's final line is its exception whatever the class is called. Python prints it less
# indented than the frames, so any `dotted.Name: message` there (or a console error line) is the error.
_RAISE_FROM_A_PACKAGE = """
    import pathlib, sys
    package = pathlib.Path("netlib")
    package.mkdir()
    (package / "__init__.py").write_text("class ConnectTimeout(Exception):\\n    pass\\n")
    sys.path.insert(0, ".")
    import netlib
    def fetch(url):
        raise netlib.ConnectTimeout("timed out while connecting to " + url)
    fetch("https://example.invalid")
"""


def test_a_traceback_ending_in_any_qualified_class_has_that_exception(real_traceback: Callable[[str], str]) -> None:
    report = extract(real_traceback(_RAISE_FROM_A_PACKAGE))
    assert [line.exception for line in report.error_lines] == ["netlib.ConnectTimeout"]
    assert report.error_lines[0].message == "timed out while connecting to https://example.invalid"
    assert report.exceptions == {"ConnectTimeout"}


def test_a_class_not_named_error_raised_in_a_script_is_the_exception(real_traceback: Callable[[str], str]) -> None:
    text = real_traceback(
        """
        class Unsupported(Exception):
            pass
        def trace(node):
            raise Unsupported("call_function UserDefinedObjectVariable")
        trace(None)
        """
    )
    line = extract(text).error_lines[-1]
    assert (line.exception, line.message) == ("Unsupported", "call_function UserDefinedObjectVariable")


_FRAMES = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/main.py", line 12, in <module>\n'
    "    run(job)\n"
    '  File "/srv/app/jobs.py", line 40, in run\n'
    "    cursor.execute(query)\n"
)


@pytest.mark.parametrize(
    ("last_line", "exception"),
    [
        ("httpx.ConnectTimeout: [Errno 110] timed out", "httpx.ConnectTimeout"),
        ("torch._dynamo.exc.Unsupported: call_function in skip_files", "torch._dynamo.exc.Unsupported"),
        ('psycopg2.errors.UndefinedTable: relation "jobs" does not exist', "psycopg2.errors.UndefinedTable"),
        ("requests.exceptions.ReadTimeout", "requests.exceptions.ReadTimeout"),
        ("CUDA error: an illegal memory access was encountered", None),
        ("Error: Cannot find module 'left-pad'", None),
        ("Compilation Error: model depends on a missing source", None),
    ],
)
def test_the_line_after_the_frames_is_the_exception(last_line: str, exception: str | None) -> None:
    for indent in ("", "    "):  # as printed, and pasted with every line indented
        text = "".join(indent + line + "\n" for line in (_FRAMES + last_line).split("\n"))
        report = extract(text + "\nany idea what is wrong?")
        assert [(line.text, line.exception) for line in report.error_lines] == [(last_line, exception)]
        assert report.error_lines[0].in_traceback
        assert report.prose == "any idea what is wrong?"


def test_code_lines_in_frames_stay_code() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/main.py", line 3, in <module>\n'
        "    config: dict = load()\n"
        '  File "/srv/app/main.py", line 9, in load\n'
        "    raise\n"
        "httpx.ReadError: connection reset\n"
    )
    report = extract(text)
    assert [line.text for line in report.error_lines] == ["httpx.ReadError: connection reset"]
    assert report.code_lines == 2


def test_a_frame_printed_further_left_keeps_the_traceback_going() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/main.py", line 3, in <module>\n'
        "    score(rows)\n"
        'File "/opt/venv/lib/site-packages/sklearn/metrics/pairwise.py", line 9, in cosine_similarity\n'
        "    X, Y = check_pairwise_arrays(X, Y)\n"
        "ValueError: Expected 2D array, got 1D array instead:\n"
    )
    report = extract(text)
    assert len(report.frames) == 2 and report.code_lines == 2
    assert [line.exception for line in report.error_lines] == ["ValueError"]
    assert report.prose == ""


def test_a_code_line_that_lost_its_indent_is_not_an_error() -> None:
    for code in ("if ready: start(job)", "self.size: int = 3", "config: dict = load()"):
        text = 'Traceback (most recent call last):\n  File "/srv/app/main.py", line 3, in <module>\n' + code
        assert extract(text).error_lines == (), code


def test_pytest_prints_a_qualified_exception_after_its_e() -> None:
    report = extract("    def test_fetch():\n>       client.get(url)\nE       httpx.ConnectTimeout: timed out\n")
    assert [(line.exception, line.message) for line in report.error_lines] == [("httpx.ConnectTimeout", "timed out")]


def test_prose_where_the_exception_would_be_is_prose() -> None:
    # A paste cut before its last line, and the question typed straight under it.
    text = _FRAMES + "why does this happen only on the server?\n"
    report = extract(text)
    assert report.error_lines == ()
    assert report.prose == "why does this happen only on the server?"


def test_ipython_names_any_class_up_front_and_at_the_end() -> None:
    text = (
        "Unsupported                               Traceback (most recent call last)\n"
        "Cell In[4], line 2\n"
        "----> 2 compiled(x)\n"
        "\n"
        "Unsupported: call_function BuiltinVariable(open)\n"
    )
    report = extract(text)
    assert [line.text for line in report.error_lines] == [
        "Unsupported",
        "Unsupported: call_function BuiltinVariable(open)",
    ]
    assert report.error_lines[-1].message == "call_function BuiltinVariable(open)"


def test_a_qualified_exception_opening_a_line_is_an_error_line() -> None:
    report = extract("since the upgrade every second request fails:\nhttpx.ConnectTimeout: timed out\n")
    assert report.error_lines[0].exception == "httpx.ConnectTimeout"
    assert report.error_lines[0].message == "timed out"


def test_a_type_quoted_in_code_or_prose_is_no_error() -> None:
    report = extract("def forward(self, x) -> torch.Tensor:  # returns torch.Tensor: the logits\n")
    assert not report.is_error_report


@pytest.mark.parametrize(
    "line",
    [
        "error[E0502]: cannot borrow `items` as mutable because it is also borrowed as immutable",
        "panic: runtime error: index out of range [3] with length 2",
        "thread 'main' panicked at src/main.rs:7:13:",
        "PHP Fatal error:  Uncaught Error: Call to undefined function db_open() in /var/www/index.php:3",
        "Fatal error: Uncaught Error: Class 'App\\Cart' not found",
        "fatal error: 'cuda_runtime.h' file not found",
        "npm ERR! code ERESOLVE",
        "CONFLICT (content): Merge conflict in src/train.py",
        "error TS2339: Property 'size' does not exist on type 'Batch'",
        "ERROR 1045 (28000): Access denied for user 'app'@'localhost'",
        "web-7f9c6d5b4-x2x8q   0/1     CrashLoopBackOff   6 (1m ago)   9m",
        "worker-0   0/1     OOMKilled   2          4m",
        "nvidia-smi : The term 'nvidia-smi' is not recognized as the name of a cmdlet, function, script file, or "
        "operable program.",
        "train.py: error: unrecognized arguments: --local-rank=0",  # argparse's `prog: error: message`
        "conda: error: argument COMMAND: invalid choice: 'activate'",
    ],
)
def test_non_python_one_line_errors_are_error_lines(line: str) -> None:
    report = extract(f"this is what I get:\n{line}\n")
    assert [error.text for error in report.error_lines] == [line.strip()]
    assert report.error_lines[0].exception is None


@pytest.mark.parametrize(
    "text",
    [
        "don't panic: the fix is in the pinned thread",
        "no conflict there, we merged it yesterday",
        "we retry with an exponential backoff, works fine",
        "i.e.Something: see the docs",
        "Update: it works now, thanks!",
        "src/kernel.c:12:5: error: expected ';' before '}' token is what gcc said",  # a compiler's place, no program
        "my script: error: nothing, it just hangs",  # a program name has no space
    ],
)
def test_chat_with_those_words_is_not_an_error_report(text: str) -> None:
    assert not extract(text).is_error_report


RESTATED_TRACEBACK = """Traceback (most recent call last):
  File "/srv/app/loader.py", line 88, in load_plugin
    module = importlib.import_module(name)
ModuleNotFoundError: No module named 'colour'

Cannot import /srv/app/plugins/lut-tools module for plugins: No module named 'colour'
I think the plugin said No module named 'colour' because of my venv
"""


def test_a_log_line_restating_the_exception_after_its_own_words_is_an_error_line() -> None:
    report = extract(RESTATED_TRACEBACK)
    assert [line.text for line in report.error_lines] == [
        "Cannot import /srv/app/plugins/lut-tools module for plugins: No module named 'colour'",
        "ModuleNotFoundError: No module named 'colour'",  # the exception stays last: it is what the run ended with
    ]
    assert report.error_lines[0].exception is None and report.exceptions == {"ModuleNotFoundError"}


def test_a_restating_line_may_hold_other_colons_before_the_message() -> None:
    """A log's own `: ` (a time, a level) before the framework's words, and a message with a colon of its own."""
    text = (
        "12:00:01 ERROR: worker 3 failed: CUDA error: an illegal memory access was encountered\n"
        "RuntimeError: CUDA error: an illegal memory access was encountered\n"
    )
    assert [line.text for line in extract(text).error_lines] == [
        "12:00:01 ERROR: worker 3 failed: CUDA error: an illegal memory access was encountered",
        "RuntimeError: CUDA error: an illegal memory access was encountered",
    ]


def test_a_short_message_is_not_looked_for_in_other_lines() -> None:
    report = extract("ValueError: bad\nsomething went: bad\n")
    assert [line.text for line in report.error_lines] == ["ValueError: bad"]


KNOWN = frozenset({"improperlyconfigured", "environmentnamenotfound", "forbidden"})


@pytest.mark.parametrize(
    ("line", "exception"),
    [
        ("ImproperlyConfigured: Requested setting DEBUG, but settings are not configured.", "ImproperlyConfigured"),
        ("EnvironmentNameNotFound: Could not find conda environment: torch2", "EnvironmentNameNotFound"),
    ],
)
def test_a_class_the_knowledge_base_knows_opens_an_error_line_outside_a_traceback(line: str, exception: str) -> None:
    report = extract(f"running my script gives\n{line}\nany idea?", KNOWN)
    assert [e.exception for e in report.error_lines] == [exception]
    assert extract(f"running my script gives\n{line}\nany idea?").error_lines == ()  # not without the knowledge


@pytest.mark.parametrize(
    "line",
    [
        "PyTorch: 2.1.0",  # an environment dump: not a class the knowledge base knows
        "Forbidden: you need the admin role for that",  # known, but one capital: an ordinary word in prose
        "improperlyconfigured: lower case is not a class name",
    ],
)
def test_other_capitalised_heads_stay_prose(line: str) -> None:
    assert extract(line, KNOWN).error_lines == ()


@pytest.mark.parametrize(
    ("text", "error", "prose"),
    [
        # "the error:" is a sentence's word, and the search goes on to the exception it introduces.
        (
            "I get this error: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
            "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
            "I get this error:",
        ),
        (
            'I get the error: "sqlite3.OperationalError: database is locked" when two workers write',
            "sqlite3.OperationalError: database is locked",
            "I get the error: when two workers write",
        ),
        # A class named in passing before the one pasted: the pasted one is the error line.
        ("I fixed the KeyError but now ValueError: too many values to unpack", "ValueError: too many values to unpack",
         "I fixed the KeyError but now"),
        # A blank before the colon, as some people type it.
        ("it reports error : ValueError : Unable to create tensor", "ValueError : Unable to create tensor",
         "it reports error :"),
    ],
)  # fmt: skip
def test_an_error_after_words_that_name_errors_is_found(text: str, error: str, prose: str) -> None:
    report = extract(text)
    assert [e.text for e in report.error_lines] == [error]
    assert report.prose == prose


@pytest.mark.parametrize(
    ("line", "exception"),
    [
        ("cv2.error: OpenCV(4.8.0) :-1: error: (-5:Bad argument) in function 'rectangle'", "cv2.error"),  # its module
        ("error: could not build wheels for pycocotools", None),  # a console's error: no class at all
    ],
)
def test_error_in_lower_case_is_a_class_only_with_its_module(line: str, exception: str | None) -> None:
    assert [e.exception for e in extract(line).error_lines] == [exception]


@pytest.mark.parametrize(
    ("text", "error", "prose"),
    [
        # A one-line block: its fence is glued to the error, which is no language tag.
        ("This is what I get:\n```TypeError: Descriptors cannot be created directly.```", "TypeError: Descriptors "
         "cannot be created directly.", "This is what I get:"),
        ("```python\nimport torch\n```\n```RuntimeError: Trying to resize storage that is not resizable```",
         "RuntimeError: Trying to resize storage that is not resizable", "import torch"),
    ],
)  # fmt: skip
def test_an_error_glued_to_its_fence_is_read(text: str, error: str, prose: str) -> None:
    report = extract(text)
    assert [e.text for e in report.error_lines] == [error]
    assert report.prose == prose  # `python` on its own after the fence is the block's tag: no word of the message


def test_code_written_inline_between_fences_keeps_its_words() -> None:
    report = extract("the method ```plot_confusion_matrix``` from ```sklearn.metrics``` was removed")
    assert report.prose == "the method \nplot_confusion_matrix\n from \nsklearn.metrics\n was removed"


# PyTorch's out-of-memory message as a terminal 80 columns wide copies it: the message runs on over four more lines.
WRAPPED_OOM = (
    "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 4.00 GiB t\n"
    "otal capacity; 3.41 GiB already allocated; 0 bytes free; 3.47 GiB reserved in to\n"
    "tal by PyTorch) If reserved memory is >> allocated memory try setting max_split_\n"
    "size_mb to avoid fragmentation.  See documentation for Memory Management and PYT\n"
    "ORCH_CUDA_ALLOC_CONF"
)


def test_the_lines_that_carry_on_an_error_message_are_not_the_writers_words() -> None:
    report = extract(WRAPPED_OOM)
    assert report.error_lines[0].detail.startswith("RuntimeError: CUDA out of memory.")
    assert "try setting max_split_" in report.error_lines[0].detail
    # The program's advice ("try setting ...") read as the writer's would be advice to someone else: talk.
    assert "try setting" not in report.prose
    assert report.prose == "ORCH_CUDA_ALLOC_CONF"  # past the three lines a message carries on over


@pytest.mark.parametrize(
    "writers_line",
    ["How can I solve this?", "I get this every time I start training", "请问怎么解决", "my model is small though"],
)
def test_a_writers_line_right_under_the_error_stays_prose(writers_line: str) -> None:
    report = extract(f"ValueError: Expected input batch_size (64) to match target batch_size (32).\n{writers_line}")
    assert writers_line in report.prose


def test_a_wrapped_error_message_pasted_alone_is_answered(bundled_engine: Engine) -> None:
    result = bundled_engine.match(WRAPPED_OOM)
    assert result.best is not None and result.best.entry.id == "cuda/out-of-memory"
    assert result.answer


@pytest.mark.parametrize(
    "line",
    [
        "'pip' 不是内部或外部命令，也不是可运行的程序",
        'Der Befehl "pip" ist entweder falsch geschrieben oder',
        "'pip' n'est pas reconnu en tant que commande interne",
        '"pip" no se reconoce como un comando interno o externo,',
        "'pip' não é reconhecido como um comando interno",
        '"pip" не является внутренней или внешней',
        "'pip' は、内部コマンドまたは外部コマンド、",
        "'pip'은(는) 내부 또는 외부 명령, 실행할 수 있는 프로그램, 또는",
    ],
)
def test_cmds_not_recognized_in_other_languages_is_an_error_line(line: str) -> None:
    report = extract(f"{line}\nnext line of the message")
    assert [e.text for e in report.error_lines] == [line.strip()]


def test_a_sentence_saying_cmd_did_not_recognise_a_command_is_no_error_line() -> None:
    # Only cmd's own line, the phrase right after the quoted command, is output; this is the writer's words.
    report = extract("cmd 里输入 pip 提示不是内部或外部命令")
    assert report.error_lines == ()
    assert "不是内部或外部命令" in report.prose


# What tqdm prints, with the carriage return before the program's next output lost in the copy.
LOADING_BAR = "Loading checkpoint shards:  40%|████      | 2/5 [00:31<00:47, 15.80s/it]"


def test_output_glued_to_a_progress_bars_end_starts_its_own_line() -> None:
    killed = extract("my script dies while loading:\n" + LOADING_BAR + "Killed")
    assert [e.detail for e in killed.error_lines] == ["Killed"]
    assert LOADING_BAR in killed.prose
    glued = extract(
        "epoch 3:  12%|█▏        | 120/1000 [00:40<04:53,  3.00it/s]Traceback (most recent call last):\n"
        '  File "train.py", line 40, in <module>\n'
        "    loss = criterion(out, y)\n"
        "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB\n"
    )
    assert glued.has_traceback and glued.frames == ("train.py",)
    assert glued.error_lines[0].exception == "RuntimeError"


def test_output_glued_to_pips_legacy_progress_bar_starts_its_own_line() -> None:
    # pip before 10 drew `NN% |███ | size speed eta H:MM:SS` and printed `Exception:` and the traceback after it.
    bar = "    3% |█                               | 18.4MB 210kB/s eta 0:45:40"
    text, _ = bound_text(bar + "Exception:\nTraceback (most recent call last):\n")
    assert text.splitlines()[:2] == [bar, "Exception:"]
    report = extract(
        "pip install torch hangs and then:\n" + bar + "Exception:\n"
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/dist-packages/pip/basecommand.py", line 215, in main\n'
        "    status = self.run(options, args)\n"
        "ReadTimeoutError: HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Read timed out.\n"
    )
    assert report.has_traceback and report.error_lines[-1].exception == "ReadTimeoutError"


@pytest.mark.parametrize(
    "text",
    [
        "100%|██████████| 10/10 [00:01<00:00,  9.50it/s]\n",  # the bar's own line end
        "the download ran at [12.0MB/s], then stopped",  # punctuation after the bracket
        "speed 3.2s/it] for the whole run",  # a space after it
        "    100% |████████████████████████████████| 1.2MB 3.4MB/s eta 0:00:01\n",  # pip's bar, its own line end
        "the eta 0:04:58 is wrong",  # an eta in prose
    ],
)
def test_a_progress_bar_without_output_glued_to_it_is_left_alone(text: str) -> None:
    assert bound_text(text)[0] == text


def test_a_process_killed_under_a_progress_bar_is_answered(bundled_engine: Engine) -> None:
    result = bundled_engine.match("my script dies while loading:\n" + LOADING_BAR + "Killed")
    assert result.best is not None and result.best.entry.id == "python/process-killed-oom"
