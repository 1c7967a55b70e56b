"""`knownfix eval`: how the matcher does on labelled cases."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.engine import Engine

CASE_SHAPE = '{"text": "...", "expected": "<entry id>" or null}'


class CasesError(ValueError):
    """A cases file that cannot be scored as written; the message says where and why."""


@dataclass(frozen=True)
class Case:
    line: int  # where it is in its file, for messages about it
    text: str
    expected: str | None  # the entry that should rank first; None for chat and uncovered errors


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


def parse_case(line: int, raw: bytes) -> Case:
    """One JSONL line as a case, or a CasesError naming the line and what is wrong with it."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CasesError(f"line {line} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise CasesError(f"line {line} is not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:  # brackets nested past what the parser recurses into
        raise CasesError(f"line {line} is not JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise CasesError(f"line {line} is not a JSON object such as {CASE_SHAPE}")
    text, expected = data.get("text"), data.get("expected")
    if not isinstance(text, str):
        raise CasesError(f'line {line} has no string "text" to match')
    if expected is not None and (not isinstance(expected, str) or not expected):
        raise CasesError(f'line {line}: "expected" must be an entry id or null')
    return Case(line, text, expected)


def parse_cases(lines: Iterable[bytes]) -> list[Case]:
    """Every non-blank line of a JSONL file as a case; a file with none is a mistake too."""
    cases = [parse_case(n, raw) for n, raw in enumerate(lines, start=1) if raw.strip()]
    if not cases:
        raise CasesError(f"no cases (one JSON object a line: {CASE_SHAPE})")
    return cases


def check_expected_ids(cases: Sequence[Case], known: Collection[str]) -> None:
    """A case expecting an id no loaded entry has could never score: a typo or the wrong --knowledge."""
    unknown = [c for c in cases if c.expected is not None and c.expected not in known]
    if unknown:
        more = f" (and {len(unknown) - 1} more cases)" if len(unknown) > 1 else ""
        raise CasesError(f"line {unknown[0].line} expects {unknown[0].expected!r}, which no loaded entry has{more}")


def evaluate(engine: Engine, cases: Sequence[Case]) -> Figures:
    ranks: list[int | None] = []
    replies_pos: list[bool] = []
    replies_neg: list[bool] = []
    start = time.perf_counter()
    for case in cases:
        result = engine.match(case.text)
        if case.expected is not None:
            ids = [m.entry.id for m in result.matches]
            ranks.append(ids.index(case.expected) + 1 if case.expected in ids else None)
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


def read_cases(path: Path) -> list[Case]:
    """The cases in a JSONL file; OSError when it cannot be read, CasesError when a line is wrong."""
    with path.open("rb") as fh:
        return parse_cases(fh)


def figures_text(f: Figures) -> str:
    return (
        f"cases {f.cases} (labelled {f.positives})\n"
        f"top-1 {f.top1:.3f}  top-3 {f.top3:.3f}  MRR {f.mrr:.3f}\n"
        f"passive recall {f.passive_recall:.3f}  passive wrong {f.passive_wrong:.3f}  "
        f"passive false replies {f.passive_fp:.3f}\n"
        f"time per case {f.ms_per_case:.2f} ms\n"
    )
