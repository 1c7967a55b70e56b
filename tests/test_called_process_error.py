"""`subprocess.CalledProcessError`: a program Python started exited with an error, and the line says only that.

The generic entry (python/called-process-error, a `summary`) answers it for any program; where the paste also holds
the program's own error and another entry proves that, the generic entry yields to it, as it does to PyTorch's old
launcher's command and venv's ensurepip (tests/test_summary_entries.py). Before it, torchrun's entry, whose
signatures held the old launcher's `CalledProcessError`, came first for every program's failure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

GENERIC = "python/called-process-error"


def _paste(code: str, tmp_path: Path) -> str:
    """What running `code` printed: the child's own output and the parent's traceback, as a person pastes them."""
    script = tmp_path / "run.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    return proc.stdout + proc.stderr


def test_a_program_that_exits_with_an_error_is_answered_by_the_generic_entry(
    bundled_engine: Engine, tmp_path: Path
) -> None:
    code = "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import sys; sys.exit(3)'], check=True)\n"
    paste = _paste(code, tmp_path)
    assert "returned non-zero exit status 3." in paste
    assert best_entry_id(bundled_engine, paste) == GENERIC


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell kills itself with a signal")
def test_a_program_killed_by_a_signal_is_answered_by_the_generic_entry(bundled_engine: Engine, tmp_path: Path) -> None:
    paste = _paste("import subprocess\nsubprocess.check_call('kill -9 $$', shell=True)\n", tmp_path)
    assert "died with <Signals.SIGKILL: 9>." in paste
    assert best_entry_id(bundled_engine, paste) == GENERIC


def test_the_programs_own_error_above_it_is_the_answer(bundled_engine: Engine, tmp_path: Path) -> None:
    """The child is Python too, and its traceback is printed above the parent's: its error is the failure."""
    code = (
        "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import json; json.loads(\"\")'], check=True)\n"
    )
    paste = _paste(code, tmp_path)
    assert "JSONDecodeError: Expecting value" in paste and "CalledProcessError" in paste
    ids = [m.entry.id for m in bundled_engine.match(paste, top=3).matches]
    assert ids[0] == "python/json-decode-error", ids
