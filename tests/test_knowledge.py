from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.loader import dump_entry, load_knowledge
from bot.knowledge.markdown import parse_markdown, render_markdown
from bot.knowledge.patterns import compile_pattern, pattern_problem, search_bounded
from bot.knowledge.validate import entry_from_mapping

from .conftest import FIXTURES

GOOD = """\
id: demo/good
title: "ValueError: bad thing"
domain: demo
category: value_error
exception: ValueError
signatures: ["ValueError: bad thing"]
verification: ai_generated
fix_rate: 0.8
root_cause: Something bad.
workarounds:
  - {id: good-thing, title: Do the good thing, success_rate: 0.8, code: good()}
dead_ends:
  - {action: Do the bad thing, why: It is bad., fail_rate: 0.9}
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str, rel: str = "demo/good.yaml") -> list[str]:
    write(tmp_path, rel, text)
    return [str(p) for p in load_knowledge([tmp_path]).problems]


def test_a_good_entry_loads_into_a_frozen_entry(tmp_path: Path) -> None:
    write(tmp_path, "demo/good.yaml", GOOD)
    kb = load_knowledge([tmp_path])
    assert kb.problems == ()
    entry = kb.by_id["demo/good"]
    assert entry.exception_name == "ValueError"
    with pytest.raises(AttributeError):
        entry.title = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (("fix_rate: 0.8", "fix_rate: 95"), "fix_rate", "from 0 to 1"),
        (("success_rate: 0.8", "success_rate: 1.5"), "workarounds[0].success_rate", "from 0 to 1"),
        (("fail_rate: 0.9", "fail_rate: -1"), "dead_ends[0].fail_rate", "from 0 to 1"),
        (("category: value_error", "category: value_error\ncolour: red"), "colour", "unknown field"),
        (("id: demo/good", "id: demo/other"), "id", "does not match the file's path"),
        (("verification: ai_generated", "verification: trust-me"), "verification", "must be one of"),
        (("root_cause: Something bad.", ""), "root_cause", "is required"),
        (("exception: ValueError", "exception: ValueError\npatterns: ['(unclosed']"), "patterns[0]", "compile"),
        (("exception: ValueError", "exception: ValueError\npatterns: ['(a+)+$']"), "patterns[0]", "backtrack"),
        (("exception: ValueError", "exception: ValueError\npatterns: ['x.*.*y']"), "patterns[0]", "backtrack"),
        (("code: good()}", "code: good(), cost: 3}"), "workarounds[0].cost", "unknown field"),
    ],
)
def test_problems_name_the_file_and_the_field(tmp_path: Path, change: tuple[str, str], field: str, says: str) -> None:
    problems = problems_of(tmp_path, GOOD.replace(*change))
    assert any(p.startswith(f"{tmp_path / 'demo/good.yaml'}: {field}:") and says in p for p in problems), problems


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD + "workarounds: [unclosed\n")
    assert len(problems) == 1
    assert problems[0].startswith(str(tmp_path / "demo/good.yaml") + ": line ")
    assert "invalid YAML" in problems[0]


def test_one_broken_entry_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path, "demo/good.yaml", GOOD)
    write(tmp_path, "demo/broken.yaml", "id: [this is : not an entry\n")
    write(tmp_path, "demo/empty.yaml", "")
    kb = load_knowledge([tmp_path])
    assert list(kb.by_id) == ["demo/good"]
    assert {Path(p.path).name for p in kb.problems} == {"broken.yaml", "empty.yaml"}


def test_duplicate_ids_across_directories_keep_the_first(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write(first, "demo/good.yaml", GOOD)
    write(second, "demo/good.yaml", GOOD.replace("Something bad.", "Another cause."))
    kb = load_knowledge([first, second])
    assert kb.by_id["demo/good"].root_cause == "Something bad."
    assert any("duplicate id" in p.message for p in kb.problems)


def test_related_ids_must_exist(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD + "related: [demo/missing]\n")
    assert any("related[0]" in p and "demo/missing" in p for p in problems)


def test_entry_yaml_round_trips_through_dump(tmp_path: Path) -> None:
    kb = load_knowledge([FIXTURES / "kb"])
    for entry in kb.entries:
        import yaml

        again, problems = entry_from_mapping(yaml.safe_load(dump_entry(entry)), entry.path or "", entry.id)
        assert problems == []
        assert again == entry


def test_seed_page_imports_and_exports_to_the_same_text() -> None:
    seed = (FIXTURES / "seed-entry.md").read_text(encoding="utf-8")
    entry, problems = entry_from_mapping(parse_markdown(seed), "seed-entry.md")
    assert problems == [] and entry is not None
    assert entry.id == "pytorch/optimizer-step-without-loss-backward"
    assert entry.fix_rate == 0.95
    assert [w.success_rate for w in entry.workarounds] == [0.95, 0.85, 0.9]
    assert [d.fail_rate for d in entry.dead_ends] == [0.8, 0.95, 0.9]
    assert render_markdown(entry) == seed


def test_full_entries_round_trip_through_markdown() -> None:
    kb = load_knowledge([FIXTURES / "kb"])
    for entry in kb.entries:
        again, problems = entry_from_mapping(parse_markdown(render_markdown(entry)), entry.path or "")
        assert problems == []
        assert again == entry


def test_safe_patterns_pass_and_hostile_input_does_not_stall() -> None:
    assert pattern_problem(r"mat1 and mat2 shapes cannot be multiplied \(\d+x\d+ and \d+x\d+\)") is None
    assert pattern_problem(r"No module named '[^']+'") is None
    # A pattern lint would reject still cannot stall a search: the time bound ends it.
    hostile = compile_pattern(r"^(a|aa)+$")
    assert search_bounded(hostile, "a" * 5000 + "!", timeout=0.05) is False
