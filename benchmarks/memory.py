"""Memory per bot process when several processes load one knowledge base (issue 12, item 3).

Each knowledge size is loaded the way a bot starts (`Engine.load`, from the index cache a first process
wrote), by 1 and by 4 processes at once, each a fresh interpreter that then matches the benchmark
queries once (a running bot has matched something) and waits. While they wait, their
`/proc/<pid>/smaps_rollup` is read: RSS counts every page a process maps, shared or not; USS (private
pages) is what the process alone holds; PSS splits each shared page between the processes that map it,
so the PSS of all processes together is what the machine pays. Linux only.

`python -m benchmarks --memory [--json] [--synthetic N]` runs this section alone (a few minutes); the full
`python -m benchmarks` run includes it. Run as a module (`python -m benchmarks.memory --child DIR...`), this file
is one of the measured processes.
"""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from benchmarks.kbs import KnowledgeSize

REPO = Path(__file__).resolve().parent.parent
PROCESS_COUNTS = (1, 4)  # issue 12 asks for one process and four (shards, or a deploy overlapping the old one)
READY = "ready"
SMAPS_FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean", "Shared_Dirty")


def smaps_rollup(pid: int) -> dict[str, int]:
    """The kernel's memory totals for one process, in bytes."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            name, _, rest = line.partition(":")
            if name in SMAPS_FIELDS:
                out[name] = int(rest.split()[0]) * 1024  # the file counts kB
    return out


def _child_env(cache: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "KNOWNFIX_CACHE_DIR": str(cache)}


def _wait_ready(proc: subprocess.Popen[str], deadline_s: float) -> None:
    stdout: IO[str] | None = proc.stdout
    assert stdout is not None
    readable, _, _ = select.select([stdout], [], [], deadline_s)
    line = stdout.readline() if readable else ""
    if line.strip() != READY:
        raise RuntimeError(f"process {proc.pid} did not get ready (exit {proc.poll()}): {line.strip()[:200]!r}")


def run_processes(directories: Sequence[Path], count: int, cache: Path, timeout_s: float) -> list[dict[str, int]]:
    """Start `count` loading processes at once; their smaps totals once all of them are ready."""
    command = [sys.executable, "-m", "benchmarks.memory", "--child", *(str(d) for d in directories)]
    procs = [
        subprocess.Popen(
            command,
            cwd=REPO,
            env=_child_env(cache),
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        for proc in procs:
            _wait_ready(proc, timeout_s)
        return [smaps_rollup(proc.pid) for proc in procs]
    finally:
        for proc in procs:
            if proc.stdin:
                proc.stdin.close()  # the child exits when its stdin closes
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _mib(values: Sequence[int]) -> float:
    return sum(values) / len(values) / 2**20 if values else 0.0


def summarise(totals: list[dict[str, int]]) -> dict[str, Any]:
    """Per process (the mean over the processes) and for all of them together."""
    uss = [t.get("Private_Clean", 0) + t.get("Private_Dirty", 0) for t in totals]
    return {
        "processes": len(totals),
        "rss_mib": _mib([t.get("Rss", 0) for t in totals]),
        "pss_mib": _mib([t.get("Pss", 0) for t in totals]),
        "uss_mib": _mib(uss),
        "pss_total_mib": sum(t.get("Pss", 0) for t in totals) / 2**20,
    }


def memory_figures(
    sizes: Sequence[KnowledgeSize], counts: Sequence[int] = PROCESS_COUNTS, timeout_s: float = 900.0
) -> dict[str, Any]:
    if not Path("/proc/self/smaps_rollup").exists():
        return {"skipped": "memory per process: /proc/<pid>/smaps_rollup is Linux only"}
    out: dict[str, Any] = {"sizes": []}
    with tempfile.TemporaryDirectory(prefix="knownfix-bench-memory-") as tmp:
        empty = Path(tmp) / "no-knowledge"
        empty.mkdir()
        out["interpreter_mib"] = summarise(run_processes([empty], 1, Path(tmp) / "cache-empty", timeout_s))
        for n, size in enumerate(sizes):
            cache = Path(tmp) / f"cache-{n}"
            # The first process of a deployment builds the index and writes the cache; the rest load it.
            run_processes(size.directories, 1, cache, timeout_s)
            row: dict[str, Any] = {"name": size.name, "runs": []}
            try:
                for count in counts:
                    row["runs"].append(summarise(run_processes(size.directories, count, cache, timeout_s)))
            except (RuntimeError, OSError) as exc:
                row["error"] = str(exc)
            row["cache_file_mib"] = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 2**20
            out["sizes"].append(row)
    return out


def memory_lines(figures: dict[str, Any]) -> list[str]:
    if "skipped" in figures or not figures:
        return [str(figures.get("skipped", "memory per process: not measured"))]
    base = figures["interpreter_mib"]
    lines = [
        "memory per process (MiB, from /proc/<pid>/smaps_rollup; USS = private pages, PSS = shared pages split)",
        f"  interpreter and libraries, no knowledge: RSS {base['rss_mib']:.0f}, PSS {base['pss_mib']:.0f}, "
        f"USS {base['uss_mib']:.0f}",
        "  knowledge                    processes   RSS each   PSS each   USS each   PSS all   cache file",
    ]
    for size in figures["sizes"]:
        for run in size["runs"]:
            lines.append(
                f"  {size['name']:<28} {run['processes']:>9}   {run['rss_mib']:>8.0f}   {run['pss_mib']:>8.0f}"
                f"   {run['uss_mib']:>8.0f}   {run['pss_total_mib']:>7.0f}   {size['cache_file_mib']:>10.0f}"
            )
        if "error" in size:
            lines.append(f"  {size['name']}: {size['error']}")
    return lines


def child(directories: list[str]) -> int:
    """One bot-like process: load the engine, match each benchmark query once, say so, wait for stdin to close."""
    logging.disable(logging.WARNING)
    from benchmarks.inputs import query_texts
    from bot.engine import Engine

    engine = Engine.load([Path(d) for d in directories])
    for text in query_texts().values():
        engine.match(text)
    sys.stdout.write(READY + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["--child"]:
        sys.exit("usage: python -m benchmarks.memory --child DIR... (alone: python -m benchmarks --memory)")
    sys.exit(child(sys.argv[2:]))
