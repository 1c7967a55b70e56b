from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bot.feedback.votes import NONE_FIXED, workaround_option
from bot.knowledge.loader import load_knowledge
from bot.store import Store, StoredReply

from .conftest import FIXTURES, REPO


async def test_apply_feedback_rewrites_only_the_rates(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(FIXTURES / "kb", kb_dir)
    db = tmp_path / "k.sqlite3"
    async with Store(db) as store:
        await store.record_reply(
            StoredReply(1, 2, 3, 4, 5, "demo/loss-nan", ("clip-gradients", "lower-learning-rate"), 0.9, "high")
        )
        for user in range(10):
            await store.add_vote(1, user, workaround_option("lower-learning-rate"))
        await store.add_vote(1, 99, NONE_FIXED)
    before = (kb_dir / "demo/loss-nan.yaml").read_text(encoding="utf-8")

    def knownfix(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "--knowledge", str(kb_dir), *args, "--database", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )

    stats = knownfix("stats")
    assert "demo/loss-nan lower-learning-rate" in stats.stdout and "60%" in stats.stdout
    applied = knownfix("kb", "apply-feedback")
    assert applied.returncode == 0 and "1 file(s) updated" in applied.stdout
    after = (kb_dir / "demo/loss-nan.yaml").read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    assert len(removed) == 2 and all("success_rate" in line for line in removed)
    assert sorted(line.strip() for line in added) == [
        "applied_votes: {fixed: 0, failed: 1}",
        "applied_votes: {fixed: 10, failed: 1}",
        "success_rate: 0.62",  # (0.7 * 8 + 0) / (8 + 1): a community entry's prior is worth 8 reports
        "success_rate: 0.78",  # (0.6 * 8 + 10) / (8 + 11)
    ]
    entry = load_knowledge([kb_dir]).by_id["demo/loss-nan"]
    assert entry.workarounds[0].success_rate > 0.6  # ten people said #1 worked
    assert entry.workarounds[1].success_rate < 0.7  # one said neither did

    # The votes now live in the curated rates: neither the report nor a second run counts them again.
    assert "demo/loss-nan lower-learning-rate" not in knownfix("stats").stdout
    again = knownfix("kb", "apply-feedback")
    assert "0 file(s) updated" in again.stdout
    assert (kb_dir / "demo/loss-nan.yaml").read_text(encoding="utf-8") == after
