"""The source a traceback shows above its exception is read by entry patterns with the error line."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.matching.extract import extract

from .conftest import best_entry_id

UNPICKLING = """Traceback (most recent call last):
  File "detect.py", line 12, in <module>
    model = torch.load('best.pt', map_location=device)['model']
  File "/env/lib/python3.11/site-packages/torch/serialization.py", line 1040, in load
    return _load(opened_zipfile, map_location, pickle_module, **pickle_load_args)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/env/lib/python3.11/site-packages/torch/serialization.py", line 1258, in _load
    result = unpickler.load()
             ^^^^^^^^^^^^^^^^
  File "/env/lib/python3.11/site-packages/torch/serialization.py", line 1251, in find_class
    return super().find_class(mod_name, name)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
ModuleNotFoundError: No module named 'models'"""

IMPORTING = """Traceback (most recent call last):
  File "detect.py", line 3, in <module>
    from models.experimental import attempt_load
ModuleNotFoundError: No module named 'models'"""


def test_the_source_line_and_its_carets_under_the_last_frame_are_kept() -> None:
    (line,) = extract(UNPICKLING).error_lines
    assert line.shown_code == "    return super().find_class(mod_name, name)\n" + " " * 11 + "^" * 34
    assert line.detail == "ModuleNotFoundError: No module named 'models'"  # compared and shown as before


def test_a_syntax_errors_caret_and_a_repl_prompt_count_as_shown_code() -> None:
    syntax_error = '  File "<stdin>", line 1\n    pip install numpy\n        ^\nSyntaxError: invalid syntax'
    (line,) = extract(syntax_error).error_lines
    assert line.shown_code == "    pip install numpy\n        ^"
    (line,) = extract(">>> pip install numpy\nSyntaxError: invalid syntax").error_lines
    assert line.shown_code == ">>> pip install numpy"


def test_a_caret_line_right_above_an_error_with_no_frame_keeps_the_line_it_marks() -> None:
    # Copied from the console without the `File "...", line 1` header: the carets still say which line Python showed.
    (line,) = extract("    pip install pandas\n        ^^^^^^^\nSyntaxError: invalid syntax").error_lines
    assert line.shown_code == "    pip install pandas\n        ^^^^^^^"
    (line,) = extract("I run it and get:\nif score = 10:\n   ^^^^^^^^^^\nSyntaxError: invalid syntax").error_lines
    assert line.shown_code == "if score = 10:\n   ^^^^^^^^^^"


@pytest.mark.parametrize(
    "text",
    [
        "ModuleNotFoundError: No module named 'models'",  # pasted alone
        "\n   ^^^\nSyntaxError: invalid syntax",  # carets under nothing
        "x = 1\n\n   ^^^\nSyntaxError: invalid syntax",  # carets under a blank line
        "I ran result = unpickler.load()\nModuleNotFoundError: No module named 'models'",  # prose, no frame above
        'File "a.py", line 1, in <module>\n  x()\n\nValueError: bad',  # a blank line ends the traceback's code
        'File "a.py", line 9\n  a\n  b\n  c\n  d\nValueError: bad',  # further than a frame's source and carets
        "I called f(x) and got\nValueError: bad",  # a sentence, not a statement
        "x = f()\n\nValueError: bad",  # a statement further up, not right above
        "--> 12 x = f()\nsomething else\nValueError: bad",  # an arrow with a line that is not IPython's between
    ],
)
def test_no_frame_right_above_means_no_shown_code(text: str) -> None:
    assert [line.shown_code for line in extract(text).error_lines] == [""]


def test_ipythons_arrow_line_is_the_shown_code() -> None:
    ipython = (
        "File ~/env/lib/python3.11/site-packages/torch/serialization.py:1251, in find_class(self, mod_name, name)\n"
        "   1249 mod_name = load_module_mapping.get(mod_name, mod_name)\n"
        "-> 1251 return super().find_class(mod_name, name)\n\n"
        "ModuleNotFoundError: No module named 'models'"
    )
    (line,) = extract(ipython).error_lines
    assert line.shown_code == "return super().find_class(mod_name, name)"
    # Colab's copy: the frame's path as a Markdown link, numbered context after the arrow.
    colab = (
        "[/usr/local/lib/python3.10/dist-packages/torch/serialization.py](https://localhost:8080/#) in "
        "find_class(self, mod_name, name)\n"
        "-> 1251 return super().find_class(mod_name, name)\n"
        "   1252 \n\n"
        "ModuleNotFoundError: No module named 'models'"
    )
    report = extract(colab)
    assert report.frames == ("/usr/local/lib/python3.10/dist-packages/torch/serialization.py",)
    assert report.error_lines[0].shown_code == "return super().find_class(mod_name, name)"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("model = torch.load('best.pt')['model']\nModuleNotFoundError: No module named 'models'", "model = torch."),
        ("    cfg = json.loads(raw.decode('utf-8'))\nAttributeError: 'str' object has no attribute 'decode'", "cfg = "),
        ("tokenizer.save_pretrained(out_dir)\nOSError: [Errno 28] No space left on device", "tokenizer.save_"),
    ],
)
def test_a_statement_pasted_right_above_the_error_is_its_shown_code(text: str, shown: str) -> None:
    (line,) = extract(text).error_lines
    assert line.shown_code.startswith(shown)


def test_a_module_missing_while_unpickling_is_the_full_model_entry(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, UNPICKLING) == "pytorch/load-full-model-missing-class"
    # The same error from an import line stays the generic entry.
    assert best_entry_id(bundled_engine, IMPORTING) == "python/module-not-found"


def test_a_pip_command_run_as_python_is_the_shell_entry(bundled_engine: Engine) -> None:
    text = '  File "/home/me/train.py", line 1\n    pip install pandas\n        ^^^^^^^\nSyntaxError: invalid syntax'
    assert best_entry_id(bundled_engine, text) == "pip/pip-install-in-python-shell"


BARE_RAISE = """Traceback (most recent call last):
  File "train.py", line 3, in <module>
    env.reset()
  File "/usr/lib/python3/site-packages/gym/core.py", line 71, in reset
    raise NotImplementedError
NotImplementedError"""


def test_a_raise_statement_under_a_frame_is_the_source_not_the_exception() -> None:
    """`raise NotImplementedError` names the class bare, as Python's own line below it does: read as the exception,
    it took the real line's place (a repeat of the same class) with the statement's words as its detail."""
    (line,) = extract(BARE_RAISE).error_lines
    assert line.detail == "NotImplementedError"
    assert line.shown_code == "    raise NotImplementedError"
    assert line.raised_in == 'File "/usr/lib/python3/site-packages/gym/core.py", line 71, in reset'


def test_the_frame_an_error_was_raised_in_is_kept_for_python_and_ipython_tracebacks() -> None:
    (line,) = extract(UNPICKLING).error_lines
    assert line.raised_in.startswith('File "/env/lib/python3.11/site-packages/torch/serialization.py", line 1251')
    ipython = (
        "~/lib/python3.6/site-packages/torch/nn/modules/module.py in forward(self, *input)\n"
        "     81             registered hooks while the latter silently ignores them.\n"
        '     82         """\n'
        "---> 83         raise NotImplementedError\n"
        "     84 \n"
        "NotImplementedError:"
    )
    # IPython's header names the class first; the line at the end is the one the frame raised.
    line = extract("NotImplementedError    Traceback (most recent call last)\n" + ipython).error_lines[-1]
    assert line.shown_code == "raise NotImplementedError"
    assert line.raised_in == "~/lib/python3.6/site-packages/torch/nn/modules/module.py in forward(self, *input)"
    # No frame right above: nothing to name (a log line, a paste of the error alone).
    assert extract("NotImplementedError").error_lines[0].raised_in == ""
