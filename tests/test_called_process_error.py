"""`subprocess.CalledProcessError`: a program Python started exited with an error, and the line says only that.

The generic entry (python/called-process-error, a `summary`) answers it for any program; where the paste also holds
the program's own error and another entry proves that, the generic entry yields to it, as it does to PyTorch's old
launcher's command and venv's ensurepip (tests/test_summary_entries.py). Before it, torchrun's entry, whose
signatures held the old launcher's `CalledProcessError`, came first for every program's failure.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

GENERIC = "python/called-process-error"


def test_a_program_that_exits_with_an_error_is_answered_by_the_generic_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    code = "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import sys; sys.exit(3)'], check=True)\n"
    paste = real_traceback(code)
    assert "returned non-zero exit status 3." in paste
    assert best_entry_id(bundled_engine, paste) == GENERIC


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell kills itself with a signal")
def test_a_program_killed_by_a_signal_is_answered_by_the_generic_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    paste = real_traceback("import subprocess\nsubprocess.check_call('kill -9 $$', shell=True)\n")
    assert "died with <Signals.SIGKILL: 9>." in paste
    assert best_entry_id(bundled_engine, paste) == GENERIC


def test_the_programs_own_error_above_it_is_the_answer(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    """The child is Python too, and its traceback is printed above the parent's: its error is the failure."""
    code = (
        "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import json; json.loads(\"\")'], check=True)\n"
    )
    paste = real_traceback(code)
    assert "JSONDecodeError: Expecting value" in paste and "CalledProcessError" in paste
    ids = [m.entry.id for m in bundled_engine.match(paste, top=3).matches]
    assert ids[0] == "python/json-decode-error", ids
