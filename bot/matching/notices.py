"""Take out the notices tools print beside an error, which are neither the error nor the asker's words.

PyTorch ends the message of every CUDA error with the same advice ("CUDA kernel errors might be asynchronously
reported at some other API call, so the stacktrace below might be incorrect. For debugging consider passing
CUDA_LAUNCH_BLOCKING=1. Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions."): three sentences,
longer than most of the errors they follow. Compared with it, two different CUDA errors read alike, and the words
"device-side assertions" pulled an illegal instruction towards the device-side assert entry. The advice goes from the
paste (`drop_notices`) and from the signatures it is compared with (`without_advice`, `index.build_index`).

Google Colab follows every failed import with a fixed note ("NOTE: If your import is failing due to a missing package,
you can manually install dependencies using either !pip or !apt. ..."), and pip ends its output with an upgrade notice
("[notice] To update, run: pip install --upgrade pip"). Pasted with the error, they read as the asker's prose, and
advice in the second person is what an answer to someone else sounds like: a Colab missing-module traceback read at
0.50 with its note against 0.84 without, its error line alone at 0.13 against 0.45. The notices' lines are dropped,
and the rules of dashes Colab sets its note between.
"""

from __future__ import annotations

import re

# Colab's note, line by line as Colab breaks it (a paste may stop anywhere in it); the first line says it is there.
_COLAB_NOTE = (
    "NOTE: If your import is failing due to a missing package, you can",
    "manually install dependencies using either !pip or !apt.",
    "To view examples of installing some common dependencies, click the",
    '"Open Examples" button below.',
)
# pip's notices: the upgrade notice, two lines, each opening with this.
_PIP_NOTICE = "[notice] "
# PyTorch's advice after a CUDA error's message, sentence by sentence as releases word it (1.x put no space after the
# comma, 1.x ended the second without a full stop; people drop the backticks), and as ROCm builds word it for HIP.
# Literals with optional characters between them: linear. A sentence a line wrap cut in two stays.
_CUDA_ADVICE = re.compile(
    r"(?:CUDA|HIP) kernel errors might be asynchronously reported at some other API call, ?so the stacktrace below"
    r" might be incorrect\.?"
    r"|For debugging,? consider passing (?:CUDA_LAUNCH_BLOCKING=1|AMD_SERIALIZE_KERNEL=3)\.?"
    r"|Compile with `?TORCH_USE_(?:CUDA|HIP)_DSA`? to enable device-side assertions\.?"
)
_CUDA_ADVICE_WORDS = ("asynchronously reported", "CUDA_LAUNCH_BLOCKING=1", "AMD_SERIALIZE_KERNEL=3", "_DSA")
_PREFIX_CHARS = 40  # what a launcher or log puts before a line (`[rank0]:`, `web_1  |`) is shorter than this


def without_advice(text: str) -> str:
    """The text without PyTorch's advice after a CUDA error (see the module), spaces around it folded; the text as
    it is when it holds none."""
    if not any(word in text for word in _CUDA_ADVICE_WORDS):
        return text
    return " ".join(_CUDA_ADVICE.sub(" ", text).split())


def _is_rule(line: str) -> bool:
    """A line of dashes: Colab sets its note between two."""
    stripped = line.strip()
    return len(stripped) >= 20 and not stripped.strip("-")


def drop_notices(text: str) -> str:
    """The text without the tools' notices (see the module); the text as it is when it holds none."""
    if any(word in text for word in _CUDA_ADVICE_WORDS):
        text = _drop_advice(text)
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


def _drop_advice(text: str) -> str:
    """PyTorch's CUDA advice out of each line that holds it; a line it was all of goes with it (a line prefix such
    as `[rank0]: ` left alone counts as nothing), so the error's message ends where the advice began."""
    kept: list[str] = []
    for line in text.split("\n"):
        if any(word in line for word in _CUDA_ADVICE_WORDS):
            rest = _CUDA_ADVICE.sub("", line)
            if rest != line:
                left = rest.strip()
                if not left or (len(left) <= _PREFIX_CHARS and left.endswith((":", "|", "]"))):
                    continue
                line = rest.rstrip()
        kept.append(line)
    return "\n".join(kept)
