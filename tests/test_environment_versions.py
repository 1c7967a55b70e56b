"""Version ranges in entries (`applies_to`) and the asker's pasted versions: loading, ranking, replies.

The knowledge here is written to temporary directories as real YAML files and loaded by the real loader;
the pasted environments are the real pastes under tests/fixtures/environment/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from bot.chat.embed import render_embed
from bot.engine import Engine
from bot.knowledge.loader import dump_entry, load_knowledge
from bot.knowledge.model import VersionRange
from bot.knowledge.validate import entry_from_mapping
from bot.matching.weights import default_weights
from bot.render.terminal import render_reply
from bot.reply import Reply, reply_for

from .conftest import FIXTURES, REPO

PASTES = FIXTURES / "environment"
TORCH_2_7 = (PASTES / "collect_env_windows_cu126.txt").read_text(encoding="utf-8")  # torch 2.7.0+cu126
TORCH_1_7 = (PASTES / "collect_env_colab_cu101.txt").read_text(encoding="utf-8")  # torch 1.7.0+cu101
TRANSFORMERS_4_53 = (PASTES / "pip_freeze_accelerate.txt").read_text(encoding="utf-8")  # transformers 4.53.1

ERROR = "RuntimeError: demo widget cannot be frobnicated in place"


def entry_yaml(slug: str, applies_to: str = "", workarounds: str = "", versions: str = "") -> str:
    return f"""\
id: demo/{slug}
title: "{ERROR}"
domain: demo
category: runtime_error
exception: RuntimeError
signatures: ["{ERROR}"]
verification: ai_generated
fix_rate: 0.8
root_cause: The widget is frobnicated where it cannot be.
{applies_to}
{versions}
workarounds:
{workarounds or "  - {id: copy-first, title: Copy the widget first, success_rate: 0.8, code: w = w.clone()}"}
dead_ends:
  - {{action: Frobnicate harder, why: It is the same call., fail_rate: 0.9}}
"""


def write_kb(root: Path, entries: dict[str, str]) -> Path:
    for slug, text in entries.items():
        (root / "demo").mkdir(parents=True, exist_ok=True)
        (root / "demo" / f"{slug}.yaml").write_text(text, encoding="utf-8")
    return root


def traceback(env_paste: str = "") -> str:
    frames = '  File "train.py", line 3, in <module>\n    frob(w)'
    return f"{env_paste}\nTraceback (most recent call last):\n{frames}\n{ERROR}\n"


# -- the entry format --------------------------------------------------------------------------------------


def test_applies_to_loads_frozen_on_the_entry_its_workarounds_and_version_rows(tmp_path: Path) -> None:
    text = entry_yaml(
        "ranged",
        applies_to='applies_to: {torch: ">=2.0", Python: "<3.13"}',
        versions='versions:\n  - {version: "torch 2.0", status: removed, applies_to: {torch: ">=2.0"}}',
        workarounds='  - {id: new-api, title: Call the new API, success_rate: 0.9, applies_to: {torch: ">=2.1"}}',
    )
    kb = load_knowledge([write_kb(tmp_path, {"ranged": text})])
    assert kb.problems == ()
    entry = kb.entries[0]
    assert entry.applies_to == (
        VersionRange("torch", SpecifierSet(">=2.0")),
        VersionRange("python", SpecifierSet("<3.13")),
    )
    assert entry.workarounds[0].applies_to == (VersionRange("torch", SpecifierSet(">=2.1")),)
    assert entry.versions[0].applies_to == (VersionRange("torch", SpecifierSet(">=2.0")),)
    with pytest.raises(AttributeError):
        entry.applies_to[0].library = "numpy"  # type: ignore[misc]


def test_a_bad_specifier_is_one_problem_naming_the_file_and_the_rest_loads(tmp_path: Path) -> None:
    bad = entry_yaml("bad", applies_to='applies_to: {torch: "two point oh", numpy: ">=1.24"}')
    kb = load_knowledge([write_kb(tmp_path, {"bad": bad, "good": entry_yaml("good")})])
    problems = [str(p) for p in kb.problems]
    assert len(problems) == 1
    assert str(tmp_path / "demo" / "bad.yaml") in problems[0] and "applies_to.torch" in problems[0]
    assert "'two point oh' is not a PEP 440 specifier" in problems[0]
    assert {e.id for e in kb.entries} == {"demo/bad", "demo/good"}
    assert kb.get("demo/bad").applies_to == (VersionRange("numpy", SpecifierSet(">=1.24")),)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('"torch>=2.0"', "must be a mapping of library to versions"),
        ("{torch: 2.0}", "must be a quoted PEP 440 specifier"),
        ('{"not a name": ">=1"}', "must be a package name"),
        ('{torch: ""}', "must be a quoted PEP 440 specifier"),
    ],
)
def test_malformed_applies_to_is_named(value: str, says: str) -> None:
    data = {
        "id": "demo/x", "title": "T", "domain": "demo", "category": "value_error", "verification": "community",
        "fix_rate": 0.5, "root_cause": "R.", "applies_to": None,
    }  # fmt: skip
    import yaml

    data["applies_to"] = yaml.safe_load(value)
    entry, problems = entry_from_mapping(data, "demo/x.yaml")
    assert entry is not None and entry.applies_to == ()
    assert len(problems) == 1 and says in str(problems[0]), problems


def test_applies_to_round_trips_through_the_yaml_dump(tmp_path: Path) -> None:
    text = entry_yaml(
        "ranged",
        applies_to='applies_to: {torch: ">=1.9,<2.0"}',
        workarounds='  - {id: old-api, title: Use the old API, success_rate: 0.9, applies_to: {transformers: "<4.38"}}',
    )
    entry = load_knowledge([write_kb(tmp_path, {"ranged": text})]).entries[0]
    again = load_knowledge([write_kb(tmp_path / "again", {"ranged": dump_entry(entry)})]).entries[0]
    assert again.applies_to == entry.applies_to and again.workarounds == entry.workarounds


def test_the_removed_api_entries_say_which_versions_raise() -> None:
    kb = load_knowledge([REPO / "knowledge"])
    ranges = {
        "pytorch/torch-six-removed": "torch >=2.0",
        "pytorch/torch-six-container-abcs": "torch <2.0,>=1.9",
        "numpy/alias-removed": "numpy >=1.24",
        "pandas/append-removed": "pandas >=2.0",
    }
    for entry_id, expected in ranges.items():
        entry = kb.get(entry_id)
        assert entry is not None and [str(r) for r in entry.applies_to] == [expected], entry_id
    renamed = kb.get("transformers/evaluation-strategy-renamed")
    assert renamed is not None
    by_id = {w.id: [str(r) for r in w.applies_to] for w in renamed.workarounds}
    assert by_id["rename-argument-eval-strategy"] == ["transformers >=4.41"]
    assert by_id["upgrade-transformers-older-than"] == ["transformers <3.4"]


# -- ranking with the asker's versions -----------------------------------------------------------------------


@pytest.fixture
def two_versions(tmp_path: Path) -> Engine:
    """One error, two entries: its wording before torch 2.0 and after. File order puts the old one first,
    so without versions it wins the tie."""
    return Engine.from_knowledge(
        load_knowledge(
            [
                write_kb(
                    tmp_path,
                    {
                        "a-before-2": entry_yaml("a-before-2", applies_to='applies_to: {torch: "<2.0"}'),
                        "b-since-2": entry_yaml("b-since-2", applies_to='applies_to: {torch: ">=2.0"}'),
                    },
                )
            ]
        )
    )


def test_an_entry_for_the_askers_torch_outranks_one_for_older_torch(two_versions: Engine) -> None:
    result = two_versions.match(traceback(TORCH_2_7))
    assert [m.entry.id for m in result.matches] == ["demo/b-since-2", "demo/a-before-2"]
    lowered = default_weights().environment.outside_range
    assert 0 < result.matches[0].score - result.matches[1].score <= lowered + 1e-9  # scores show capped at 1.0
    assert result.environment is not None and result.environment.version_of("torch") == "2.7.0+cu126"


def test_on_older_torch_the_older_entry_wins(two_versions: Engine) -> None:
    assert two_versions.match(traceback(TORCH_1_7)).matches[0].entry.id == "demo/a-before-2"


def test_without_pasted_versions_the_ranking_is_unchanged(two_versions: Engine) -> None:
    result = two_versions.match(traceback())
    assert [m.entry.id for m in result.matches] == ["demo/a-before-2", "demo/b-since-2"]
    assert result.matches[0].score == result.matches[1].score


# -- the reply ------------------------------------------------------------------------------------------------

TWO_WORKAROUNDS = """\
  - {id: old-kwarg, title: Pass the old keyword, success_rate: 0.9, applies_to: {transformers: "<4.38"}}
  - {id: new-kwarg, title: Pass the new keyword, success_rate: 0.6, applies_to: {transformers: ">=4.38"}}
  - {id: any-version, title: Restart the kernel, success_rate: 0.3}"""


def reply_to(tmp_path: Path, text: str, **parts: str) -> Reply:
    engine = Engine.from_knowledge(load_knowledge([write_kb(tmp_path, {"one": entry_yaml("one", **parts)})]))
    reply = reply_for(engine.match(text))
    assert reply is not None
    return reply


def test_a_workaround_not_for_the_askers_version_is_marked_and_ranked_last(tmp_path: Path) -> None:
    reply = reply_to(tmp_path, traceback(TRANSFORMERS_4_53), workarounds=TWO_WORKAROUNDS)
    assert [(r.workaround.id, r.for_asker) for r in reply.workarounds] == [
        ("new-kwarg", True),
        ("any-version", None),
        ("old-kwarg", False),
    ]
    text = render_reply(reply)
    assert "your transformers 4.53.1" in text
    assert "Pass the old keyword  — fixes 90% (curated estimate)  [not for your version: transformers <4.38]" in text
    assert "[for your version: transformers >=4.38]" in text
    fields = {f.name: f.value for f in render_embed(reply).embed.fields}
    old = next(value or "" for name, value in fields.items() if name and "Pass the old keyword" in name)
    assert old.startswith("⚠️ *Not for your version* (transformers <4.38)")
    assert str(next(iter(fields))).startswith("1️⃣ Pass the new keyword")


def test_without_pasted_versions_workarounds_keep_their_rate_order_unmarked(tmp_path: Path) -> None:
    reply = reply_to(tmp_path, traceback(), workarounds=TWO_WORKAROUNDS)
    assert [(r.workaround.id, r.for_asker) for r in reply.workarounds] == [
        ("old-kwarg", None),
        ("new-kwarg", None),
        ("any-version", None),
    ]
    assert reply.environment is None
    text = render_reply(reply)
    assert "your " not in text and "for your version" not in text


def test_the_reply_names_the_askers_torch_and_cuda_and_marks_their_version_row(tmp_path: Path) -> None:
    versions = """versions:
  - {version: "torch 1.x wording", status: changed, applies_to: {torch: "<2.0"}}
  - {version: "torch 2.x wording", status: active, applies_to: {torch: ">=2.0"}}"""
    reply = reply_to(tmp_path, traceback(TORCH_2_7), applies_to='applies_to: {torch: ">=2.0"}', versions=versions)
    assert reply.entry_for_asker is True
    assert [m.for_asker for m in reply.version_rows] == [False, True]
    text = render_reply(reply)
    assert "your torch 2.7.0 + CUDA 12.6, Python 3.10.17" in text
    assert "  → torch 2.x wording [active]" in text and "    torch 1.x wording [changed]" in text
    description = render_embed(reply).embed.description or ""
    assert "**Your versions:** torch 2.7.0 + CUDA 12.6" in description
    assert "**Your version:** torch 2.x wording" in description


def test_an_entry_for_other_versions_says_so(tmp_path: Path) -> None:
    reply = reply_to(tmp_path, traceback(TORCH_1_7), applies_to='applies_to: {torch: ">=2.0"}')
    assert reply.entry_for_asker is False
    assert "note: this entry is for torch >=2.0, not the version you pasted" in render_reply(reply)
    assert "This entry is for torch >=2.0, not the version you pasted." in (render_embed(reply).embed.description or "")


def test_match_json_carries_the_environment(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb", {"one": entry_yaml("one", applies_to='applies_to: {torch: ">=2.0"}')})
    paste = tmp_path / "paste.txt"
    paste.write_text(traceback(TORCH_2_7), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(kb), "match", "--json", str(paste)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["environment"]["packages"] == {"torch": "2.7.0+cu126"}
    assert out["environment"]["cuda"] == "12.6" and out["environment"]["gpus"] == ["NVIDIA GeForce GTX 1070"]
    assert out["entry"]["applies_to"] == {"torch": ">=2.0"} and out["entry"]["for_your_versions"] is True


def test_match_json_environment_is_null_without_a_paste(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb", {"one": entry_yaml("one")})
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(kb), "match", "--json", "-"],
        input=traceback(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["environment"] is None
