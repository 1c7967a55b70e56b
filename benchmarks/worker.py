"""Measure one knowledge size, in a process of its own: `python -m benchmarks.worker '<json config>'`.

A fresh interpreter per size keeps the memory figures clean (nothing from a previous size is still
allocated) and the timings free of another size's warm caches. Prints one JSON object on stdout.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.inputs import chat_messages, query_texts
from bot.engine import Engine
from bot.knowledge.loader import load_knowledge


def passive_decider(engine: Engine) -> Callable[[str], bool]:
    """The passive-mode decision for one chat message, as the bot makes it: the pre-filter first, the
    full match only for what it lets through. The function the throughput figure measures."""
    return lambda text: engine.may_answer(text) and engine.match(text).reply


def rss_bytes() -> int:
    """Resident memory now (Linux /proc); falls back to the peak where /proc is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    except OSError:
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def timed(fn: Callable[[], object], reps: int, budget_s: float, warmup: int = 3) -> list[float]:
    """Seconds per call: `reps` calls, or fewer when `budget_s` runs out (but always at least 5)."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < reps:
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        if len(samples) >= 5 and time.perf_counter() > deadline:
            break
    return sorted(samples)


def measure(directories: list[str], reps: int, budget_s: float, chat: int) -> dict[str, Any]:
    logging.disable(logging.WARNING)  # a work-in-progress entry's problems would flood stderr
    texts = query_texts()
    gc.collect()
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    kb = load_knowledge([Path(d) for d in directories])
    t1 = time.perf_counter()
    engine = Engine.from_knowledge(kb)
    t2 = time.perf_counter()
    gc.collect()
    rss1 = rss_bytes()
    # The bot's own start-up path: Engine.load, which reuses the index cached for unchanged files.
    with tempfile.TemporaryDirectory(prefix="knownfix-bench-cache-") as cache:
        os.environ["KNOWNFIX_CACHE_DIR"] = cache
        Engine.load([Path(d) for d in directories])  # builds and writes the cache
        t3 = time.perf_counter()
        started = Engine.load([Path(d) for d in directories])
        cached_load_s = time.perf_counter() - t3
        # What the bot's first message pays after start-up, past a warm call's cost: work left for first use.
        t4 = time.perf_counter()
        for text in (texts["symptom sentence"], texts["60-line traceback"]):
            started.match(text)
        first_match_ms = (time.perf_counter() - t4) * 1000

    out: dict[str, Any] = {
        "entries": len(kb),
        "problems": len(kb.problems),
        "load_s": t1 - t0,
        "index_s": t2 - t1,
        "engine_load_s": t2 - t0,
        "cached_load_s": cached_load_s,
        "first_match_ms": first_match_ms,
        "rss_delta_mib": (rss1 - rss0) / 2**20,
        "rss_before_mib": rss0 / 2**20,  # the interpreter and the imported libraries
        # The whole process's high-water mark: imports, load, index build, and the peak of matching.
        "peak_rss_mib": 0.0,
        "latency": {},
    }
    for name, text in texts.items():
        samples = timed(partial(engine.match, text), reps, budget_s)
        out["latency"][name] = {
            "p50_ms": percentile(samples, 0.50) * 1000,
            "p99_ms": percentile(samples, 0.99) * 1000,
            "reps": len(samples),
        }

    decide = passive_decider(engine)
    messages = chat_messages(chat)
    for text in messages[:10]:  # warm-up
        decide(text)
    start = time.perf_counter()
    replies = sum(decide(text) for text in messages)
    elapsed = time.perf_counter() - start
    out["passive"] = {"messages": len(messages), "per_s": len(messages) / elapsed, "replies": replies}
    out["peak_rss_mib"] = peak_rss_bytes() / 2**20
    return out


def main(argv: list[str]) -> int:
    config = json.loads(argv[0])
    result = measure(config["directories"], config["reps"], config["budget_s"], config["chat"])
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
