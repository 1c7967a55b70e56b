from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine import Engine

# The index cache goes to a throwaway directory, never the user's own, for this process and its children.
os.environ["KNOWNFIX_CACHE_DIR"] = tempfile.mkdtemp(prefix="knownfix-test-cache-")

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def demo_engine() -> Engine:
    return Engine.load([FIXTURES / "kb"])


@pytest.fixture(scope="session")
def bundled_engine() -> Engine:
    return Engine.load([REPO / "knowledge"])


def run_python(code: str, tmp_path: Path) -> str:
    """Run `code` in a fresh interpreter and return what it printed: a real traceback for the tests."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    return proc.stdout + proc.stderr


@pytest.fixture
def real_traceback(tmp_path: Path) -> Callable[[str], str]:
    return lambda code: run_python(code, tmp_path)
