"""`python -m benchmarks [--quick] [--json]`: load time, memory, match latency and passive throughput at
three knowledge sizes, plus the feedback store. Run from the repository root; needs ../shared/deadends-canons
for the two larger sizes (without it, only our own knowledge is measured).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from benchmarks.hostile import hostile_lines
from benchmarks.memory import memory_lines
from benchmarks.report import render
from benchmarks.run import CANONS, OURS, QUICK, Settings, measure_hostile, measure_memory_only, run_benchmarks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about a minute less)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--knowledge", type=Path, default=OURS, help="our knowledge directory")
    parser.add_argument("--canons", type=Path, default=CANONS, help="the deadends.dev canons directory")
    parser.add_argument("--synthetic", type=int, help="entries in the synthetic knowledge base (default 20,000)")
    parser.add_argument("--hostile", action="store_true", help="only the hostile-input section (about 20 s)")
    parser.add_argument("--memory", action="store_true", help="only the memory-per-process section (a few minutes)")
    parser.add_argument(
        "--multiprocess",
        action="store_true",
        help="only the several-processes section: SQLite and one bot process, PostgreSQL and two (minutes)",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else Settings()
    if args.synthetic:
        settings = replace(settings, synthetic=args.synthetic)
    if args.multiprocess:
        from benchmarks.multiprocess import multiprocess_figures, multiprocess_lines

        figures = multiprocess_figures()
        table = "\n".join(multiprocess_lines(figures)) + "\n"
        sys.stdout.write(json.dumps(figures, indent=2) + "\n" if args.json else table)
        return 0
    if args.memory:
        memory = measure_memory_only(settings, args.knowledge, args.canons)
        table = "\n".join(memory_lines(memory)) + "\n"
        sys.stdout.write(json.dumps(memory, indent=2) + "\n" if args.json else table)
        return 0 if all("error" not in size for size in memory.get("sizes", [])) else 1
    if args.hostile:
        hostile = measure_hostile(settings, args.knowledge)
        table = "\n".join(hostile_lines(hostile)) + "\n"
        sys.stdout.write(json.dumps(hostile, indent=2) + "\n" if args.json else table)
        return 0
    results = run_benchmarks(settings, args.knowledge, args.canons)
    sys.stdout.write(json.dumps(results, indent=2) + "\n" if args.json else render(results))
    return 1 if any("error" in size for size in results["sizes"]) else 0


if __name__ == "__main__":
    sys.exit(main())
