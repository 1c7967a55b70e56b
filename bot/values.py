"""Checks for values read from files people or tools wrote: the knowledge YAML, the weights table, the fitted
model files. One place, so every reader refuses the same things the same way."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TypeGuard


def is_number(value: object) -> TypeGuard[int | float]:
    """A number as a file means one. `True` is an `int` to Python, but `weight: true` is a mistake, not 1; and
    JSON's `NaN` and TOML's `inf` parse as floats, but no weight or rate of ours is one (a NaN compares false
    with everything and would pass every range check)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)  # isfinite() overflows on a 400-digit integer


def read_json(path: Path, error: type[ValueError], what: str) -> object:
    """A JSON file's value, or `error` with one line naming the file and why it could not be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{what}: cannot read {path}: {exc}") from exc
