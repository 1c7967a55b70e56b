"""Workaround ids: required, unique and slug-shaped in the files; added by scripts/add-workaround-ids.py
(idempotent, only the id lines change); derived the same way by the loader, the importer and Markdown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from bot.knowledge.ids import add_ids_to_text, slug_for
from bot.knowledge.loader import load_knowledge
from bot.knowledge.markdown import parse_markdown, render_markdown
from bot.knowledge.validate import entry_from_mapping

from .conftest import FIXTURES, REPO

SCRIPT = REPO / "scripts" / "add-workaround-ids.py"

ENTRY = """\
id: demo/ids
title: "ValueError: bad thing"
domain: demo
category: value_error
verification: ai_generated
fix_rate: 0.8
root_cause: Something bad.
workarounds:
  - title: Move the model to the same device as the input
    success_rate: 0.8
    code: model.to(x.device)
  - {title: Lower the learning rate, success_rate: 0.6}
  - id: keep-this-one
    title: Lower the learning rate
    success_rate: 0.5
dead_ends:
  - {action: Do the bad thing, why: It is bad., fail_rate: 0.9}
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_script(*args: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=60, cwd=REPO
    )


def test_a_missing_id_is_a_problem_naming_the_file_and_the_script(tmp_path: Path) -> None:
    path = write(tmp_path, "demo/ids.yaml", ENTRY)
    kb = load_knowledge([tmp_path])
    [problem] = [str(p) for p in kb.problems]
    assert problem.startswith(f"{path}: workarounds: 2 workaround(s) have no id")
    assert f"scripts/add-workaround-ids.py {path}" in problem
    # Meanwhile the entry loads with the ids the script will write, so votes land where they will stay.
    assert [w.id for w in kb.by_id["demo/ids"].workarounds] == [
        "move-model-same-device",
        "lower-learning-rate",
        "keep-this-one",
    ]


def test_duplicate_and_malformed_ids_are_problems(tmp_path: Path) -> None:
    text = ENTRY.replace("  - title: Move", "  - id: keep-this-one\n    title: Move").replace(
        "{title: Lower", "{id: Not A Slug!, title: Lower"
    )
    write(tmp_path, "demo/ids.yaml", text)
    kb = load_knowledge([tmp_path])
    problems = [f"{p.field}: {p.message}" for p in kb.problems]
    assert any(p.startswith("workarounds[1].id: 'Not A Slug!' must be a short slug") for p in problems), problems
    assert any(p.startswith("workarounds[2].id: 'keep-this-one' is already the id of workarounds[0]") for p in problems)
    ids = [w.id for w in kb.by_id["demo/ids"].workarounds]
    assert len(set(ids)) == 3  # whatever the file says, the loaded entry's ids never collide


def test_the_script_adds_only_id_lines_is_idempotent_and_agrees_with_the_loader(tmp_path: Path) -> None:
    path = write(tmp_path, "demo/ids.yaml", ENTRY)
    fallback = [w.id for w in load_knowledge([tmp_path]).by_id["demo/ids"].workarounds]
    first = run_script(tmp_path)
    assert first.returncode == 0 and "2 id(s) added in 1 file(s)" in first.stdout, first.stderr
    after = path.read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in ENTRY.splitlines()]
    assert [line for line in ENTRY.splitlines() if line not in after.splitlines()] == [
        "  - title: Move the model to the same device as the input",
        "  - {title: Lower the learning rate, success_rate: 0.6}",
    ]
    assert added == [
        "  - id: move-model-same-device",
        "    title: Move the model to the same device as the input",
        "  - {id: lower-learning-rate, title: Lower the learning rate, success_rate: 0.6}",
    ]
    kb = load_knowledge([tmp_path])
    assert kb.problems == ()
    assert [w.id for w in kb.by_id["demo/ids"].workarounds] == fallback
    second = run_script(tmp_path)
    assert "0 id(s) added in 0 file(s)" in second.stdout and path.read_text(encoding="utf-8") == after


def test_the_script_reports_a_file_it_cannot_parse_and_goes_on(tmp_path: Path) -> None:
    write(tmp_path, "demo/broken.yaml", "workarounds: [unclosed\n")
    good = write(tmp_path, "demo/ids.yaml", ENTRY)
    proc = run_script(tmp_path)
    assert proc.returncode == 1 and "broken.yaml: skipped" in proc.stderr and "Traceback" not in proc.stderr
    assert "id: move-model-same-device" in good.read_text(encoding="utf-8")


def test_every_bundled_workaround_has_a_unique_id_in_its_file() -> None:
    for path in sorted((REPO / "knowledge").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        ids = [w.get("id") for w in data.get("workarounds") or []]
        assert all(ids) and len(set(ids)) == len(ids), f"{path}: run scripts/add-workaround-ids.py"


def test_slugs_are_short_and_readable() -> None:
    assert slug_for("Move the model to the same device as the input") == "move-model-same-device"
    assert slug_for("Use .reshape() (or .flatten()) instead of .view()") == "use-reshape-flatten-instead"
    assert slug_for("!!!") == "workaround"
    assert len(slug_for("x" * 500)) <= 48
    text, added = add_ids_to_text("title: no workarounds here\n")
    assert added == 0 and text == "title: no workarounds here\n"


def test_markdown_lists_ids_only_when_they_are_not_the_derived_ones(tmp_path: Path) -> None:
    seed = (FIXTURES / "seed-entry.md").read_text(encoding="utf-8")
    entry, problems = entry_from_mapping(parse_markdown(seed), "seed-entry.md")
    assert problems == [] and entry is not None
    assert all(w.id for w in entry.workarounds) and "*Id:*" not in render_markdown(entry)
    write(tmp_path, "demo/ids.yaml", ENTRY)
    custom = load_knowledge([tmp_path]).by_id["demo/ids"]  # keep-this-one is not derived from its title
    page = render_markdown(custom)
    assert "   *Id:* keep-this-one" in page
    again, problems = entry_from_mapping(parse_markdown(page), custom.path or "")
    assert problems == [] and again == custom


def test_imported_deadends_canons_get_ids() -> None:
    from bot.knowledge.deadends import Converted, convert_canon

    from .test_deadends_import import canon

    data = canon("net/refused/linux", "ConnectionRefusedError: [Errno 111] refused")
    data["workarounds"] = [
        {"action": "Start the server", "success_rate": 0.9},
        {"action": "Start the server", "success_rate": 0.5, "how": "systemctl start thing"},
    ]
    result = convert_canon(data)
    assert isinstance(result, Converted)
    assert [w["id"] for w in result.mapping["workarounds"]] == ["start-server", "start-server-2"]
