"""`NotImplementedError`: a base class's method the subclass never supplied, or a feature a platform lacks.

The generic entry (python/not-implemented-error, a `summary`) answers a bare `NotImplementedError` by the frame that
raised it; the specific entries prove their own cases by their messages or by that frame (`ErrorLine.raised_in`):
PyTorch's module without forward(), Keras layers without get_config(), asyncio's event loops on Windows, and
pathlib's path classes of the other system (tests/test_summary_entries.py). Before the generic entry, every bare
`NotImplementedError` went to PyTorch's forward() entry, and `knownfix match` showed it as a full page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine import Engine

from .conftest import best_entry_id, run_python

GENERIC = "python/not-implemented-error"
PATHS = "python/pathlib-cannot-instantiate"


def test_a_subclass_method_never_found_is_answered_by_the_generic_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    paste = real_traceback(
        "class Shape:\n    def area(self):\n        raise NotImplementedError\n\n"
        "class Square(Shape):\n    def are(self):\n        return 4\n\nSquare().area()\n"
    )
    assert paste.rstrip().endswith("NotImplementedError")
    result = bundled_engine.match(paste, top=3)
    assert result.best is not None and result.best.entry.id == GENERIC
    assert "pytorch/module-missing-forward" not in [m.entry.id for m in result.matches[:1]]


def test_a_path_pickled_on_the_other_system_is_answered_by_its_entry(bundled_engine: Engine, tmp_path: Path) -> None:
    """The entry's reproducer: the foreign class is WindowsPath here and PosixPath on Windows."""
    reproducer = bundled_engine.kb.by_id[PATHS].reproducer
    assert reproducer is not None
    paste = run_python(reproducer.code, tmp_path)
    assert "cannot instantiate '" in paste and "Path' on your system" in paste
    assert best_entry_id(bundled_engine, paste) == PATHS


@pytest.mark.parametrize(
    "line",
    [
        "NotImplementedError: cannot instantiate 'PosixPath' on your system",
        "NotImplementedError: cannot instantiate 'WindowsPath' on your system",
        # Python 3.13 raises pathlib's own subclass of NotImplementedError, with the same message.
        "pathlib._abc.UnsupportedOperation: cannot instantiate 'PosixPath' on your system",
    ],
)
def test_every_python_versions_wording_of_the_path_error_finds_its_entry(bundled_engine: Engine, line: str) -> None:
    assert best_entry_id(bundled_engine, line) == PATHS


def test_specific_not_implemented_messages_keep_their_entries(bundled_engine: Engine) -> None:
    assert best_entry_id(
        bundled_engine, 'NotImplementedError: Module [ModuleList] is missing the required "forward" function'
    ) == ("pytorch/module-missing-forward")
    assert best_entry_id(
        bundled_engine,
        "NotImplementedError: Layer PositionalEncoding has arguments ['position', 'd_model'] in `__init__` and "
        "therefore must override `get_config()`.",
    ) == ("keras/get-config-not-implemented")
    assert best_entry_id(bundled_engine, "NotImplementedError: Learning rate schedule must override get_config") == (
        "keras/get-config-not-implemented"
    )
