"""`knownfix kb verify`: raise each entry's error for real and check the matcher finds the entry.

Each reproducer runs in its own subprocess, in a throwaway directory, with a time limit, an
address-space limit, no GPU and the Hugging Face hub switched offline. Its combined output is what a
person would paste; the check is that the matcher ranks the entry first for it. Reproducers never run
inside the bot.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from bot.engine import Engine
from bot.knowledge.model import Entry

MEMORY_LIMIT_BYTES = 6 * 1024**3
OUTPUT_LIMIT_CHARS = 200_000


class Outcome(StrEnum):
    REPRODUCED = "reproduced"  # the error was raised and the matcher put the entry first
    STAND_IN = "stand-in"  # a close relative of the error was raised and matched; the entry is not proven
    MISMATCHED = "mismatched"  # the error was raised but another entry ranked first
    NO_ERROR = "no-error"  # the reproducer ran clean: it does not raise what it claims
    TIMEOUT = "timeout"
    SKIPPED = "skipped"  # a required library is not installed here


@dataclass(frozen=True)
class Verdict:
    entry: Entry
    outcome: Outcome
    detail: str = ""
    verified_on: str | None = None
    output: str = ""


def _limit_resources() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def library_version(module: str) -> str | None:
    """`torch 2.13.0` for an installed module, by way of the distribution that provides it."""
    dists = importlib.metadata.packages_distributions().get(module, [module])
    for dist in dists:
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def verified_on(entry: Entry) -> str:
    for module in entry.reproducer.requires if entry.reproducer else ():
        version = library_version(module)
        if version:
            return version
    return f"Python {platform.python_version()}"


def run_reproducer(entry: Entry, engine: Engine, timeout: float) -> Verdict:
    assert entry.reproducer is not None
    missing = [m for m in entry.reproducer.requires if importlib.util.find_spec(m) is None]
    if missing:
        return Verdict(entry, Outcome.SKIPPED, f"not installed: {', '.join(missing)}")
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory(prefix="knownfix-verify-") as workdir:
        script = Path(workdir) / "reproducer.py"
        script.write_text(entry.reproducer.code + "\n", encoding="utf-8")
        try:
            proc = subprocess.run(
                [sys.executable, str(script)],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                preexec_fn=_limit_resources,
            )
        except subprocess.TimeoutExpired:
            return Verdict(entry, Outcome.TIMEOUT, f"no result within {timeout:.0f} s")
    output = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")[-OUTPUT_LIMIT_CHARS:]
    if proc.returncode == 0 and not proc.stderr.strip():
        return Verdict(entry, Outcome.NO_ERROR, "ran to the end without an error or warning", output=output)
    result = engine.match(output, top=3)
    top = result.best.entry.id if result.best else None
    if top != entry.id:
        return Verdict(entry, Outcome.MISMATCHED, f"matcher ranked {top} first", output=output)
    score = f"score {result.matches[0].score:.2f}"
    if entry.reproducer.stand_in:
        return Verdict(entry, Outcome.STAND_IN, f"{score}; {entry.reproducer.stand_in}", output=output)
    return Verdict(entry, Outcome.REPRODUCED, score, verified_on(entry), output)


def verify_entries(engine: Engine, entries: Sequence[Entry], timeout: float, workers: int = 2) -> list[Verdict]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda e: run_reproducer(e, engine, timeout), entries))


_VERIFICATION_LINE = re.compile(r"^verification:.*$", re.MULTILINE)
_VERIFIED_ON_LINE = re.compile(r"^verified_on:.*\n", re.MULTILINE)


def mark_reproduced(path: Path, on: str) -> None:
    """Set `verification: reproduced` and `verified_on` in the file, leaving the rest of its text alone."""
    text = path.read_text(encoding="utf-8")
    text = _VERIFIED_ON_LINE.sub("", text)
    replacement = f'verification: reproduced\nverified_on: "{on}"'
    if _VERIFICATION_LINE.search(text):
        text = _VERIFICATION_LINE.sub(replacement, text, count=1)
    else:
        text = text.rstrip("\n") + "\n" + replacement + "\n"
    path.write_text(text, encoding="utf-8")


def verify_command(dirs: Sequence[Path], only: Sequence[str] | None, mark: bool, timeout: float, out: TextIO) -> int:
    engine = Engine.load(dirs)
    entries = [e for e in engine.kb.entries if not only or e.id in only]
    unknown = sorted(set(only or ()) - {e.id for e in entries})
    for entry_id in unknown:
        out.write(f"no entry {entry_id!r}\n")
    with_reproducer = [e for e in entries if e.reproducer]
    verdicts = verify_entries(engine, with_reproducer, timeout)
    for v in verdicts:
        out.write(f"{v.outcome.value:<11} {v.entry.id:<55} {v.detail}\n")
        if v.outcome in (Outcome.MISMATCHED, Outcome.NO_ERROR) and v.output:
            tail = "\n".join(v.output.strip().splitlines()[-4:])
            out.write("            | " + tail.replace("\n", "\n            | ") + "\n")
        if mark and v.outcome is Outcome.REPRODUCED and v.entry.path and v.verified_on:
            mark_reproduced(Path(v.entry.path), v.verified_on)
    counts = {o: sum(1 for v in verdicts if v.outcome is o) for o in Outcome}
    failing = counts[Outcome.MISMATCHED] + counts[Outcome.NO_ERROR] + counts[Outcome.TIMEOUT]
    out.write(
        f"\n{'entries':>9} {'reproducible':>13} {'reproduced':>11} {'stand-ins':>10} {'failing':>8} {'skipped':>8}\n"
        f"{len(entries):>9} {len(with_reproducer):>13} {counts[Outcome.REPRODUCED]:>11} "
        f"{counts[Outcome.STAND_IN]:>10} {failing:>8} {counts[Outcome.SKIPPED]:>8}\n"
    )
    return 1 if failing or unknown else 0
