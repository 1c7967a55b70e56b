"""The benchmark harness runs end to end on a tiny knowledge base; no timing is asserted."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.inputs import query_texts, traceback, training_log
from benchmarks.report import ROWS, render
from benchmarks.run import Settings, run_benchmarks

from .conftest import FIXTURES, REPO

TINY = Settings(
    reps=3,
    budget_s=0.2,
    chat=10,
    synthetic=30,
    voters=5,
    votes_each=2,
    replies=10,
    feedback_reps=3,
    timeout_s=300,
    hostile_reps=1,
)


def tiny_canon(n: int) -> dict[str, Any]:
    return {
        "id": f"demo{n}/thing-{n}/linux",
        "url": f"https://deadends.dev/demo{n}/thing-{n}/linux",
        "error": {"signature": f"ValueError: widget {n} is broken", "regex": f"widget {n}", "domain": f"demo{n}",
                  "category": "value_error"},
        "verdict": {"fix_success_rate": 0.7, "summary": f"Widget {n} was configured wrongly."},
        "workarounds": [{"action": "Reconfigure the widget", "success_rate": 0.8, "how": "widget --reset"}],
        "dead_ends": [{"action": "Reboot", "why_fails": "The config survives a reboot", "fail_rate": 0.9}],
        "transition_graph": {"leads_to": [], "preceded_by": [], "frequently_confused_with": []},
        "metadata": {"review_status": "auto_generated"},
    }  # fmt: skip


def test_generated_inputs_have_the_promised_shape() -> None:
    assert traceback(60).count("\n") == 60
    log = training_log(5_000)
    assert log.count("\n") == 5_000 and log.rstrip().endswith(query_texts()["one-line error"])


def test_benchmarks_run_on_a_tiny_knowledge_base(tmp_path: Path) -> None:
    canons = tmp_path / "canons"
    for n in range(3):
        path = canons / f"demo{n}" / f"thing-{n}" / "linux.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(tiny_canon(n)), encoding="utf-8")

    results = run_benchmarks(TINY, FIXTURES / "kb", canons, progress=io.StringIO())
    sizes = results["sizes"]
    assert [s.get("error") for s in sizes] == [None, None, None]
    assert [s["entries"] for s in sizes] == [4, 7, 34]
    assert set(sizes[0]["latency"]) == set(query_texts())
    assert "skipped" in results["feedback"] or results["feedback"]["votes"] > 0
    json.dumps(results)  # --json must be able to print it

    table = render(results)
    for label, *_ in ROWS:
        assert label in table
    assert "(1) ours" in table and "(3)/(1)" in table
    assert "feedback store" in table
    assert "hostile input" in table and "worst match" in table


def test_cli_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert proc.returncode == 0 and "--quick" in proc.stdout and "--json" in proc.stdout
