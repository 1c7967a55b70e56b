"""The matcher's one table of numbers (`weights.toml`), read once and typed.

Every number that steers a matching decision lives in the table with the reason it is there; code
refers to it by name. `knownfix tune` rewrites the fitted values in place (`write_values`) so the
reasons and the layout survive a refit.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from bot.values import is_number

WEIGHTS_FILE = Path(__file__).with_name("weights.toml")

# The talk cues whose weight grows with the match's score (the calibration's `*_by_score` features).
TALK_CUES = ("advice", "explanation", "concept", "thanks", "resolved", "talk_words")
# Evidence that says more or less about a description than about a pasted error, each also read times "no error line
# in the message" (the calibration's `description_by_*` features, see calibration.feature_vector).
DESCRIPTION_TERMS = ("score", "gap", "talk_words", "problem_cues", "explained", "record")
# The calibration's features, in the order the coefficients are applied. `calibration.feature_vector` builds
# them; the table holds one coefficient for each and an intercept.
CALIBRATION_FEATURES = (
    "score",
    "gap",
    "similarity",
    "coverage",
    "exact",
    "via_pattern",
    "via_signature",
    "via_words",
    "via_symptom",
    "via_weak",
    "error_report",
    "traceback",
    "prose_length",
    "problem_cues",
    "first_person",
    "advice",
    "explanation",
    "concept",
    "thanks",
    "resolved",
    "talk_words",
    "examples",
    "examples_lead",
    "explained",
    "pack",
    "record",
    "raised_elsewhere",
    *(f"{cue}_by_score" for cue in TALK_CUES),
    *(f"description_by_{name}" for name in DESCRIPTION_TERMS),
)


@dataclass(frozen=True, slots=True)
class Limits:
    max_query_error_lines: int
    pattern_region_chars: int
    pattern_budget_s: float
    prose_chars: int


@dataclass(frozen=True, slots=True)
class Selection:
    candidates: int
    fuzzy_candidates: int
    pack_candidate_share: float
    exception_candidates: int
    same_length: float
    close_signature: float
    short_phrasing_words: float
    strong_pattern: int
    exact_signature: float
    specific_pattern: int
    partial_overlap: float
    partial_ceiling: float
    ratio_cutoff: int
    partial_cutoff: int
    exact_similarity: float


@dataclass(frozen=True, slots=True)
class Scoring:
    named_share: float
    shared_named_share: float
    word_check: float
    words: float
    phrasing_share: float
    symptom_likeness: float
    symptom_entry: float
    symptom_error_entry: float
    pattern_base: float
    pattern_similarity: float
    pattern_specific: float
    hint_base: float
    hint_strength: float
    exception_only: float
    exception_agrees: float
    exception_disagrees: float
    library_hint: float
    frame_hint: float
    pattern_bonus: float
    summary_yield: float
    pack_trust: float
    pack_exact_trust: float
    pack_prose_words: float


# What orders a description's candidates besides its score (evidence.ranking_features builds them, in this order):
# `knownfix tune` fits one weight each; [ranking] holds them, beside the hand-set floor of the examples' probability.
RANKING_FEATURES = (
    "examples",
    "symptom_coverage",
    "explained_share",
    "symptom_likeness",
    "symptom_entry",
    "library_hint",
)


@dataclass(frozen=True, slots=True)
class Ranking:
    examples: float
    symptom_coverage: float
    explained_share: float
    symptom_likeness: float
    symptom_entry: float
    library_hint: float
    examples_floor: float

    @property
    def coefficients(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in RANKING_FEATURES)


@dataclass(frozen=True, slots=True)
class Calibration:
    intercept: float
    coefficients: tuple[float, ...]  # one per CALIBRATION_FEATURES, in that order


@dataclass(frozen=True, slots=True)
class Decisions:
    reply: float
    reply_margin: float
    reply_symptom: float
    reply_symptom_lead: float
    minimum_score: float
    minimum_symptom_score: float
    passive: float
    passive_exact: float
    passive_normal: float
    passive_exact_normal: float
    asked: float
    band_high_probability: float
    candidates: float
    talk_gate: float
    bare_paste_words: int
    rule_probability: float


@dataclass(frozen=True, slots=True)
class Records:
    prior_cases: float


@dataclass(frozen=True, slots=True)
class VersionFit:
    outside_range: float


@dataclass(frozen=True, slots=True)
class Weights:
    limits: Limits
    selection: Selection
    scoring: Scoring
    ranking: Ranking
    calibration: Calibration
    decisions: Decisions
    records: Records
    environment: VersionFit


class WeightsError(ValueError):
    """The table is missing a number, has one too many, or holds a value of the wrong type."""


T = TypeVar("T")


def _section(table: dict[str, Any], name: str, cls: type[T]) -> T:
    raw = table.get(name)
    if not isinstance(raw, dict):
        raise WeightsError(f"weights table: section [{name}] is missing")
    wanted = {f.name: f.type for f in fields(cls)}  # type: ignore[arg-type]
    extra = sorted(set(raw) - set(wanted))
    missing = sorted(set(wanted) - set(raw))
    if extra or missing:
        raise WeightsError(f"weights table [{name}]: unknown {extra}, missing {missing}")
    values: dict[str, Any] = {}
    for key, kind in wanted.items():
        item = raw[key]
        if not isinstance(item, dict) or "value" not in item or not str(item.get("why", "")).strip():
            raise WeightsError(f"weights table [{name}] {key}: needs a value and a why")
        value = item["value"]
        if not is_number(value):
            raise WeightsError(f"weights table [{name}] {key}: value must be a number")
        values[key] = int(value) if kind == "int" else float(value)
    return cls(**values)


def parse(table: dict[str, Any]) -> Weights:
    calibration = table.get("calibration")
    if not isinstance(calibration, dict):
        raise WeightsError("weights table: section [calibration] is missing")
    names = ("intercept", *CALIBRATION_FEATURES)
    extra = sorted(set(calibration) - set(names))
    missing = sorted(set(names) - set(calibration))
    if extra or missing:
        raise WeightsError(f"weights table [calibration]: unknown {extra}, missing {missing}")
    coef = []
    for name in names:
        item = calibration[name]
        if not isinstance(item, dict) or not is_number(item.get("value")):
            raise WeightsError(f"weights table [calibration] {name}: needs a numeric value and a why")
        coef.append(float(item["value"]))
    return Weights(
        limits=_section(table, "limits", Limits),
        selection=_section(table, "selection", Selection),
        scoring=_section(table, "scoring", Scoring),
        ranking=_section(table, "ranking", Ranking),
        calibration=Calibration(intercept=coef[0], coefficients=tuple(coef[1:])),
        decisions=_section(table, "decisions", Decisions),
        records=_section(table, "records", Records),
        environment=_section(table, "environment", VersionFit),
    )


def load(path: Path = WEIGHTS_FILE) -> Weights:
    with path.open("rb") as fh:
        return parse(tomllib.load(fh))


@functools.cache
def default_weights() -> Weights:
    """The bundled table, read once per process."""
    return load()


def _format(value: float) -> str:
    text = f"{value:.6g}"
    # TOML reads `1` as an integer; a fitted weight stays a float in the file.
    return text if any(c in text for c in ".en") else text + ".0"


def write_values(path: Path, section: str, values: dict[str, float]) -> None:
    """Rewrite the `value` of each named item of one section, keeping every reason and comment as it is."""
    lines = path.read_text(encoding="utf-8").split("\n")
    current = ""
    seen: set[str] = set()
    for i, line in enumerate(lines):
        header = re.match(r"^\[([a-z_]+)\]\s*$", line)
        if header:
            current = header.group(1)
            continue
        item = re.match(r"^([a-z_]+) = \{ value = ([^,]+),", line)
        if current == section and item and item.group(1) in values:
            key = item.group(1)
            lines[i] = line[: item.start(2)] + _format(values[key]) + line[item.end(2) :]
            seen.add(key)
    missing = sorted(set(values) - seen)
    if missing:
        raise WeightsError(f"weights table [{section}]: no line for {missing}")
    text = "\n".join(lines)
    parse(tomllib.loads(text))  # never write a table that would not load
    path.write_text(text, encoding="utf-8")
