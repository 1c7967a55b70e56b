from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import FIXTURES, REPO

KB = ["--knowledge", str(FIXTURES / "kb")]


def knownfix(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=REPO
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
