"""The results as one table: a column per knowledge size, then how each figure grew against ours."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from benchmarks.hostile import hostile_lines
from benchmarks.memory import memory_lines

Getter = Callable[[dict[str, Any]], float | None]


def _get(*path: str) -> Getter:
    def get(size: dict[str, Any]) -> float | None:
        value: Any = size
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return float(value) if isinstance(value, int | float) else None

    return get


LATENCY_INPUTS = ("one-line error", "60-line traceback", "5,000-line log", "symptom sentence")

# (label, getter, decimals, whether a growth ratio means anything)
ROWS: list[tuple[str, Getter, int, bool]] = [
    ("entries loaded", _get("entries"), 0, True),
    ("load problems (in our files)", _get("problems"), 0, False),
    ("load: YAML + validate (s)", _get("load_s"), 2, True),
    ("index build (s)", _get("index_s"), 2, True),
    ("Engine.load total, cold (s)", _get("engine_load_s"), 2, True),
    ("Engine.load from the index cache (s)", _get("cached_load_s"), 2, True),
    ("first symptom + traceback after that load (ms)", _get("first_match_ms"), 1, True),
    ("RSS delta after load (MiB)", _get("rss_delta_mib"), 1, True),
    ("RSS before load (MiB)", _get("rss_before_mib"), 1, False),
    ("peak RSS of the process (MiB)", _get("peak_rss_mib"), 1, True),
    *[
        (f"{name} {q} (ms)", _get("latency", name, f"{q}_ms"), 2, True)
        for name in LATENCY_INPUTS
        for q in ("p50", "p99")
    ],
    ("passive path: pre-filter + match, chat (msg/s)", _get("passive", "per_s"), 0, True),
    ("passive replies to chat", _get("passive", "replies"), 0, False),
]


def _fmt(value: float | None, decimals: int) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{decimals}f}"


def render(results: dict[str, Any]) -> str:
    sizes: list[dict[str, Any]] = results["sizes"]
    s = results["settings"]
    m = results["machine"]
    lines = [
        f"knownfix benchmarks: {s['reps']} calls a latency figure (at most {s['budget_s']:g} s each), "
        f"{s['chat']} chat messages; Python {m['python']}, {m['cpus']} CPUs, {m['platform']}",
        "",
    ]
    base = sizes[0] if sizes else {}
    head = ["figure", *(f"({i}) {size['name']}" for i, size in enumerate(sizes, 1))]
    head += [f"({i})/(1)" for i in range(2, len(sizes) + 1)]
    table: list[list[str]] = [head]
    for label, get, decimals, ratio in ROWS:
        row = [label, *(_fmt(get(size), decimals) for size in sizes)]
        for size in sizes[1:]:
            a, b = get(base), get(size)
            row.append(f"{b / a:.1f}x" if ratio and a and b is not None and not math.isnan(a + b) else "")
        table.append(row)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for i, row in enumerate(table):
        lines.append("  ".join(c.ljust(widths[0]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(row)))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    for size in sizes:
        if "error" in size:
            lines.append(f"{size['name']}: {size['error']}")
    if sizes and "passive" in base:
        lines.append(f"(passive replies: out of {base['passive']['messages']} ordinary chat messages; 0 is right)")

    lines += ["", *feedback_lines(results.get("feedback", {}))]
    if "memory" in results:
        lines += ["", *memory_lines(results["memory"])]
    if "hostile" in results:
        lines += ["", *hostile_lines(results["hostile"])]
    lines += [f"note: {n}" for n in results.get("notes", [])]
    if "total_s" in results:
        lines.append(f"total time {results['total_s']:.0f} s")
    return "\n".join(lines) + "\n"


def feedback_lines(fb: dict[str, Any]) -> list[str]:
    if "skipped" in fb or not fb:
        return [str(fb.get("skipped", "feedback store: not measured"))]
    return [
        f"feedback store ({fb['voters']} concurrent voters, {fb['replies']:,} replies, {fb['entries']} entries)",
        f"  votes/s (lookup + vote)                   {fb['votes_per_s']:,.0f}   ({fb['votes']:,} votes, "
        f"{fb.get('votes_lost', '?')} lost: counted back from the database)",
        f"  ranked fix rates, one entry p50 / p99     {fb['rank_one_p50_ms']:.2f} / {fb['rank_one_p99_ms']:.2f} ms",
        f"  ranked fix rates, every entry p50         {fb['rank_all_p50_ms']:.1f} ms",
    ]
