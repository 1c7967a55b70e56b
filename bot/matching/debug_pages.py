"""Read the exception a Django debug page names in its own words as the error line Python would print.

Django's debug page, and its "copy-and-paste view" that people paste into help channels, ends its traceback without
Python's last line: the frames are followed by `Exception Type: OperationalError at /admin/` and `Exception Value: no
such table: main.auth_user__old` (the page's summary table says the same, the value on the line after its label when
copied from the browser). Nothing in such a paste opens a line with `OperationalError: ...`, so the matcher had the
class name alone. The two labelled lines become that one line, `OperationalError: no such table: main.auth_user__old`,
where the type's line stood; and since the page says the name is an exception's, its line reads as an error even
where the class is not named like one (`TemplateDoesNotExist`, `NoReverseMatch`).
"""

from __future__ import annotations

import re

from bot.matching.restating import restate_reports

_TYPE_LABEL = "Exception Type:"
_VALUE_LABEL = "Exception Value:"
# The class, then what Django adds after it: ` at /request/path`. Matched at the stripped line's start only.
_TYPE = re.compile(re.escape(_TYPE_LABEL) + r"[ \t]*([A-Za-z_][\w.]*)")
# A value copied from the browser sits a blank line or two below its label, never further.
MAX_VALUE_GAP = 2
# Pages read in one message: a log of failed requests repeats the page; the matcher reads a paste's last few errors.
MAX_PAGES = 16


def _value(lines: list[str], label_at: int) -> tuple[str, int]:
    """The value after the label on line `label_at`, and the index of the line holding it."""
    value = lines[label_at].strip()[len(_VALUE_LABEL) :].strip()
    if value:
        return value, label_at
    for at in range(label_at + 1, min(len(lines), label_at + 1 + MAX_VALUE_GAP)):
        if lines[at].strip():
            return lines[at].strip(), at
    return "", label_at


def _page(lines: list[str], i: int) -> tuple[str, list[str], int] | None:
    """The page's exception when its `Exception Type:` label is line `i` (see `restating.Reader`)."""
    found = _TYPE.match(lines[i].strip())
    # The value's label follows the type's on the next line, in the copy-and-paste view and the summary table alike.
    if found is None or i + 1 >= len(lines) or not lines[i + 1].strip().startswith(_VALUE_LABEL):
        return None
    value, last = _value(lines, i + 1)
    name = found.group(1)
    # A blank line after it: the page's next labels (`Exception Location:`) are no continuation of its message.
    return name, [f"{name}: {value}" if value else name, ""], last + 1


def restate_exceptions(text: str) -> tuple[str, frozenset[str]]:
    """The text with each Django `Exception Type:` / `Exception Value:` pair written as one error line, and the
    classes so named (lower case, without their module: what `extract`'s known classes hold)."""
    if _VALUE_LABEL not in text or _TYPE_LABEL not in text:
        return text, frozenset()
    return restate_reports(text.split("\n"), _page, MAX_PAGES)
