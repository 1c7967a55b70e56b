"""A Python 2 statement under a bare `SyntaxError: invalid syntax`, worded as a later interpreter words it.

Python 3.4 added "Missing parentheses in call to 'print'", but 3.0-3.3 print only `invalid syntax`, and 3.4-3.9
still do for some lines (`print ", ".join(parts)`, `def f(): print x`). The statement is in the code line Python
shows above the caret, which the matcher does not read: its evidence comes from error lines. So extraction adds
the later wording to the error line, as it adds Python 3.13's renaming hint to a shadowed module's error
(`shadowing.py`); matched against, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# `print x`, `exec code`, also after a one-line `def f():` or `if x:`; not a call (`print(x)`), an assignment
# (`print = log`), an attribute (`print.x`) or a name that only starts with the word (`printer`). The line is one
# line (extraction's failing code), so `\s` never crosses into another.
_STATEMENT = re.compile(r"(?:^|:[ \t]*)(?P<word>print|exec)[ \t]+[^\s(=.,)\]}:;>]")
# What 3.0-3.9 print for such a line: the whole message, nothing after it.
_BARE = "invalid syntax"


def python2_statement_hint(
    exceptions: Sequence[str | None], messages: Sequence[str], code_lines: Sequence[str]
) -> tuple[int, str] | None:
    """Python 3.10's wording for a print or exec statement, and which error line it belongs to: a SyntaxError whose
    message is only `invalid syntax`, when the code line shown above it holds such a statement; else None."""
    for at, (exception, message, code) in enumerate(zip(exceptions, messages, code_lines, strict=True)):
        if exception == "SyntaxError" and message.strip() == _BARE and (statement := _STATEMENT.search(code)):
            word = statement.group("word")
            return at, f"Missing parentheses in call to '{word}'. Did you mean {word}(...)?"
    return None
