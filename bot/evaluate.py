"""`knownfix eval`: how the matcher does on labelled cases."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bot.engine import Engine


@dataclass(frozen=True)
class Figures:
    cases: int
    positives: int
    top1: float
    top3: float
    mrr: float
    passive_recall: float
    passive_wrong: float
    passive_fp: float
    ms_per_case: float


def evaluate(engine: Engine, cases: list[dict[str, object]]) -> Figures:
    ranks: list[int | None] = []
    replies_pos: list[bool] = []
    replies_neg: list[bool] = []
    start = time.perf_counter()
    for case in cases:
        result = engine.match(str(case.get("text", "")))
        expected = case.get("expected")
        if expected:
            ids = [m.entry.id for m in result.matches]
            ranks.append(ids.index(str(expected)) + 1 if expected in ids else None)
            replies_pos.append(result.reply)
        else:
            replies_neg.append(result.reply)
    elapsed = time.perf_counter() - start
    n = max(1, len(ranks))
    return Figures(
        cases=len(cases),
        positives=len(ranks),
        top1=sum(1 for r in ranks if r == 1) / n,
        top3=sum(1 for r in ranks if r and r <= 3) / n,
        mrr=sum(1 / r for r in ranks if r) / n,
        passive_recall=sum(1 for r, said in zip(ranks, replies_pos, strict=True) if said and r == 1) / n,
        passive_wrong=sum(1 for r, said in zip(ranks, replies_pos, strict=True) if said and r != 1) / n,
        passive_fp=sum(replies_neg) / max(1, len(replies_neg)),
        ms_per_case=1000 * elapsed / max(1, len(cases)),
    )


def evaluate_file(engine: Engine, path: Path) -> str:
    with path.open(encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh if line.strip()]
    f = evaluate(engine, cases)
    return (
        f"cases {f.cases} (labelled {f.positives})\n"
        f"top-1 {f.top1:.3f}  top-3 {f.top3:.3f}  MRR {f.mrr:.3f}\n"
        f"passive recall {f.passive_recall:.3f}  passive wrong {f.passive_wrong:.3f}  "
        f"passive false replies {f.passive_fp:.3f}\n"
        f"time per case {f.ms_per_case:.2f} ms\n"
    )
