"""A call with more positional values than the def lists: `greet() takes 1 positional argument but 2 were given`.

The generic entry (python/takes-positional-arguments, a `summary`) answers the message for any function, a method
without self first among its causes; PyTorch's entry proves a module's forward(), and the generic entry yields to it
(tests/test_summary_entries.py). python/missing-self-argument keeps the errors that name self. Before it, PyTorch's
forward() entry came first for every plain function's argument count (`callees.py` stops that), a method without
self was claimed by the self entry whatever the count's cause (a tkinter or toolkit callback given a value it does
not take reads the same), and a class whose __init__ is misspelled had no entry.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

GENERIC = "python/takes-positional-arguments"

# Real programs for the usual causes, run in a fresh interpreter: the traceback is Python's own, whatever version.
PROGRAMS = {
    "a function called with one value too many": "def greet(name):\n    return name\n\ngreet('ada', 'lovelace')\n",
    "a method without self": "class Greeter:\n    def greet(name):\n        return name\n\nGreeter().greet('ada')\n",
    "Thread args without the trailing comma": (
        "import threading\n\ndef work(path):\n    pass\n\n"
        "t = threading.Thread(target=work, args=('data.csv'))\nt.start()\nt.join()\n"
    ),
    "map hands a lambda two values": "print(list(map(lambda x: x, [1], [2])))\n",
    "a misspelled __init__": "class Dog:\n    def _init_(self, name):\n        self.name = name\n\nDog('rex')\n",
}


@pytest.mark.parametrize("cause", list(PROGRAMS))
def test_each_cause_is_answered_by_the_generic_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str], cause: str
) -> None:
    paste = real_traceback(PROGRAMS[cause])
    assert "TypeError: " in paste and " takes " in paste, paste
    assert best_entry_id(bundled_engine, paste) == GENERIC, paste


def test_the_threads_traceback_keeps_its_count(real_traceback: Callable[[str], str]) -> None:
    """What the args cause looks like: one value per character of the string."""
    paste = real_traceback(PROGRAMS["Thread args without the trailing comma"])
    assert "Exception in thread" in paste
    assert "TypeError: work() takes 1 positional argument but 8 were given" in paste


@pytest.mark.parametrize(
    "text",
    [
        "TypeError: on_key() takes 0 positional arguments but 1 was given\nmy tkinter bind callback fails",
        "TypeError: Game.on_click() takes 0 positional arguments but 1 was given",
        "I get TypeError: Dog() takes no arguments when I create the object, but my class has an init",
    ],
)
def test_a_report_in_words_finds_it_too(bundled_engine: Engine, text: str) -> None:
    ids = [m.entry.id for m in bundled_engine.match(text, top=3).matches]
    assert GENERIC in ids, ids


def test_neighbouring_call_errors_keep_their_own_entries(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, "TypeError: greet() missing 1 required positional argument: 'name'") == (
        "python/missing-required-positional-argument"
    )
    assert best_entry_id(bundled_engine, "TypeError: greet() got an unexpected keyword argument 'nmae'") == (
        "python/unexpected-keyword-argument"
    )
    assert best_entry_id(
        bundled_engine, "TypeError: Model.predict() missing 1 required positional argument: 'self'"
    ) == ("python/missing-self-argument")
