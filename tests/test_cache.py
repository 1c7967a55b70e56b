from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cache import knowledge_key, load_indexed

from .conftest import FIXTURES


@pytest.fixture
def kb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KNOWNFIX_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "kb"
    shutil.copytree(FIXTURES / "kb", target)
    return target


def test_second_load_comes_from_the_cache_and_equals_the_first(kb_dir: Path, tmp_path: Path) -> None:
    first_kb, first_index = load_indexed([kb_dir])
    files = list((tmp_path / "cache").glob("index-*.index"))
    assert len(files) == 1
    second_kb, second_index = load_indexed([kb_dir])
    assert second_kb.entries == first_kb.entries
    assert [ix.signature_texts for ix in second_index] == [ix.signature_texts for ix in first_index]


def test_editing_adding_or_removing_a_file_changes_the_key(kb_dir: Path) -> None:
    key = knowledge_key([kb_dir])
    entry = kb_dir / "demo" / "loss-nan.yaml"
    entry.write_text(entry.read_text(encoding="utf-8").replace("fix_rate: 0.7", "fix_rate: 0.71"), encoding="utf-8")
    edited = knowledge_key([kb_dir])
    assert edited != key
    kb, _ = load_indexed([kb_dir])
    assert kb.by_id["demo/loss-nan"].fix_rate == 0.71
    (kb_dir / "demo" / "pip-wheel.yaml").unlink()
    assert knowledge_key([kb_dir]) != edited
    assert "demo/pip-wheel" not in load_indexed([kb_dir])[0].by_id


def test_a_corrupt_cache_file_is_rebuilt(kb_dir: Path, tmp_path: Path) -> None:
    load_indexed([kb_dir])
    (cached,) = (tmp_path / "cache").glob("index-*.index")
    cached.write_bytes(b"not a pickle")
    kb, _ = load_indexed([kb_dir])
    assert len(kb) == 4


def test_cache_can_be_turned_off(kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWNFIX_CACHE_DIR", "off")
    kb, _ = load_indexed([kb_dir])
    assert len(kb) == 4
    assert not (tmp_path / "cache").exists()
