"""The deadends.dev importer, on small canons written here (never the shared data set)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.knowledge.deadends import (
    INVALID_JSON,
    MISSING_SIGNATURE,
    WRONG_SHAPE,
    Converted,
    Unconvertible,
    convert_canon,
    import_deadends,
    our_id,
    snake_case,
)
from bot.knowledge.loader import load_knowledge

from .conftest import REPO


def canon(their_id: str, signature: str, **extra: Any) -> dict[str, Any]:
    domain = their_id.split("/")[0]
    data: dict[str, Any] = {
        "schema_version": "1.0.0",
        "id": their_id,
        "url": f"https://deadends.dev/{their_id}",
        "error": {"signature": signature, "regex": "connection refused", "domain": domain, "category": "Network Error"},
        "environment": {"runtime": {"name": "pytorch", "version_range": ">=2.0"}, "os": "linux"},
        "verdict": {"resolvable": "true", "fix_success_rate": 0.8, "summary": "The server is not listening. Start it."},
        "dead_ends": [
            {"action": "Restart the laptop", "why_fails": "The server still is not running", "fail_rate": 0.9,
             "sources": ["https://example.org/why"]},
        ],
        "workarounds": [
            {"action": "Check the port", "success_rate": 0.7, "sources": [], "condition": ""},
            {"action": "Start the server", "success_rate": 0.95, "how": "systemctl start thing", "sources": [],
             "condition": "on systemd hosts"},
        ],
        "transition_graph": {"leads_to": [], "preceded_by": [], "frequently_confused_with": []},
        "metadata": {"review_status": "auto_generated"},
    }  # fmt: skip
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def write(directory: Path, rel: str, data: Any) -> None:
    path = directory / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


@pytest.fixture
def canons(tmp_path: Path) -> Path:
    src = tmp_path / "canons"
    write(src, "net/refused/linux.json", canon("net/refused/linux", "ConnectionRefusedError: [Errno 111] refused"))
    write(
        src,
        "net/timeout_linux.json",  # a flat file name, as a few of theirs are: the id inside wins
        canon(
            "net/timeout/linux",
            "TimeoutError: timed out",
            metadata={"review_status": "human_reviewed"},
            transition_graph={
                "leads_to": [{"error_id": "net/refused/linux", "probability": 0.3}],
                "preceded_by": [{"error_id": "net/not-converted/linux"}],
                "frequently_confused_with": [{"error_id": "net/refused/linux", "distinction": "..."}],
            },
        ),
    )
    write(
        src,
        "net/catastrophic/linux.json",
        canon("net/catastrophic/linux", "fatal: remote hung up", error={"regex": "(a+)+b"}),
    )
    write(src, "net/broken/linux.json", '{"id": "net/broken/linux", "error": {')
    write(src, "net/nosig/linux.json", canon("net/nosig/linux", ""))
    write(src, "net/list.json", [1, 2, 3])
    (src / "LICENSE").write_text("MIT License\n\nCopyright ...\n", encoding="utf-8")
    return src


def test_ids_map_to_one_slash_and_categories_to_snake_case() -> None:
    assert our_id("grpc/dns-resolver-error/grpc1-linux") == "grpc/dns-resolver-error--grpc1-linux"
    assert our_id("Node/Some Thing/v18") == "node/some-thing--v18"
    assert our_id("lonely", "python") == "python/lonely"
    assert our_id("///") is None
    assert snake_case("Network Error") == "network_error"
    assert snake_case("ssl-tls") == "ssl_tls"
    assert snake_case("ConnectionError") == "connection_error"


def test_convert_maps_every_field_with_a_home() -> None:
    result = convert_canon(canon("net/refused/linux", "ConnectionRefusedError: [Errno 111] refused"))
    assert isinstance(result, Converted)
    m = result.mapping
    assert m["id"] == "net/refused--linux" and m["domain"] == "net" and m["category"] == "network_error"
    assert m["title"] == m["signatures"][0] == "ConnectionRefusedError: [Errno 111] refused"
    assert m["exception"] == "ConnectionRefusedError"
    assert m["patterns"] == ["connection refused"]
    assert m["root_cause"] == "The server is not listening. Start it."
    assert m["fix_rate"] == 0.8 and m["verification"] == "ai_generated"
    # Best first; `how` is the code, the action stands in when there is none.
    assert [w["title"] for w in m["workarounds"]] == ["Start the server", "Check the port"]
    assert m["workarounds"][0] == {
        "title": "Start the server", "success_rate": 0.95, "condition": "on systemd hosts",
        "code": "systemctl start thing", "id": "start-server",
    }  # fmt: skip
    assert m["workarounds"][1]["code"] == "Check the port" and "condition" not in m["workarounds"][1]
    assert m["dead_ends"] == [
        {"action": "Restart the laptop", "why": "The server still is not running", "fail_rate": 0.9}
    ]
    assert m["sources"] == ["https://deadends.dev/net/refused/linux", "https://example.org/why"]
    assert m["source_note"] == (
        "Adapted from deadends.dev, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/): "
        "https://deadends.dev/net/refused/linux"
    )
    assert m["context"] == {"libraries": ["torch"]}
    assert 1 <= len(m["symptoms"]) <= 4 and "The server is not listening" in m["symptoms"]


def test_rates_are_clamped_or_read_as_percentages() -> None:
    data = canon("a/b/c", "boom", verdict={"fix_success_rate": 85})
    data["workarounds"][0]["success_rate"] = -0.2
    data["workarounds"][1]["success_rate"] = "n/a"
    result = convert_canon(data)
    assert isinstance(result, Converted)
    assert result.mapping["fix_rate"] == 0.85
    assert [w["success_rate"] for w in result.mapping["workarounds"]] == [0.0]
    assert any("percentage" in w for w in result.warnings) and any("left out" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ([1, 2], WRONG_SHAPE),
        ({"id": "a/b", "error": "boom"}, WRONG_SHAPE),
        (canon("a/b/c", "   "), MISSING_SIGNATURE),
    ],
)
def test_unconvertible_canons_say_why(data: Any, kind: str) -> None:
    result = convert_canon(data)
    assert isinstance(result, Unconvertible) and result.kind == kind


def test_import_converts_the_good_ones_and_reports_the_rest(canons: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = import_deadends(canons, out)
    assert sorted(report.converted) == ["net/catastrophic--linux", "net/refused--linux", "net/timeout--linux"]
    by_kind = {s.kind: s.path for s in report.skipped}
    assert by_kind[INVALID_JSON].endswith("broken/linux.json")
    assert by_kind[MISSING_SIGNATURE].endswith("nosig/linux.json")
    assert by_kind[WRONG_SHAPE].endswith("list.json")
    assert [entry_id for entry_id, _ in report.patterns_dropped] == ["net/catastrophic--linux"]

    timeout = yaml.safe_load((out / "net/timeout--linux.yaml").read_text(encoding="utf-8"))
    assert timeout["verification"] == "community"
    assert timeout["related"] == ["net/refused--linux"]  # de-duplicated; the unknown id is dropped
    assert report.related_kept == 1 and report.related_dropped == 1
    catastrophic = yaml.safe_load((out / "net/catastrophic--linux.yaml").read_text(encoding="utf-8"))
    assert "patterns" not in catastrophic

    kb = load_knowledge([out])
    assert len(kb) == 3 and kb.problems == ()


def test_duplicate_ids_are_reported_as_collisions(tmp_path: Path) -> None:
    src = tmp_path / "canons"
    write(src, "a/one.json", canon("net/x/linux", "boom"))
    write(src, "b/two.json", canon("net/X/linux", "boom again"))
    report = import_deadends(src, tmp_path / "out")
    assert report.converted == ["net/x--linux"]
    assert [s.kind for s in report.skipped] == ["id collision"]


def test_cli_end_to_end(canons: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "import-deadends", str(canons), str(out)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "converted 3 canons" in proc.stdout
    assert "skipped 3:" in proc.stdout and "invalid JSON (1)" in proc.stdout and "broken/linux.json" in proc.stdout
    assert "patterns dropped 1" in proc.stdout
    lint = subprocess.run(
        [sys.executable, "-m", "bot", "--knowledge", str(out), "kb", "lint"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    assert "3 entries loaded, 0 problems" in lint.stdout


def test_cli_exits_1_when_nothing_converts(tmp_path: Path) -> None:
    src = tmp_path / "canons"
    write(src, "bad.json", "not json")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "import-deadends", str(src), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "converted 0 canons" in proc.stdout


def test_their_code_licence_is_not_taken_for_the_data(canons: Path, tmp_path: Path) -> None:
    # The folder's LICENSE is MIT: deadends.dev's code. The canons are their data, under CC BY 4.0.
    import_deadends(canons, tmp_path / "out")
    entry = yaml.safe_load((tmp_path / "out/net/timeout--linux.yaml").read_text(encoding="utf-8"))
    assert entry["source_note"].startswith("Adapted from deadends.dev, CC BY 4.0 ")
    assert "MIT" not in entry["source_note"]


@pytest.fixture
def variants(tmp_path: Path) -> Path:
    """One canon in two environments (their id's last part), a third canon that links to one of them, and a
    canon alone in its slug."""
    src = tmp_path / "canons"
    linux = canon("node/eaddrinuse/node20-linux", "Error: listen EADDRINUSE: address already in use :::3000")
    macos = canon(
        "node/eaddrinuse/node20-macos",
        "Error: listen EADDRINUSE: address already in use :::3000",
        verdict={"fix_success_rate": 0.9, "summary": "Another process holds the port. On macOS, AirPlay does."},
        metadata={"review_status": "human_reviewed"},
    )
    macos["workarounds"] = [
        {"action": "Start the server", "success_rate": 0.9, "how": "systemctl start thing"},
        {"action": "Turn off the AirPlay receiver", "success_rate": 0.8, "how": "System Settings > AirDrop"},
    ]
    macos["dead_ends"].append({"action": "Rebooting", "why_fails": "It comes back.", "fail_rate": 0.5})
    write(src, "node/eaddrinuse/node20-linux.json", linux)
    write(src, "node/eaddrinuse_node20-macos.json", macos)
    write(
        src,
        "node/kill/node20-linux.json",
        canon(
            "node/kill/node20-linux",
            "Error: kill ESRCH",
            transition_graph={"leads_to": [{"error_id": "node/eaddrinuse/node20-macos"}]},
        ),
    )
    return src


def test_per_environment_copies_become_one_entry_with_variants(variants: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = import_deadends(variants, out)
    assert sorted(report.converted) == ["node/eaddrinuse", "node/kill--node20-linux"]
    assert report.merged == [("node/eaddrinuse", ("node/eaddrinuse/node20-linux", "node/eaddrinuse/node20-macos"))]
    merged = yaml.safe_load((out / "node/eaddrinuse.yaml").read_text(encoding="utf-8"))
    assert merged["signatures"] == ["Error: listen EADDRINUSE: address already in use :::3000"]
    assert merged["verification"] == "ai_generated"  # only as reviewed as its least reviewed variant
    assert merged["fix_rate"] == 0.9
    # A workaround every variant has keeps no condition; one variant's own says which environment it is for.
    by_title = {w["title"]: w for w in merged["workarounds"]}
    assert list(by_title) == ["Start the server", "Turn off the AirPlay receiver", "Check the port"]
    assert by_title["Start the server"]["success_rate"] == 0.95
    assert by_title["Start the server"]["condition"] == "on systemd hosts"
    assert by_title["Turn off the AirPlay receiver"]["condition"] == "on node20-macos"
    assert by_title["Check the port"]["condition"] == "on node20-linux"
    assert [d["action"] for d in merged["dead_ends"]] == ["Restart the laptop", "Rebooting"]
    assert merged["sources"][:2] == [
        "https://deadends.dev/node/eaddrinuse/node20-linux", "https://deadends.dev/node/eaddrinuse/node20-macos"
    ]  # fmt: skip
    assert "node20-linux, node20-macos" in merged["source_note"]
    assert merged["source_note"].startswith("Adapted from deadends.dev, CC BY 4.0 ")
    # A link to one variant is a link to the merged entry.
    kill = yaml.safe_load((out / "node/kill--node20-linux.yaml").read_text(encoding="utf-8"))
    assert kill["related"] == ["node/eaddrinuse"]
    assert load_knowledge([out]).problems == ()
    assert "2 per-environment copies merged into 1 entry" in report.summary()


def test_canons_under_different_slugs_with_one_signature_become_one_entry(tmp_path: Path) -> None:
    src = tmp_path / "canons"
    for slug in ("noauth-required", "auth-required"):
        write(src, f"redis/{slug}/redis7-linux.json", canon(f"redis/{slug}/redis7-linux", "NOAUTH required"))
    write(src, "redis/other/redis7-linux.json", canon("redis/other/redis7-linux", "NOAUTH required for MIGRATE"))
    report = import_deadends(src, tmp_path / "out")
    assert sorted(report.converted) == ["redis/auth-required", "redis/other--redis7-linux"]
    merged = yaml.safe_load((tmp_path / "out/redis/auth-required.yaml").read_text(encoding="utf-8"))
    assert "auth-required/redis7-linux, noauth-required/redis7-linux" in merged["source_note"]
