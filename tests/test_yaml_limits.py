"""Hostile knowledge files: alias bombs, values that break construction, huge values quoted in problems,
and files that are not regular files. Each bad file is one short problem line; every other entry loads."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.knowledge.loader import MAX_ALIASES, MAX_ENTRY_FILE_BYTES, load_knowledge
from bot.knowledge.validate import MAX_QUOTED_CHARS

from .conftest import REPO
from .test_knowledge import GOOD, write

# A problem line names the file and the field and quotes at most MAX_QUOTED_CHARS of a value.
LONGEST_PROBLEM_LINE = 600
# The real `kb lint` of a two-entry directory needs far less; the unfixed loader needs 15 GB for the bomb.
LINT_ADDRESS_SPACE_BYTES = 2 * 1024**3


def alias_bomb(depth: int, fanout: int = 10) -> str:
    """An entry whose `verification` is `depth` levels of `fanout` aliases: fanout**depth leaves."""
    lines = GOOD.replace("id: demo/good", "id: demo/bomb").replace("verification: ai_generated\n", "").splitlines()
    lines.append(f"a0: &a0 [{', '.join(['lol'] * fanout)}]")
    for level in range(1, depth + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fanout)}]")
    lines.append(f"verification: *a{depth}")
    return "\n".join(lines) + "\n"


def good_entry(slug: str) -> str:
    return GOOD.replace("demo/good", f"demo/{slug}")


def knowledge_with(tmp_path: Path, bad_name: str, bad_text: str) -> Path:
    root = tmp_path / "kb"
    write(root, "demo/good.yaml", good_entry("good"))
    write(root, "demo/other.yaml", good_entry("other"))
    write(root, f"demo/{bad_name}", bad_text)
    return root


def assert_one_short_problem_naming(problems: list[str], path: Path, says: str) -> None:
    assert len(problems) == 1, [p[:200] for p in problems]
    assert problems[0].startswith(str(path)), problems[0][:200]
    assert says in problems[0], problems[0][:200]
    assert len(problems[0]) <= LONGEST_PROBLEM_LINE


def test_alias_bomb_is_one_problem_and_the_other_entries_load(tmp_path: Path) -> None:
    root = knowledge_with(tmp_path, "bomb.yaml", alias_bomb(depth=5))
    kb = load_knowledge([root])
    assert sorted(kb.by_id) == ["demo/good", "demo/other"]
    assert_one_short_problem_naming([str(p) for p in kb.problems], root / "demo/bomb.yaml", "alias")


def test_alias_bomb_does_not_stop_engine_start_up(tmp_path: Path) -> None:
    """Start-up and `/kb reload` load through Engine.load (and the index cache): the same limits apply."""
    root = knowledge_with(tmp_path, "bomb.yaml", alias_bomb(depth=5))
    engine = Engine.load([root])
    assert sorted(engine.kb.by_id) == ["demo/good", "demo/other"]
    assert len(engine.kb.problems) == 1


def _limit_address_space() -> None:  # in the lint child, between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (LINT_ADDRESS_SPACE_BYTES, LINT_ADDRESS_SPACE_BYTES))


def test_nine_level_alias_bomb_through_kb_lint(tmp_path: Path) -> None:
    """The 600-byte bomb from the issue, through the real command, in a child with bounded memory."""
    root = knowledge_with(tmp_path, "bomb.yaml", alias_bomb(depth=9))
    assert (root / "demo/bomb.yaml").stat().st_size < 1200
    env = {**os.environ, "KNOWNFIX_CACHE_DIR": "off"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(root), "kb", "lint"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a safety net against a hang, not a speed check
        preexec_fn=_limit_address_space,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[-1] == "2 entries loaded, 1 problems"
    assert_one_short_problem_naming(lines[:-1], root / "demo/bomb.yaml", "alias")
    assert proc.returncode == 1


def test_many_aliases_of_a_small_value_are_one_problem(tmp_path: Path) -> None:
    text = good_entry("many") + f"symptoms: [&s it fails, {', '.join(['*s'] * (MAX_ALIASES + 1))}]\n"
    root = knowledge_with(tmp_path, "many.yaml", text)
    kb = load_knowledge([root])
    assert sorted(kb.by_id) == ["demo/good", "demo/other"]
    assert_one_short_problem_naming([str(p) for p in kb.problems], root / "demo/many.yaml", "aliases")


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    text = good_entry("shared").replace("signatures:", "symptoms: [&s 'ValueError: bad thing']\nsignatures:")
    text = text.replace('signatures: ["ValueError: bad thing"]', "signatures: [*s]")
    root = knowledge_with(tmp_path, "shared.yaml", text)
    kb = load_knowledge([root])
    assert kb.problems == ()
    assert kb.by_id["demo/shared"].signatures == ("ValueError: bad thing",)


def test_a_recursive_alias_is_one_problem(tmp_path: Path) -> None:
    root = knowledge_with(tmp_path, "loop.yaml", good_entry("loop") + "signatures: &s [a, *s]\n")
    kb = load_knowledge([root])
    assert sorted(kb.by_id) == ["demo/good", "demo/other"]
    assert_one_short_problem_naming([str(p) for p in kb.problems], root / "demo/loop.yaml", "itself")


@pytest.mark.parametrize(
    "line",
    [
        "fix_rate: " + "9" * 5000,  # int() refuses more than 4,300 digits with a ValueError
        "verified_on: 2020-13-45",  # a timestamp with no 13th month
        "fix_rate: !!float nonsense",
    ],
)
def test_values_that_cannot_be_built_are_one_problem(tmp_path: Path, line: str) -> None:
    root = knowledge_with(tmp_path, "odd.yaml", good_entry("odd").replace("fix_rate: 0.8", line))
    kb = load_knowledge([root])
    assert sorted(kb.by_id) == ["demo/good", "demo/other"]
    assert_one_short_problem_naming([str(p) for p in kb.problems], root / "demo/odd.yaml", "invalid YAML")


HUGE = "x" * 300_000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("verification: ai_generated", f"verification: {HUGE}"), "verification"),
        (("category: value_error", f"category: {HUGE.upper()}"), "category"),
        (("id: demo/huge", f"id: demo/{HUGE}"), "id"),
        (("category: value_error", f"category: value_error\n? {HUGE}\n: 1"), "x"),  # a key past 1,024 chars
        (("category: value_error", f"category: value_error\nkind: [{HUGE}]"), "kind"),
        (("fix_rate: 0.8", "fix_rate: " + "9" * 4000), "fix_rate"),
    ],
)
def test_a_huge_value_is_clipped_in_its_problem(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    path = write(tmp_path, "demo/huge.yaml", good_entry("huge").replace(*change))
    assert path.stat().st_size <= MAX_ENTRY_FILE_BYTES
    problems = [str(p) for p in load_knowledge([tmp_path]).problems]
    assert problems, "the change must produce a problem"
    assert all(len(p) <= LONGEST_PROBLEM_LINE for p in problems), [len(p) for p in problems]
    assert any(p.startswith(f"{path}: {field[:MAX_QUOTED_CHARS]}") for p in problems), [p[:120] for p in problems]


def test_a_symlinked_entry_is_skipped_and_reported(tmp_path: Path) -> None:
    outside = write(tmp_path, "outside/secret.yaml", good_entry("linked"))
    root = knowledge_with(tmp_path, "plain.yaml", good_entry("plain"))
    (root / "demo/linked.yaml").symlink_to(outside)
    (root / "linked-dir").symlink_to(outside.parent, target_is_directory=True)
    kb = load_knowledge([root])
    assert sorted(kb.by_id) == ["demo/good", "demo/other", "demo/plain"]
    problems = sorted(str(p) for p in kb.problems)
    assert len(problems) == 2, problems
    assert problems[0].startswith(str(root / "demo/linked.yaml")) and "symbolic link" in problems[0]
    assert problems[1].startswith(str(root / "linked-dir")) and "symbolic link" in problems[1]


def test_a_fifo_entry_is_skipped_and_reported_without_blocking(tmp_path: Path) -> None:
    root = knowledge_with(tmp_path, "plain.yaml", good_entry("plain"))
    os.mkfifo(root / "demo/pipe.yaml")  # opening it for reading would wait for a writer forever
    kb = load_knowledge([root])
    assert sorted(kb.by_id) == ["demo/good", "demo/other", "demo/plain"]
    assert_one_short_problem_naming([str(p) for p in kb.problems], root / "demo/pipe.yaml", "not a regular file")


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs a character device to link to")
def test_a_device_node_is_skipped_and_reported(tmp_path: Path) -> None:
    root = knowledge_with(tmp_path, "plain.yaml", good_entry("plain"))
    try:
        os.mknod(root / "demo/device.yaml", 0o600 | 0o020000, os.makedev(1, 3))  # a character device, as /dev/null
    except PermissionError:
        pytest.skip("creating device nodes is not permitted here")
    kb = load_knowledge([root])
    assert sorted(kb.by_id) == ["demo/good", "demo/other", "demo/plain"]
    assert_one_short_problem_naming([str(p) for p in kb.problems], root / "demo/device.yaml", "not a regular file")
