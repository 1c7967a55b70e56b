"""`kb verify` runs a knowledge file's code: with no secrets, no network where the platform allows it,
in a private directory, in a process group killed as a whole, with bounded output, and pack code only
when asked to trust it."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.knowledge.loader import load_knowledge
from bot.verify import OUTPUT_LIMIT_CHARS, Outcome, isolation_prefix, run_reproducer, verify_command

from .conftest import REPO
from .test_knowledge import GOOD, write

# What a reproducer may find in its environment; everything else stays with the bot.
ALLOWED_ENV = {
    "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING",
    "CUDA_VISIBLE_DEVICES", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
}  # fmt: skip
SECRET = "sekrit-value-the-reproducer-must-not-see"
# The flood is far beyond what verify keeps; the unbounded reader held all of it (and a decoded copy).
FLOOD_MIB = 400
# How much the verifying process may grow while a reproducer floods it: its tail buffers, not the flood.
FLOOD_GROWTH_LIMIT_MIB = 64
# A sleeper killed with its group needs a moment to leave the process table; this only bounds the wait.
GONE_WAIT_SECONDS = 10.0


def entry_with_reproducer(slug: str, code: str) -> str:
    body = textwrap.indent(textwrap.dedent(code).strip() + "\n", "    ")
    return GOOD.replace("demo/good", f"demo/{slug}") + f"reproducer:\n  requires: []\n  code: |\n{body}"


def engine_for(root: Path) -> Engine:
    return Engine.from_knowledge(load_knowledge([root]))


def run_one(tmp_path: Path, code: str, timeout: float = 60) -> tuple[Outcome, str]:
    root = tmp_path / "kb"
    write(root, "demo/repro.yaml", entry_with_reproducer("repro", code))
    engine = engine_for(root)
    verdict = run_reproducer(engine.kb.by_id["demo/repro"], engine, timeout)
    return verdict.outcome, verdict.output


REPORT_ENVIRONMENT = """
import json, os, sys
print("REPORT " + json.dumps({"env": dict(os.environ), "cwd": os.getcwd()}))
sys.stdout.flush()
raise ValueError("bad thing")
"""


def report_of(output: str) -> dict[str, object]:
    line = next(line for line in output.splitlines() if line.startswith("REPORT "))
    report: dict[str, object] = json.loads(line.removeprefix("REPORT "))
    return report


def test_a_reproducer_sees_a_minimal_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "KNOWNFIX_DATABASE", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, SECRET)
    _, output = run_one(tmp_path, REPORT_ENVIRONMENT)
    assert SECRET not in output
    report = report_of(output)
    env = report["env"]
    assert isinstance(env, dict)
    assert set(env) <= ALLOWED_ENV, sorted(set(env) - ALLOWED_ENV)
    assert env["LC_ALL"] == "C.UTF-8" and env["PYTHONHASHSEED"] == "0" and env["CUDA_VISIBLE_DEVICES"] == ""
    assert env["HF_HUB_OFFLINE"] == "1"
    # Home and working directory are one private directory, gone once verify returns.
    assert env["HOME"] == report["cwd"] and str(report["cwd"]).startswith(os.path.realpath(os.sep))
    assert not Path(str(report["cwd"])).exists()


def _network_namespaces_work() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    for flags in (["--net"], ["--map-root-user", "--net"]):
        probe = subprocess.run([unshare, *flags, sys.executable, "-c", ""], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return True
    return False


@pytest.mark.skipif(not _network_namespaces_work(), reason="this machine does not allow network namespaces")
def test_a_reproducer_has_no_network(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        _, output = run_one(
            tmp_path,
            f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
                print("CONNECTED")
            except OSError as exc:
                print("NO NETWORK", exc)
            raise ValueError("bad thing")
            """,
        )
    assert "NO NETWORK" in output and "CONNECTED" not in output


def test_a_sleeper_in_its_own_session_is_gone_when_verify_returns(tmp_path: Path) -> None:
    """Out of the process group, only a PID namespace ends it: where one is allowed, verify uses it."""
    if "--pid" not in isolation_prefix():
        pytest.skip("this machine does not allow PID namespaces; the process group is all verify has")
    marker = f"{3000 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 10**9}"
    try:
        outcome, _ = run_one(tmp_path, double_fork_sleeper(marker, then="time.sleep(600)", new_session=True), 5)
        assert outcome is Outcome.TIMEOUT
        assert gone_after_a_moment(marker), "the grandchild outlived verify"
    finally:
        for pid in live_processes_with(marker):
            os.kill(pid, 9)


def live_processes_with(marker: str) -> list[int]:
    """Pids of processes (not zombies) whose command line holds the marker."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def gone_after_a_moment(marker: str) -> bool:
    deadline = time.monotonic() + GONE_WAIT_SECONDS
    while live_processes_with(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def double_fork_sleeper(marker: str, *, then: str, new_session: bool = False) -> str:
    """A reproducer whose grandchild sleeps on (its command line carries the marker), then `then`."""
    return f"""
    import os, sys, time
    if os.fork() == 0:
        if os.fork() == 0:
            if {new_session}:
                os.setsid()  # leaves the process group, as a daemon does
            os.execvp("sleep", ["sleep", "{marker}"])
        os._exit(0)
    os.wait()

    def sleeper_started():
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if b"{marker}" in open(f"/proc/{{pid}}/cmdline", "rb").read():
                    return True
            except OSError:
                pass
        return False

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not sleeper_started():
        time.sleep(0.01)
    {then}
    """


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the sleeper through /proc")
@pytest.mark.parametrize(
    ("then", "times_out"),
    [("time.sleep(600)", True), ("raise ValueError('bad thing')", False)],
    ids=["timed-out", "exited"],
)
def test_a_double_forked_sleeper_is_gone_when_verify_returns(tmp_path: Path, then: str, times_out: bool) -> None:
    marker = f"{3000 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 10**9}"  # a sleep length no one else uses
    try:
        outcome, _ = run_one(tmp_path, double_fork_sleeper(marker, then=then), timeout=5)
        # A reproducer that exits is judged on its output, not held until the sleeper's pipe closes.
        assert (outcome is Outcome.TIMEOUT) is times_out
        assert gone_after_a_moment(marker), "the grandchild outlived verify"
    finally:
        for pid in live_processes_with(marker):  # the sleeper this test started, if the fix is missing
            os.kill(pid, 9)


PEAK_RSS_OF_VERIFY = """
import resource, sys
from pathlib import Path
from bot.engine import Engine
from bot.knowledge.loader import load_knowledge
from bot.verify import run_reproducer
engine = Engine.from_knowledge(load_knowledge([Path(sys.argv[1])]))
entry = engine.kb.by_id["demo/flood"]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
verdict = run_reproducer(entry, engine, 300)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(verdict.outcome.value, len(verdict.output), (after - before) // 1024, verdict.output.endswith("bad thing\\n"))
"""


def test_a_flooding_reproducer_leaves_the_verifier_small(tmp_path: Path) -> None:
    """Measured in a fresh process, whose peak resident size is its own."""
    root = tmp_path / "kb"
    flood = f"""
    import sys
    block = b"x" * (1 << 20)
    for _ in range({FLOOD_MIB}):
        sys.stdout.buffer.write(block)
    sys.stdout.flush()
    raise ValueError("bad thing")
    """
    write(root, "demo/flood.yaml", entry_with_reproducer("flood", flood))
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_OF_VERIFY, str(root)], capture_output=True, text=True, cwd=REPO, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcome, captured, growth_mib, ends_with_the_error = proc.stdout.split()
    assert outcome != Outcome.TIMEOUT.value
    assert int(captured) <= OUTPUT_LIMIT_CHARS
    assert ends_with_the_error == "True", "the traceback at the end of the output is kept"
    assert int(growth_mib) < FLOOD_GROWTH_LIMIT_MIB


def pack_layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Curated knowledge and a pack, each with a reproducer that leaves a marker file when it runs."""
    curated, pack, marks = tmp_path / "curated", tmp_path / "pack", tmp_path / "marks"
    marks.mkdir()
    for root, slug in ((curated, "mine"), (pack, "theirs")):
        code = f"""
        open({str(marks / slug)!r}, "w").close()
        raise ValueError("bad thing")
        """
        write(root, f"demo/{slug}.yaml", entry_with_reproducer(slug, code))
    return curated, pack, marks


def test_pack_reproducers_are_skipped_unless_trusted(tmp_path: Path) -> None:
    curated, pack, marks = pack_layout(tmp_path)
    out = io.StringIO()
    verify_command([curated, pack], None, False, 60, out)
    assert (marks / "mine").exists()
    assert not (marks / "theirs").exists(), "a pack's code ran without --trust-packs"
    skipped = [line for line in out.getvalue().splitlines() if "demo/theirs" in line]
    assert len(skipped) == 1 and skipped[0].startswith("skipped") and "--trust-packs" in skipped[0]


def test_trust_packs_runs_pack_reproducers_through_the_command_line(tmp_path: Path) -> None:
    curated, pack, marks = pack_layout(tmp_path)
    args = ["--knowledge", str(curated), "--knowledge", str(pack), "kb", "verify", "--timeout", "60"]
    subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, cwd=REPO, timeout=300)
    assert (marks / "mine").exists() and not (marks / "theirs").exists()
    subprocess.run([sys.executable, "-m", "bot", *args, "--trust-packs"], capture_output=True, cwd=REPO, timeout=300)
    assert (marks / "theirs").exists()
