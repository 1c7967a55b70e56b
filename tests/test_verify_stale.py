"""`kb verify` tells an entry whose reproducer no longer raises (fixed upstream) from one whose reproducer raises
something else, `--mark` records a stale entry as `stale`, and stats and replies show it."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

from bot.chat.embed import render_embed
from bot.engine import Engine
from bot.knowledge.loader import load_knowledge
from bot.matching.matcher import Confidence, Match
from bot.reply import build_reply

from .conftest import REPO
from .test_knowledge import GOOD, write
from .test_verify_sandbox import entry_with_reproducer

NUMPY = f"numpy {importlib.metadata.version('numpy')}"
# An entry the kb once reproduced, whose reproducer now runs clean: the library fixed it.
FIXED_UPSTREAM = (
    entry_with_reproducer("fixed-upstream", "import numpy\nprint(numpy.zeros(2))")
    .replace("ValueError: bad thing", "ValueError: frobnicated widget")
    .replace("verification: ai_generated", 'verification: reproduced\nverified_on: "numpy 1.0.0"')
    .replace("requires: []", "requires: [numpy]")
)
# Raises a KeyError, which another entry of the kb is about.
RAISES_OTHER = entry_with_reproducer("raises-other", "{}['nope']")
KEY_ERROR = (
    GOOD.replace("demo/good", "demo/key-error")
    .replace("ValueError: bad thing", "KeyError: 'nope'")
    .replace("exception: ValueError", "exception: KeyError")
    .replace("category: value_error", "category: key_error")
)
# Never raised anything here: a broken reproducer, not news from upstream.
NEVER_RAISED = entry_with_reproducer("never-raised", "x = 1")


def knownfix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "KNOWNFIX_CACHE_DIR": "off"},
    )


def knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(root, "demo/fixed-upstream.yaml", FIXED_UPSTREAM)
    write(root, "demo/raises-other.yaml", RAISES_OTHER)
    write(root, "demo/key-error.yaml", KEY_ERROR)
    write(root, "demo/never-raised.yaml", NEVER_RAISED)
    return root


def line_of(output: str, entry_id: str) -> str:
    return next(line for line in output.splitlines() if f" {entry_id} " in line)


def test_verify_tells_fixed_upstream_from_raising_something_else(tmp_path: Path) -> None:
    root = knowledge(tmp_path)
    proc = knownfix("--knowledge", str(root), "kb", "verify")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the mismatch and the broken reproducer fail
    stale = line_of(proc.stdout, "demo/fixed-upstream")
    assert stale.startswith("stale ")
    assert f"no longer raises on {NUMPY} — fixed upstream?" in stale
    assert "reproduced on numpy 1.0.0" in stale
    other = line_of(proc.stdout, "demo/raises-other")
    assert other.startswith("mismatched ")
    assert "raises something else" in other and "demo/key-error" in other
    never = line_of(proc.stdout, "demo/never-raised")
    assert never.startswith("no-error ") and "fixed upstream" not in never
    summary = proc.stdout.strip().splitlines()[-2:]
    assert summary[0].split() == ["entries", "reproducible", "reproduced", "stand-ins", "stale", "failing", "skipped"]
    assert summary[1].split() == ["4", "3", "0", "0", "1", "3", "0"]


def test_mark_records_stale_and_stats_and_replies_show_it(tmp_path: Path) -> None:
    root = knowledge(tmp_path)
    marked = knownfix("--knowledge", str(root), "kb", "verify", "--only", "demo/fixed-upstream", "--mark")
    assert marked.returncode == 0, marked.stdout + marked.stderr  # recorded now, so nothing is left to fix
    text = (root / "demo/fixed-upstream.yaml").read_text(encoding="utf-8")
    assert "verification: stale\n" in text and f'verified_on: "{NUMPY}"' in text and "numpy 1.0.0" not in text
    kb = load_knowledge([root])
    assert kb.problems == ()
    entry = kb.by_id["demo/fixed-upstream"]
    assert entry.verification.value == "stale" and entry.verified_on == NUMPY

    stats = knownfix("--knowledge", str(root), "kb", "stats")
    assert stats.returncode == 0, stats.stderr
    rows = stats.stdout.splitlines()
    columns = rows[0].split()
    demo = dict(zip(columns, rows[2].split(), strict=True))
    assert demo["stale"] == "1" and demo["reproduced"] == "0" and demo["ai_generated"] == "3"

    shown = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(root), "match", "-"],
        input="ValueError: frobnicated widget",
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "KNOWNFIX_CACHE_DIR": "off"},
    )
    assert shown.returncode == 0, shown.stderr
    assert f"[stale on {NUMPY}]" in shown.stdout


def test_the_embed_badge_says_an_entry_may_be_fixed_upstream(tmp_path: Path) -> None:
    root = knowledge(tmp_path)
    path = root / "demo/fixed-upstream.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("verification: reproduced", "verification: stale"))
    engine = Engine.from_knowledge(load_knowledge([root]))
    entry = engine.kb.by_id["demo/fixed-upstream"]
    reply = build_reply(Match(entry, 0.9, Confidence.HIGH, "signature"), ())
    description = render_embed(reply).embed.description or ""
    assert "stale" in description and "numpy 1.0.0" in description and "unverified" not in description
