"""Take out the notices tools print beside an error, which are neither the error nor the asker's words.

Google Colab follows every failed import with a fixed note ("NOTE: If your import is failing due to a missing package,
you can manually install dependencies using either !pip or !apt. ..."), and pip ends its output with an upgrade notice
("[notice] To update, run: pip install --upgrade pip"). Pasted with the error, they read as the asker's prose, and
advice in the second person is what an answer to someone else sounds like: a Colab missing-module traceback read at
0.50 with its note against 0.84 without, its error line alone at 0.13 against 0.45. The notices' lines are dropped,
and the rules of dashes Colab sets its note between.
"""

from __future__ import annotations

# Colab's note, line by line as Colab breaks it (a paste may stop anywhere in it); the first line says it is there.
_COLAB_NOTE = (
    "NOTE: If your import is failing due to a missing package, you can",
    "manually install dependencies using either !pip or !apt.",
    "To view examples of installing some common dependencies, click the",
    '"Open Examples" button below.',
)
# pip's notices: the upgrade notice, two lines, each opening with this.
_PIP_NOTICE = "[notice] "


def _is_rule(line: str) -> bool:
    """A line of dashes: Colab sets its note between two."""
    stripped = line.strip()
    return len(stripped) >= 20 and not stripped.strip("-")


def drop_notices(text: str) -> str:
    """The text without the tools' notices (see the module); the text as it is when it holds none."""
    colab = _COLAB_NOTE[0] in text
    pip = _PIP_NOTICE in text
    if not colab and not pip:
        return text
    lines = text.split("\n")
    dropped = [
        (colab and line.strip() in _COLAB_NOTE) or (pip and line.strip().startswith(_PIP_NOTICE)) for line in lines
    ]
    if colab:
        # The rules around a note go with it: the nearest lines with text on either side of each run of the note's
        # lines (blank lines and other notices within it). One pass over the runs: linear however many notes repeat.
        i = done = 0  # lines before `done` belong to runs already read: no run looks back past them
        while i < len(lines):
            if lines[i].strip() not in _COLAB_NOTE:
                i += 1
                continue
            start, end = i, i
            while start > done and (dropped[start - 1] or not lines[start - 1].strip()):
                start -= 1
            while end < len(lines) and (dropped[end] or not lines[end].strip()):
                end += 1
            for j in (start - 1, end):
                if 0 <= j < len(lines) and _is_rule(lines[j]):
                    dropped[j] = True
            i = done = end + 1
    return "\n".join(line for line, drop in zip(lines, dropped, strict=True) if not drop)
