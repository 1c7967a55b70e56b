"""Write a tool's own report of an exception back, report by report, as the lines Python prints.

Django's debug page, VS Code's debugger popup and asyncio's log of a failed task each name the exception in their own
way (`debug_pages.py`, `popups.py`, `task_reprs.py`). All are read the same way: line by line, a reader says whether a
report opens at a line and, if so, what to write in its place; the classes the reports named come back too, since the
tool says they are exceptions' names.
"""

from __future__ import annotations

from collections.abc import Callable

# A reader: for the lines and an index, None when no report opens there; else the class the report names, the lines
# written in its place, and the index of the first line after it (past the index: the reading goes on).
Reader = Callable[[list[str], int], tuple[str, list[str], int] | None]


def restate_reports(lines: list[str], read: Reader, limit: int) -> tuple[str, frozenset[str]]:
    """The lines joined again with each report `read` finds (up to `limit` of them) written back, and the classes the
    reports named (lower case, without their module: what `extract`'s known classes hold)."""
    kept: list[str] = []
    classes: set[str] = set()
    restated = 0
    i = 0
    while i < len(lines):
        report = read(lines, i) if restated < limit else None
        if report is None:
            kept.append(lines[i])
            i += 1
            continue
        name, written, i = report
        kept += written
        restated += 1
        classes.add(name.rsplit(".", 1)[-1].lower())
    return "\n".join(kept), frozenset(classes)
