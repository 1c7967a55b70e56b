from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from bot.cli.reading import read_bounded
from bot.matching.extract import MAX_CHARS, bound_text

from .conftest import FIXTURES, REPO

KB = ["--knowledge", str(FIXTURES / "kb")]


def knownfix(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def test_match_prints_a_readable_reply_for_a_real_pytorch_traceback() -> None:
    proc = knownfix("match", str(REPO / "examples/mat1-mat2-traceback.txt"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "pytorch/mat1-mat2-shape-mismatch" in out
    assert "Root cause" in out and "Workarounds (ranked by fix rate)" in out and "Dead ends" in out
    assert "fixes " in out and "fails " in out


def test_match_reads_stdin_and_says_no_match_plainly() -> None:
    proc = knownfix(*KB, "match", "-", stdin="what a lovely day")
    assert proc.returncode == 1
    assert proc.stdout.startswith("No known fix matched")


def test_match_json_has_the_reply() -> None:
    proc = knownfix(
        *KB, "match", "--json", stdin="RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    )
    data = json.loads(proc.stdout)
    assert data["matches"][0]["id"] == "demo/shape-mismatch"
    assert data["entry"]["workarounds"][0]["title"] == "Set in_features to the flattened size"
    assert data["reply"] is True


def test_jsonl_batch_keeps_order_and_survives_bad_lines() -> None:
    lines = [
        json.dumps({"text": "ModuleNotFoundError: No module named 'torch'"}),
        "this is not json",
        json.dumps({"text": "hello there"}),
        json.dumps({"nottext": 1}),
        json.dumps({"text": "ERROR: Failed building wheel for tokenizers"}),
    ]
    proc = knownfix(*KB, "match", "--jsonl", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["matches"][0]["id"] == "demo/module-not-found" and out[0]["reply"] is True
    assert out[1]["matches"] == [] and "error" in out[1]
    assert out[2]["reply"] is False
    assert "error" in out[3]
    assert out[4]["matches"][0]["id"] == "demo/pip-wheel"
    assert set(out[0]["matches"][0]) >= {"id", "score", "confidence"}


def test_jsonl_batch_survives_lines_that_are_not_utf8_or_nested_too_deeply(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(
        b'{"text": "caf\xe9"}\n'
        + b"[" * 100_000
        + b"\n"
        + json.dumps({"text": "ModuleNotFoundError: No module named 'torch'"}).encode()
        + b"\n"
    )
    for args, stdin in ((["match", "--jsonl", str(cases)], ""), (["match", "--jsonl"], None)):
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *KB, *args],
            input=cases.read_bytes() if stdin is None else b"",
            capture_output=True,
            timeout=120,
            cwd=REPO,
        )
        assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
        out = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [("error" in r) for r in out] == [True, True, False]
        assert out[2]["matches"][0]["id"] == "demo/module-not-found"


def test_kb_lint_exit_codes(tmp_path: Path) -> None:
    assert knownfix(*KB, "kb", "lint").returncode == 0
    bad = tmp_path / "demo" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("id: demo/bad\ntitle: x\nfix_rate: 2\n", encoding="utf-8")
    proc = knownfix("--knowledge", str(tmp_path), "kb", "lint")
    assert proc.returncode == 1
    assert f"{bad}: fix_rate: must be from 0 to 1" in proc.stdout
    assert f"{bad}: domain: is required" in proc.stdout


def test_import_md_then_export_md_gives_the_seed_back(tmp_path: Path) -> None:
    seed = FIXTURES / "seed-entry.md"
    imported = knownfix("kb", "import-md", str(seed), "--out", str(tmp_path))
    assert imported.returncode == 0, imported.stdout
    target = tmp_path / "pytorch/optimizer-step-without-loss-backward.yaml"
    assert target.exists()
    exported = knownfix("--knowledge", str(tmp_path), "kb", "export-md", "pytorch/optimizer-step-without-loss-backward")
    assert exported.stdout == seed.read_text(encoding="utf-8")


def test_kb_show_stats_and_eval(tmp_path: Path) -> None:
    show = knownfix(*KB, "kb", "show", "demo/loss-nan")
    assert "id: demo/loss-nan" in show.stdout
    stats = knownfix(*KB, "kb", "stats")
    assert "demo" in stats.stdout and "community" in stats.stdout
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"text": "my loss explodes to nan", "expected": "demo/loss-nan"})
        + "\n"
        + json.dumps({"text": "good night all", "expected": None})
        + "\n",
        encoding="utf-8",
    )
    ev = knownfix(*KB, "eval", str(cases))
    assert "top-1 1.000" in ev.stdout and "passive false replies 0.000" in ev.stdout


# --- user mistakes: one line on stderr, exit 2, never a traceback ---------------------------------------------

SEED = FIXTURES / "seed-entry.md"


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the wrong things people hand the command line."""
    d = tmp_path_factory.mktemp("bad-inputs")
    (d / "not-json.jsonl").write_text('{"text": "my loss is nan", "expected": null}\n{oops\n', encoding="utf-8")
    (d / "no-text.jsonl").write_text('{"expected": "demo/loss-nan"}\n', encoding="utf-8")
    (d / "text-not-string.jsonl").write_text('{"text": 3, "expected": null}\n', encoding="utf-8")
    (d / "not-object.jsonl").write_text('["my loss is nan"]\n', encoding="utf-8")
    (d / "expected-not-string.jsonl").write_text('{"text": "my loss is nan", "expected": 5}\n', encoding="utf-8")
    (d / "unknown-expected.jsonl").write_text('{"text": "my loss is nan", "expected": "demo/nope"}\n', encoding="utf-8")
    (d / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    (d / "latin1.jsonl").write_bytes(b'{"text": "caf\xe9 loss nan", "expected": null}\n')
    (d / "a-file").write_text("x\n", encoding="utf-8")
    (d / "empty-dir").mkdir()
    (d / "not-a-db.sqlite3").write_text("hello\n", encoding="utf-8")
    with sqlite3.connect(d / "foreign.sqlite3") as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    return d


MISTAKES: list[tuple[list[str], list[str]]] = [
    (["match", "{d}/missing.txt"], ["missing.txt", "no such file"]),
    (["match", "{d}"], ["is a directory"]),
    (["match", "/proc/self/mem"], ["/proc/self/mem", "cannot read"]),
    (["match", "--top", "0", "-"], ["--top"]),
    (["match", "--top", "-3", "-"], ["--top"]),
    (["match", "--top", "many", "-"], ["--top"]),
    (["eval", "{d}/missing.jsonl"], ["missing.jsonl", "no such file"]),
    (["eval", "{d}"], ["is a directory"]),
    (["eval", "{d}/not-json.jsonl"], ["not-json.jsonl", "line 2", "not JSON"]),
    (["eval", "{d}/no-text.jsonl"], ["line 1", '"text"']),
    (["eval", "{d}/text-not-string.jsonl"], ["line 1", '"text"']),
    (["eval", "{d}/not-object.jsonl"], ["line 1", "object"]),
    (["eval", "{d}/expected-not-string.jsonl"], ["line 1", '"expected"']),
    ([*KB, "eval", "{d}/unknown-expected.jsonl"], ["line 1", "demo/nope"]),
    (["eval", "{d}/empty.jsonl"], ["no cases"]),
    (["eval", "{d}/latin1.jsonl"], ["line 1", "UTF-8"]),
    (["--knowledge", "{d}/missing", "match", "-"], ["missing", "does not exist"]),
    (["--knowledge", "{d}/a-file", "kb", "lint"], ["a-file", "not a directory"]),
    (["--knowledge", "{d}/empty-dir", "kb", "stats"], ["empty-dir", "no entries"]),
    ([*KB, "kb", "show", "demo/nope"], ["demo/nope", "no entry"]),
    ([*KB, "kb", "export-md", "demo/nope"], ["demo/nope", "no entry"]),
    (["kb", "import-md", "{d}/missing.md"], ["missing.md", "no such file"]),
    (["kb", "import-md", "{d}"], ["is a directory"]),
    (["kb", "import-md", str(SEED), "--out", "{d}/a-file"], ["a-file", "not a directory"]),
    (["kb", "import-deadends", "{d}/missing", "{d}/out"], ["missing", "does not exist"]),
    (["kb", "import-deadends", "{d}/a-file", "{d}/out"], ["a-file", "not a directory"]),
    (["kb", "import-deadends", "{d}/empty-dir", "{d}/a-file"], ["a-file", "not a directory"]),
    ([*KB, "kb", "verify", "--only", "demo/nope"], ["demo/nope", "no entry"]),
    (["kb", "verify", "--timeout", "0"], ["--timeout"]),
    (["kb", "verify", "--timeout", "nan"], ["--timeout"]),
    (["stats", "--database", "{d}/missing.sqlite3"], ["missing.sqlite3", "no such file"]),
    (["stats", "--database", "{d}"], ["is a directory"]),
    (["stats", "--database", "{d}/not-a-db.sqlite3"], ["not-a-db.sqlite3", "not a SQLite database"]),
    (["stats", "--database", "{d}/foreign.sqlite3"], ["foreign.sqlite3", "not a knownfix database"]),
    (["kb", "apply-feedback", "--database", "{d}/not-a-db.sqlite3"], ["not a SQLite database"]),
    (["run", "--config", "{d}/missing.toml"], ["missing.toml"]),
    (["run", "--config", "{d}"], ["config"]),
    (["run", "--config", "{d}/a-file"], ["a-file"]),
    ([], ["command"]),
    (["kb"], ["kb_command"]),
]


def assert_one_line_mistake(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("knownfix"), proc.stderr
    assert proc.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(("args", "words"), MISTAKES, ids=[" ".join(a) or "no-command" for a, _ in MISTAKES])
def test_a_user_mistake_gets_one_line_and_exit_2(bad: Path, args: list[str], words: list[str]) -> None:
    proc = knownfix(*(a.replace("{d}", str(bad)) for a in args), env={"DISCORD_TOKEN": "x"})
    assert_one_line_mistake(proc, *words)


def test_stats_and_apply_feedback_leave_a_foreign_database_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.sqlite3"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    before = foreign.read_bytes()
    assert knownfix("stats", "--database", str(foreign)).returncode == 2
    assert knownfix("kb", "apply-feedback", "--database", str(foreign)).returncode == 2
    assert foreign.read_bytes() == before


def test_a_path_with_a_newline_still_gives_one_line(tmp_path: Path) -> None:
    proc = knownfix("match", str(tmp_path / "two\nlines.txt"))
    assert_one_line_mistake(proc, "no such file")


def test_import_md_of_a_page_that_is_not_an_entry_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("no front matter here\n", encoding="utf-8")
    proc = knownfix("kb", "import-md", str(broken))
    assert_one_line_mistake(proc, "broken.md")


def test_top_accepts_a_positive_number() -> None:
    proc = knownfix("match", "--top", "1", "--json", str(REPO / "examples/mat1-mat2-traceback.txt"))
    assert proc.returncode == 0, proc.stderr
    assert [m["id"] for m in json.loads(proc.stdout)["matches"]] == ["pytorch/mat1-mat2-shape-mismatch"]


# --- huge input keeps its head and its tail -------------------------------------------------------------------

HUGE_BYTES = 50 * 1024 * 1024  # well past any cap, as a long training log is
TRACEBACK = (REPO / "examples/mat1-mat2-traceback.txt").read_bytes()


@pytest.fixture(scope="module")
def huge_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50 MB training log whose traceback is its last lines."""
    path = tmp_path_factory.mktemp("huge") / "train.log"
    line = b"epoch 3 step 1234 loss 0.4312 lr 0.0003 grad_norm 1.27 tokens/s 51234\n"
    block = line * 10_000
    with path.open("wb") as fh:
        for _ in range(HUGE_BYTES // len(block)):
            fh.write(block)
        fh.write(TRACEBACK)
    return path


def test_a_huge_file_is_matched_by_the_traceback_at_its_end(huge_log: Path) -> None:
    proc = knownfix("match", str(huge_log))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pytorch/mat1-mat2-shape-mismatch" in proc.stdout


def test_a_huge_pipe_on_stdin_is_matched_by_the_traceback_at_its_end(huge_log: Path) -> None:
    # `cat` makes stdin a pipe, which cannot seek: the tail has to be streamed
    with subprocess.Popen(["cat", str(huge_log)], stdout=subprocess.PIPE) as cat:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "match", "-"],
            stdin=cat.stdout,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pytorch/mat1-mat2-shape-mismatch" in proc.stdout


@pytest.mark.parametrize("seekable", [True, False], ids=["file", "pipe"])
def test_reading_huge_input_holds_only_its_head_and_tail(huge_log: Path, seekable: bool) -> None:
    cat = None if seekable else subprocess.Popen(["cat", str(huge_log)], stdout=subprocess.PIPE)
    stream = huge_log.open("rb") if cat is None else cat.stdout
    assert stream is not None
    tracemalloc.start()
    try:
        with stream:
            text = read_bounded(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        if cat is not None:
            cat.wait()
    assert text.endswith(TRACEBACK.decode())
    assert peak < HUGE_BYTES // 10, peak  # nowhere near the whole input, let alone twice


def read_through_a_pipe(data: bytes) -> str:
    read_end, write_end = os.pipe()

    def write() -> None:
        with open(write_end, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=write)
    writer.start()
    with open(read_end, "rb") as stream:
        text = read_bounded(stream)
    writer.join()
    return text


def mixed_bytes(size: int, shift: int) -> bytes:
    """Text of 1- to 4-byte UTF-8 characters and a few invalid bytes, `shift` bytes off any alignment."""
    unit = "a€é\U0001f600b\n".encode() + b"\xff\xc3"  # the last two are not valid UTF-8
    return b"x" * shift + unit * (size // len(unit))


@pytest.mark.parametrize("shift", range(4))
@pytest.mark.parametrize("size", [MAX_CHARS, 4 * MAX_CHARS + 7, 3 * 1024 * 1024])
def test_the_cli_cut_and_the_engine_cut_agree(size: int, shift: int) -> None:
    data = mixed_bytes(size, shift)
    via_cli = read_bounded(io.BytesIO(data))
    via_cli_pipe = read_through_a_pipe(data)
    whole = data.decode("utf-8", errors="replace")
    assert bound_text(via_cli) == bound_text(whole)
    assert bound_text(via_cli_pipe) == bound_text(whole)
