"""Draft entries from help threads: written lint-valid, never loaded, promoted only once rewritten."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.drafts import DraftError, list_drafts, promote, save_draft, split_answer
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.matching.extract import extract

from .conftest import FIXTURES, REPO

QUESTION = """my training dies, any idea?
```
Traceback (most recent call last):
  File "/home/ann/proj/train.py", line 12, in <module>
    import torch
flibbertigibbet.errors.WidgetJammedError: widget 4411 jammed at /var/lib/widgets/w17.sock after 3 retries
```"""
ANSWER = (
    "<@123456789012345678> The widget socket is left behind when the daemon crashes. Delete it and restart:\n"
    "```bash\nrm /var/lib/widgets/*.sock\n```"
)
SOURCE = "https://discord.com/channels/1/2/3"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A writable copy of the small demo knowledge base, the target of promotions."""
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "kb", target)
    return target


def kb_of(directory: Path) -> KnowledgeBase:
    return load_knowledge([directory])


def rewrite(path: Path) -> None:
    """What a curator does: the copied sentences in their own words; the draft's header stays."""
    text = path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(text)
    data["root_cause"] = "A crashed daemon leaves its socket file behind, and the next start refuses to reuse it."
    data["workarounds"][0]["title"] = "Remove the stale socket file"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_a_draft_is_a_valid_entry_under_its_domain_and_never_loaded(tmp_path: Path, knowledge: Path) -> None:
    drafts = tmp_path / "drafts"
    saved = save_draft(drafts, extract(QUESTION), ANSWER, SOURCE, kb_of(knowledge))
    assert saved.path.parent == drafts / saved.id.split("/")[0] and saved.id.startswith("pytorch/")
    data = yaml.safe_load(saved.path.read_text(encoding="utf-8"))
    assert data["title"].startswith("flibbertigibbet.errors.WidgetJammedError: widget 4411")
    assert data["exception"] == "flibbertigibbet.errors.WidgetJammedError"
    assert data["verification"] == "ai_generated" and data["category"] == "widget_jammed_error"
    assert data["workarounds"][0]["code"].strip() == "rm /var/lib/widgets/*.sock"
    assert data["workarounds"][0]["lang"] == "bash"
    assert "123456789012345678" not in saved.path.read_text(encoding="utf-8")  # no user id in the file
    assert SOURCE in data["source_note"]
    assert saved.id not in kb_of(knowledge).by_id  # the knowledge base does not see it


def test_a_fresh_draft_lists_its_copied_sentences_as_problems(tmp_path: Path, knowledge: Path) -> None:
    drafts = tmp_path / "drafts"
    saved = save_draft(drafts, extract(QUESTION), ANSWER, SOURCE, kb_of(knowledge))
    [status] = list_drafts(drafts, kb_of(knowledge))
    assert status.id == saved.id
    assert [p.split(":")[0] for p in status.problems] == ["root_cause", "workarounds[0].title"]
    with pytest.raises(DraftError, match="not ready: root_cause"):
        promote(drafts, saved.id, knowledge, kb_of(knowledge))
    assert saved.path.exists() and not (knowledge / f"{saved.id}.yaml").exists()


def test_a_rewritten_draft_is_promoted_and_then_loads(tmp_path: Path, knowledge: Path) -> None:
    drafts = tmp_path / "drafts"
    saved = save_draft(drafts, extract(QUESTION), ANSWER, SOURCE, kb_of(knowledge))
    rewrite(saved.path)
    assert list_drafts(drafts, kb_of(knowledge))[0].problems == ()
    target = promote(drafts, saved.id, knowledge, kb_of(knowledge))
    assert target == knowledge / f"{saved.id}.yaml" and not saved.path.exists()
    assert not target.read_text(encoding="utf-8").startswith("#")  # the draft's header stays behind
    loaded = kb_of(knowledge)
    assert saved.id in loaded.by_id and not [p for p in loaded.problems if saved.id in p.path]


def test_a_draft_that_does_not_lint_is_listed_and_not_promoted(tmp_path: Path, knowledge: Path) -> None:
    drafts = tmp_path / "drafts"
    saved = save_draft(drafts, extract(QUESTION), ANSWER, SOURCE, kb_of(knowledge))
    rewrite(saved.path)
    saved.path.write_text(saved.path.read_text(encoding="utf-8").replace("fix_rate: 0.5", "fix_rate: 50"))
    [status] = list_drafts(drafts, kb_of(knowledge))
    assert any(p.startswith("fix_rate:") for p in status.problems)
    with pytest.raises(DraftError, match="fix_rate"):
        promote(drafts, saved.id, knowledge, kb_of(knowledge))


def test_two_drafts_of_one_error_get_two_ids(tmp_path: Path, knowledge: Path) -> None:
    drafts = tmp_path / "drafts"
    first = save_draft(drafts, extract(QUESTION), ANSWER, SOURCE, kb_of(knowledge))
    second = save_draft(drafts, extract(QUESTION), "Another answer.", SOURCE, kb_of(knowledge))
    assert second.id == first.id + "-2" and first.path.exists() and second.path.exists()


def test_promote_refuses_an_id_that_is_no_draft(tmp_path: Path, knowledge: Path) -> None:
    with pytest.raises(DraftError, match="no draft"):
        promote(tmp_path / "drafts", "python/nothing-here", knowledge, kb_of(knowledge))
    with pytest.raises(DraftError, match="not an entry id"):
        promote(tmp_path / "drafts", "../../etc/passwd", knowledge, kb_of(knowledge))


def test_an_answer_splits_into_prose_and_code() -> None:
    prose, code, lang = split_answer("Try this <#42>:\n```py\nx = 1\n```\nthen rerun.")
    assert prose == "Try this : then rerun." and code == "x = 1" and lang == "py"
    assert split_answer("```unclosed fence " + "a" * 10_000)[1] == ""  # bounded, no code taken


# -- knownfix kb drafts ---------------------------------------------------------------------------------------


def knownfix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )


def test_cli_lists_drafts_with_problems_then_promotes_a_clean_one(tmp_path: Path, knowledge: Path) -> None:
    drafts = tmp_path / "drafts"
    saved = save_draft(drafts, extract(QUESTION), ANSWER, SOURCE, kb_of(knowledge))
    listed = knownfix("--knowledge", str(knowledge), "kb", "drafts", "--drafts", str(drafts))
    assert listed.returncode == 1, listed.stderr
    assert f"{saved.id}: flibbertigibbet" in listed.stdout and "2 problem(s)" in listed.stdout
    refused = knownfix("--knowledge", str(knowledge), "kb", "drafts", "--drafts", str(drafts), "--promote", saved.id)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "not ready" in refused.stderr
    rewrite(saved.path)
    done = knownfix("--knowledge", str(knowledge), "kb", "drafts", "--drafts", str(drafts), "--promote", saved.id)
    assert done.returncode == 0, done.stderr
    assert (knowledge / f"{saved.id}.yaml").is_file()
    lint = knownfix("--knowledge", str(knowledge), "kb", "lint")
    assert saved.id not in lint.stdout, lint.stdout


def test_cli_drafts_on_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    done = knownfix("kb", "drafts", "--drafts", str(tmp_path / "f"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not a directory" in done.stderr
