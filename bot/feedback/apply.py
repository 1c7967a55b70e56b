"""`knownfix kb apply-feedback`: write observed fix rates back into the entry files for curators to review.

Only the `success_rate` numbers change, edited in place at their exact position in the file (found
through YAML's node marks), so the diff a curator reviews shows the rates and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.feedback.report import RateChange


def _mapping_value(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v  # type: ignore[no-any-return]
    return None


def apply_rates(path: Path, rates: dict[int, float]) -> bool:
    """Set workaround N's success_rate to rates[N] in the file; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    workarounds = _mapping_value(root, "workarounds") if root is not None else None
    if not isinstance(workarounds, yaml.SequenceNode):
        return False
    edits: list[tuple[int, int, str]] = []
    for number, rate in rates.items():
        if not 1 <= number <= len(workarounds.value):
            continue
        node = _mapping_value(workarounds.value[number - 1], "success_rate")
        if isinstance(node, yaml.ScalarNode):
            edits.append((node.start_mark.index, node.end_mark.index, f"{rate:.2f}"))
    for start, end, value in sorted(edits, reverse=True):  # from the end, so earlier offsets stay valid
        text = text[:start] + value + text[end:]
    if not edits:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def apply_feedback(changes: Iterable[RateChange], paths: dict[str, Path]) -> list[Path]:
    by_entry: dict[str, dict[int, float]] = {}
    for change in changes:
        by_entry.setdefault(change.entry_id, {})[change.number] = change.observed
    written = []
    for entry_id, rates in sorted(by_entry.items()):
        path = paths.get(entry_id)
        if path is not None and apply_rates(path, rates):
            written.append(path)
    return written
