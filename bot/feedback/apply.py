"""`knownfix kb apply-feedback`: write observed fix rates back into the entry files for curators to review.

Workarounds are found by their `id`, the key votes are stored under, never by position. Only each voted
workaround's `success_rate` and `applied_votes` change, edited in place at their exact
position in the file (found through YAML's node marks), so the diff a curator reviews shows the rates and
the votes behind them, and nothing else. `applied_votes` keeps a later run, and the bot, from counting
the same votes twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.feedback.rates import Tally
from bot.feedback.report import RateChange


def _mapping_item(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _edits_for(workaround: yaml.Node, rate: float, total: Tally) -> list[tuple[int, int, str]]:
    """Text edits (start, end, replacement) that set a workaround's rate and record the votes behind it."""
    rate_item = _mapping_item(workaround, "success_rate")
    if rate_item is None or not isinstance(rate_item[1], yaml.ScalarNode):
        return []
    rate_key, rate_value = rate_item
    applied = f"{{fixed: {total.fixed}, failed: {total.failed}}}"
    edits = [(rate_value.start_mark.index, rate_value.end_mark.index, f"{rate:.2f}")]
    applied_item = _mapping_item(workaround, "applied_votes")
    if applied_item is not None:
        value = applied_item[1]
        edits.append((value.start_mark.index, value.end_mark.index, applied))
    elif isinstance(workaround, yaml.MappingNode) and workaround.flow_style:
        end = rate_value.end_mark.index
        edits.append((end, end, f", applied_votes: {applied}"))
    else:
        end = rate_value.end_mark.index
        edits.append((end, end, "\n" + " " * rate_key.start_mark.column + f"applied_votes: {applied}"))
    return edits


def _workaround_id(node: yaml.Node) -> str | None:
    item = _mapping_item(node, "id")
    return str(item[1].value).strip() if item is not None and isinstance(item[1], yaml.ScalarNode) else None


def apply_rates(path: Path, changes: dict[str, tuple[float, Tally]]) -> bool:
    """Set the success_rate and applied_votes of the workaround with id X from changes[X]; True when the
    file changed. A workaround without an id in the file is left alone (`kb lint` reports it)."""
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    item = _mapping_item(root, "workarounds") if root is not None else None
    if item is None or not isinstance(item[1], yaml.SequenceNode):
        return False
    edits: list[tuple[int, int, str]] = []
    for workaround in item[1].value:
        change = changes.get(_workaround_id(workaround) or "")
        if change is not None:
            edits += _edits_for(workaround, *change)
    for start, end, value in sorted(edits, reverse=True):  # from the end, so earlier offsets stay valid
        text = text[:start] + value + text[end:]
    if not edits:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def apply_feedback(changes: Iterable[RateChange], paths: dict[str, Path]) -> list[Path]:
    """Fold the votes behind each change into its entry file: the observed rate becomes the curated one,
    and `applied_votes` records how many votes it already includes, so they are not counted again."""
    by_entry: dict[str, dict[str, tuple[float, Tally]]] = {}
    for change in changes:
        by_entry.setdefault(change.entry_id, {})[change.workaround_id] = (change.observed, change.total)
    written = []
    for entry_id, rates in sorted(by_entry.items()):
        path = paths.get(entry_id)
        if path is not None and apply_rates(path, rates):
            written.append(path)
    return written
