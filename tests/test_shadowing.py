"""A script named like the module it imports, told from a real circular import by which file fails."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.shadowing import shadowing_hint
from tests.conftest import best_entry_id

# `weatherkit.py` does `import weatherkit`: the script runs again as the module and fails on its own name.
SHADOWED = """Traceback (most recent call last):
  File "/home/ana/projects/weatherkit.py", line 1, in <module>
    import weatherkit
  File "/home/ana/projects/weatherkit.py", line 3, in <module>
    forecast = weatherkit.Forecast(city="Oslo")
AttributeError: partially initialized module 'weatherkit' has no attribute 'Forecast' \
(most likely due to a circular import)
"""

# Two of the user's modules import each other: the failing frame is the other module, not the one named.
CIRCULAR = """Traceback (most recent call last):
  File "/home/ana/shop/app.py", line 1, in <module>
    from models import Order
  File "/home/ana/shop/models.py", line 2, in <module>
    from app import database
  File "/home/ana/shop/app.py", line 1, in <module>
    from models import Order
ImportError: cannot import name 'Order' from partially initialized module 'models' \
(most likely due to a circular import) (/home/ana/shop/models.py)
"""

# Python 2 names no module; the same script failing in its last two frames is what tells.
PYTHON2 = """Traceback (most recent call last):
  File "C:\\Users\\ana\\bots\\chatlib.pyw", line 1, in <module>
    import chatlib
  File "C:\\Users\\ana\\bots\\chatlib.pyw", line 4, in <module>
    client = chatlib.Client()
AttributeError: 'module' object has no attribute 'Client'
"""


def test_a_script_importing_its_own_name_gets_the_renaming_hint() -> None:
    found = shadowing_hint(
        ["/home/ana/projects/weatherkit.py", "/home/ana/projects/weatherkit.py"],
        [extract(SHADOWED).error_lines[0].message],
        [""],
    )
    assert found == (
        0,
        "(consider renaming '/home/ana/projects/weatherkit.py' if it has the same name as a library you intended"
        " to import)",
    )


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        # the file that failed is not the module named: a real circular import
        (
            ["/home/ana/shop/app.py", "/home/ana/shop/models.py", "/home/ana/shop/app.py"],
            "cannot import name 'Order' from partially initialized module 'models'",
        ),
        # an installed package's own file, importing from its own package
        (
            ["/usr/lib/python3.12/site-packages/tqdm/tqdm.py"],
            "cannot import name 'trange' from partially initialized module 'tqdm'",
        ),
        # a package's __init__ is named after its folder, not its file
        (["/home/ana/shop/models/__init__.py"], "partially initialized module '__init__' has no attribute 'x'"),
        # Python 2, a different file last: nothing says the module is this script
        (["/home/ana/run.py", "/home/ana/chatlib.py"], "'module' object has no attribute 'Client'"),
        # no traceback at all
        ([], "partially initialized module 'weatherkit' has no attribute 'Forecast'"),
    ],
)
def test_no_hint_when_the_failing_file_is_not_the_module_named(frames: list[str], message: str) -> None:
    assert shadowing_hint(frames, [message], [""]) is None


def test_the_hint_joins_the_error_line_it_belongs_to_and_only_what_is_matched() -> None:
    report = extract(SHADOWED)
    (line,) = report.error_lines
    assert line.detail.endswith("if it has the same name as a library you intended to import)")
    assert "consider renaming" not in line.text  # what a reply quotes stays what was pasted
    assert "consider renaming" not in extract(CIRCULAR).error_lines[0].detail


@pytest.mark.parametrize("text", [SHADOWED, PYTHON2])
def test_an_unknown_module_shadowed_by_its_script_finds_the_shadowing_entry(bundled_engine: Engine, text: str) -> None:
    assert best_entry_id(bundled_engine, text) == "python/shadowed-module-name"


def test_a_real_circular_import_stays_with_the_circular_import_entry(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, CIRCULAR) == "python/circular-import"


# The user's `calendar.py` imports a library whose own module then wants the standard library's `calendar`: a
# library's frame fails, and Python 3.6 names no module; the line under the frame does.
STDLIB_SHADOWED_BY_SCRIPT = """Traceback (most recent call last):
  File "/home/ana/planner/calendar.py", line 1, in <module>
    import dateparse
  File "/usr/lib/python3.6/site-packages/dateparse/__init__.py", line 3, in <module>
    from calendar import monthrange
ImportError: cannot import name 'monthrange'
"""
# Python 3.8-3.12 guess a cycle for a script importing from itself; 3.13 prints the renaming hint instead.
SELF_IMPORT_38 = """Traceback (most recent call last):
  File "C:\\work\\tides.py", line 1, in <module>
    from tides import Station
  File "C:\\work\\tides.py", line 1, in <module>
    from tides import Station
ImportError: cannot import name 'Station' from partially initialized module 'tides' (most likely due to a \
circular import) (C:\\work\\tides.py)
"""


def test_a_library_failing_on_a_module_the_users_script_shadows_gets_the_hint_with_the_scripts_path() -> None:
    (line,) = extract(STDLIB_SHADOWED_BY_SCRIPT).error_lines
    assert line.detail.endswith(
        "(consider renaming '/home/ana/planner/calendar.py' if it has the same name as a library you intended to "
        "import)"
    )


def test_a_library_failing_on_a_module_no_script_of_the_user_is_named_after_gets_no_hint() -> None:
    text = STDLIB_SHADOWED_BY_SCRIPT.replace("planner/calendar.py", "planner/agenda.py")
    assert "consider renaming" not in extract(text).error_lines[0].detail


def test_the_renaming_hint_replaces_the_cycle_guess_as_python_313_prints_it() -> None:
    (line,) = extract(SELF_IMPORT_38).error_lines
    assert "most likely due to a circular import" not in line.detail
    assert "partially initialized" not in line.detail
    assert line.detail.startswith("ImportError: cannot import name 'Station' from 'tides'")
    assert "most likely due to a circular import" in line.text  # what a reply quotes stays what was pasted


@pytest.mark.parametrize("text", [STDLIB_SHADOWED_BY_SCRIPT, SELF_IMPORT_38])
def test_a_shadowed_module_beats_the_cycle_guess(bundled_engine: Engine, text: str) -> None:
    assert best_entry_id(bundled_engine, text) == "python/shadowed-module-name"
