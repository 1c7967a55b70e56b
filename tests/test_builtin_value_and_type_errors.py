"""Errors of Python's built-ins that beginners' programs print alike, each with its own entry.

Before these entries, none of them had one: `list.remove(x): x not in list` ranked a scikit-learn entry first,
`max() arg is an empty sequence` NumPy's zero-size reduction, a join's `expected str instance` a pandas entry,
`Can't instantiate abstract class` the bytes/str entry, `'str' object has no attribute 'append'` pandas' removed
`DataFrame.append`, and `write() argument must be str, not int` was answered unprompted by the bytes/str entry.
The programs run for real, so the pastes are what this Python prints; the wordings newer Pythons print (3.12
reworded min/max's and abstract classes' messages, 3.14 list.index's) are checked as text.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

PROGRAMS = {
    "python/value-not-in-list": (
        'fruits = ["apple", "pear"]\nfruits.remove("apple")\nfruits.remove("apple")\n',
        "ValueError: list.remove(x): x not in list",
    ),
    "python/min-max-empty-sequence": (
        'import glob\nlatest = max(glob.glob("checkpoints/*.pt"))\n',
        "ValueError: max() arg is an empty sequence",
    ),
    "python/join-expected-str": (
        'ages = [36, 28]\nprint(", ".join(ages))\n',
        "TypeError: sequence item 0: expected str instance, int found",
    ),
    "python/abstract-class-instantiation": (
        "from abc import ABC, abstractmethod\n\nclass Shape(ABC):\n    @abstractmethod\n    def area(self): ...\n\n"
        "class Square(Shape):\n    pass\n\nSquare()\n",
        "TypeError: Can't instantiate abstract class Square with abstract method area",
    ),
    "python/is-a-directory": (
        'import os\nos.makedirs("model", exist_ok=True)\nopen("model").read()\n',
        "IsADirectoryError: [Errno 21] Is a directory: 'model'",
    ),
    "python/write-argument-must-be-str": (
        'with open("out.txt", "w") as f:\n    f.write(42)\n',
        "TypeError: write() argument must be str, not int",
    ),
    "python/str-object-has-no-attribute": (
        'import json\n\nwith open("settings.json", "w") as f:\n    f.write("{}")\n\n'
        'settings = json.load("settings.json")\n',
        "AttributeError: 'str' object has no attribute 'read'",
    ),
    "python/datetime-module-or-class": (
        "import datetime\n\nprint(datetime.now())\n",
        "AttributeError: module 'datetime' has no attribute 'now'",
    ),
    "python/generator-raised-stopiteration": (
        "def firsts(groups):\n    for g in groups:\n        yield next(iter(g))\n\nprint(list(firsts([[1], []])))\n",
        "RuntimeError: generator raised StopIteration",
    ),
}


@pytest.mark.parametrize("entry_id", sorted(PROGRAMS))
def test_a_real_traceback_is_answered_by_its_entry(
    entry_id: str, bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    code, last_line = PROGRAMS[entry_id]
    paste = real_traceback(code)
    assert paste.rstrip().endswith(last_line)
    assert best_entry_id(bundled_engine, paste) == entry_id


@pytest.mark.parametrize(
    ("line", "entry_id"),
    [
        ("ValueError: 'bob' is not in list", "python/value-not-in-list"),
        ("ValueError: 7 is not in list", "python/value-not-in-list"),
        ("ValueError: tuple.index(x): x not in tuple", "python/value-not-in-list"),
        ("ValueError: list.index(x): x not in list", "python/value-not-in-list"),
        ("ValueError: min() arg is an empty sequence", "python/min-max-empty-sequence"),
        ("ValueError: max() iterable argument is empty", "python/min-max-empty-sequence"),
        ("ValueError: min() iterable argument is empty", "python/min-max-empty-sequence"),
        ("TypeError: sequence item 3: expected str instance, NoneType found", "python/join-expected-str"),
        ("TypeError: sequence item 1: expected a bytes-like object, str found", "python/join-expected-str"),
        (
            "TypeError: Can't instantiate abstract class Env with abstract methods reset, step",
            "python/abstract-class-instantiation",
        ),
        (
            "TypeError: Can't instantiate abstract class Env without an implementation for abstract methods "
            "'reset', 'step'",
            "python/abstract-class-instantiation",
        ),
        (
            "TypeError: Can't instantiate abstract class Tool without an implementation for abstract method '_run'",
            "python/abstract-class-instantiation",
        ),
        ("TypeError: write() argument must be str, not list", "python/write-argument-must-be-str"),
        ("TypeError: write() argument must be str, not NoneType", "python/write-argument-must-be-str"),
        ("RuntimeError: async generator raised StopIteration", "python/generator-raised-stopiteration"),
        ("AttributeError: 'str' object has no attribute 'append'", "python/str-object-has-no-attribute"),
        ("AttributeError: 'int' object has no attribute 'append'", "python/str-object-has-no-attribute"),
        ("AttributeError: 'float' object has no attribute 'lower'", "python/str-object-has-no-attribute"),
        (
            "AttributeError: type object 'datetime.datetime' has no attribute 'timedelta'",
            "python/datetime-module-or-class",
        ),
        (
            "TypeError: 'module' object is not callable. Did you mean: 'datetime.datetime(...)'?",
            "python/datetime-module-or-class",
        ),
    ],
)
def test_each_wording_is_answered_by_its_entry(line: str, entry_id: str, bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, line) == entry_id


def test_the_datetime_module_called_as_its_class_is_told_by_the_call_python_shows(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    """Python 3.11 names no module in `'module' object is not callable`; the source line it shows does. The generic
    not-callable entry (a summary) gives way to the entry whose pattern reads that line."""
    paste = real_traceback("import datetime\n\nstart = datetime(2024, 1, 1)\n")
    assert "TypeError: 'module' object is not callable" in paste
    assert best_entry_id(bundled_engine, paste) == "python/datetime-module-or-class"


@pytest.mark.parametrize(
    ("line", "entry_id"),
    [
        # bytes written to a text file is the binary-mode mix-up, not a value to format
        ("TypeError: write() argument must be str, not bytes", "python/bytes-str-mixup"),
        (
            "ValueError: zero-size array to reduction operation maximum which has no identity",
            "numpy/zero-size-reduction",
        ),
        ("TypeError: join() argument must be str, bytes, or os.PathLike object, not 'NoneType'", "python/path-is-none"),
        ("PermissionError: [Errno 13] Permission denied: 'out.txt'", "python/permission-denied"),
        # a str's attribute that one entry is about: the generic str entry (a summary) gives way to it
        ("AttributeError: 'str' object has no attribute 'decode'", "python/bytes-str-mixup"),
        ("AttributeError: 'str' object has no attribute 'capabilities'", "python/selenium4-removed-apis"),
        ("AttributeError: 'list' object has no attribute 'read'", "python/dict-list-has-no-attribute"),
        ("AttributeError: 'NoneType' object has no attribute 'read'", "python/nonetype-has-no-attribute"),
        ("AttributeError: 'DataFrame' object has no attribute 'append'", "pandas/append-removed"),
        # a module or a value called: the generic entry, unless the call shows the datetime module
        ("TypeError: 'module' object is not callable", "python/object-not-callable"),
        ("TypeError: 'int' object is not callable", "python/object-not-callable"),
    ],
)
def test_neighbours_keep_their_entries(line: str, entry_id: str, bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, line) == entry_id
