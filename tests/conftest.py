from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.engine import Engine
from bot.knowledge.model import Entry, Verification
from bot.matching.evidence import Evidence
from bot.matching.index import build_index
from bot.matching.matcher import Matcher

from .postgres import PostgresServer, PostgresUnavailable, start_server

# The index cache goes to a throwaway directory, never the user's own, for this process and its children; it goes
# when the run ends (each run left several megabytes of indexes in the temporary directory).
os.environ["KNOWNFIX_CACHE_DIR"] = tempfile.mkdtemp(prefix="knownfix-test-cache-")
atexit.register(shutil.rmtree, os.environ["KNOWNFIX_CACHE_DIR"], ignore_errors=True)

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
SHARED = REPO.parent / "shared"

# One candidate with no evidence at all (bot/matching/evidence.py), of an error report: what the tests of the
# evidence functions and the ranking start from, setting only the columns they are about.
NO_EVIDENCE: dict[str, object] = {
    "signature_similarity": 0.0, "signature_coverage": 0.0, "symptom_coverage": 0.0, "explained_share": 0.0,
    "symptom_likeness": 0.0, "pattern_strength": -1, "pattern_counts_as_proof": True, "words_count_as_proof": True,
    "exact_signature": False, "exception_agrees": False, "exception_shared_by": 0, "exception_disagrees": False,
    "library_hint": False, "raised_elsewhere": False, "frame_hint": 0.0, "symptom_entry": False, "summary": False,
    "pack": False,
    "example_similarity": 0.0, "example_probability": 0.0, "description": False,
}  # fmt: skip


def evidence_columns(
    n: int, given: Mapping[str, list[object]], defaults: Mapping[str, object] = NO_EVIDENCE
) -> dict[str, list[object]]:
    """`n` candidates' evidence columns, each row as in `defaults` except the columns `given` (a value per row)."""
    return {k: given.get(k, [v] * n) for k, v in defaults.items()}


def evidence_rows(columns: dict[str, list[object]], rows: slice = slice(None)) -> Evidence:
    """The `Evidence` of `evidence_columns`' rows (`rows`: some of them)."""
    return Evidence(**{k: np.array(v[rows]) for k, v in columns.items()})


@pytest.fixture(scope="session")
def demo_engine() -> Engine:
    return Engine.load([FIXTURES / "kb"])


@pytest.fixture(scope="session")
def bundled_engine() -> Engine:
    return Engine.load([REPO / "knowledge"])


def demo_entry(entry_id: str, signature: str, *patterns: str, exception: str, category: str) -> Entry:
    """A reproduced fixture entry of one signature and the given patterns, for tests of one evidence rule."""
    return Entry(
        id=entry_id,
        title=signature,
        domain="demo",
        category=category,
        verification=Verification.REPRODUCED,
        fix_rate=0.9,
        root_cause="A fixture.",
        exception=exception,
        signatures=(signature,),
        patterns=patterns,
    )


def disagreements(entries: Sequence[Entry], text: str) -> dict[str, bool]:
    """Per entry id: whether `text` contradicts it (the exception-disagreement column), with only `entries` loaded."""
    assessed = Matcher([build_index(tuple(entries))]).assess(text)
    ids = [e.id for e in assessed.entries]
    return dict(zip(ids, assessed.evidence.exception_disagrees.tolist(), strict=True))


def best_entry_id(engine: Engine, text: str) -> str | None:
    """The id of the entry `engine` ranks first for `text`, or None when nothing matches."""
    best = engine.match(text, top=3).best
    return best.entry.id if best else None


def write_corpus(tmp_path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    """A corpus directory for `knownfix tune` holding `rows` (our own cases) as one JSON-lines file."""
    path = tmp_path / "corpus"
    path.mkdir()
    (path / "own.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_python(code: str, tmp_path: Path, env: Mapping[str, str] | None = None) -> str:
    """Run `code` in a fresh interpreter and return what it printed: a real traceback for the tests. Its standard
    input is closed, as under an editor's output pane (input() raises instead of waiting); `env`: its environment,
    this process's when None."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        env=None if env is None else dict(env),
    )
    return proc.stdout + proc.stderr


@pytest.fixture
def real_traceback(tmp_path: Path) -> Callable[[str], str]:
    return lambda code: run_python(code, tmp_path)


# -- the store contract: store tests take `database` and run once per backend -------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the session. Without one the postgres tests skip with the reason,
    except in CI (CI=true), where they fail: CI must never pass by skipping them."""
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL server did not start: {exc}", pytrace=False)
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """An empty database of each backend in turn: a SQLite file, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "k.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()
