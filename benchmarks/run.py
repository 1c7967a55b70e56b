"""Build the knowledge sizes, measure each in a fresh process, measure the feedback store."""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from benchmarks.feedback import feedback_figures
from benchmarks.hostile import hostile_figures
from benchmarks.kbs import KnowledgeSize, build_sizes
from benchmarks.memory import PROCESS_COUNTS, memory_figures
from bot.engine import Engine
from bot.knowledge.loader import load_knowledge

REPO = Path(__file__).resolve().parent.parent
OURS = REPO / "knowledge"
CANONS = REPO.parent / "shared" / "deadends-canons"


@dataclass(frozen=True)
class Settings:
    reps: int = 200  # calls per latency figure ...
    budget_s: float = 8.0  # ... unless this many seconds run out first (at least 5 calls)
    chat: int = 1_000  # chat messages through the passive path
    synthetic: int = 20_000
    voters: int = 200
    votes_each: int = 20
    replies: int = 1_000
    feedback_reps: int = 200
    timeout_s: float = 900.0  # one size's process; a hung size is reported, the rest still run
    hostile_reps: int = 3  # calls per hostile shape and size; the best counts (0 skips the section)
    memory_processes: tuple[int, ...] = PROCESS_COUNTS  # processes loading one knowledge at once (() skips it)


QUICK = Settings(reps=30, budget_s=2.0, chat=200, votes_each=5, replies=300, feedback_reps=40, hostile_reps=1)


def measure_size(size: KnowledgeSize, settings: Settings) -> dict[str, Any]:
    config = {
        "directories": [str(d) for d in size.directories],
        "reps": settings.reps,
        "budget_s": settings.budget_s,
        "chat": settings.chat,
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", json.dumps(config)],
            capture_output=True, text=True, timeout=settings.timeout_s, cwd=REPO, env=env,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {settings.timeout_s:.0f} s"}
    if proc.returncode != 0:
        return {"error": f"worker exited {proc.returncode}: {proc.stderr.strip()[-500:]}"}
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def run_benchmarks(
    settings: Settings, ours: Path = OURS, canons: Path | None = CANONS, progress: TextIO = sys.stderr
) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "settings": asdict(settings),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "sizes": [],
        "notes": [],
    }
    with tempfile.TemporaryDirectory(prefix="knownfix-bench-") as tmp:
        progress.write("building knowledge sizes (importing canons, generating the synthetic set) ...\n")
        sizes, notes = build_sizes(ours, canons, Path(tmp), settings.synthetic)
        results["notes"] += notes
        for size in sizes:
            progress.write(f"measuring {size.name} ...\n")
            results["sizes"].append({"name": size.name, **measure_size(size, settings)})
        if settings.memory_processes:
            results["memory"] = measure_memory(settings, sizes, progress)
    progress.write("measuring the feedback store ...\n")
    logging.disable(logging.WARNING)
    entries = load_knowledge([ours]).entries
    logging.disable(logging.NOTSET)
    results["feedback"] = feedback_figures(
        entries, settings.voters, settings.votes_each, settings.replies, settings.feedback_reps
    )
    if settings.hostile_reps:
        results["hostile"] = measure_hostile(settings, ours, progress)
    results["total_s"] = time.perf_counter() - started
    return results


def measure_memory(settings: Settings, sizes: list[KnowledgeSize], progress: TextIO = sys.stderr) -> dict[str, Any]:
    """Memory per process for the larger sizes (ours alone when there are no others)."""
    progress.write("measuring memory per process ...\n")
    return memory_figures(sizes[1:] or sizes, settings.memory_processes, settings.timeout_s)


def measure_memory_only(settings: Settings, ours: Path = OURS, canons: Path | None = CANONS) -> dict[str, Any]:
    """`python -m benchmarks --memory`: the sizes built, then only their memory per process."""
    with tempfile.TemporaryDirectory(prefix="knownfix-bench-") as tmp:
        sys.stderr.write("building knowledge sizes (importing canons, generating the synthetic set) ...\n")
        sizes, notes = build_sizes(ours, canons, Path(tmp), settings.synthetic)
        return {**measure_memory(settings, sizes), "notes": notes}


def measure_hostile(settings: Settings, ours: Path = OURS, progress: TextIO = sys.stderr) -> dict[str, Any]:
    """Hostile shapes through our own knowledge's engine, as the bot matches a paste."""
    progress.write("measuring hostile input ...\n")
    logging.disable(logging.WARNING)
    engine = Engine.load([ours])
    logging.disable(logging.NOTSET)
    return hostile_figures(engine, settings.hostile_reps)
