"""Mask the parts of an error message that vary between runs, the way error-grouping systems do.

`mat1 and mat2 shapes cannot be multiplied (64x512 and 256x10)` and the same error with other shapes
must compare as equal, so shapes, numbers, addresses, paths, quoted names, versions and device names
become placeholder tokens before any comparison. Placeholders are plain words (`_num_`, `_shape_`) so
the fuzzy scorers treat each as one token.
"""

from __future__ import annotations

import re

# Order matters: wider constructs (urls, paths, shapes) are masked before the numbers inside them.
# Each mask names what a text must hold for its pattern to match (none: it always runs). Most compared lines
# hold no URL, path, quote or bracket, and a substring test in C costs a fraction of a search that cannot
# match: a line like `RuntimeError: mat1 and mat2 ...` skips 9 of the 15 searches.
_MASKS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"https?://\S+"), " _url_ ", ("://",)),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), " _hex_ ", ("0x",)),
    (re.compile(r"\b[0-9a-f]{12,}\b"), " _hex_ ", ()),
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.+~@-]{1,200}){2,}[\\/]?"), " _path_ ", ("/", "\\")),
    # The repeat is bounded: unbounded, `[\w.+-]+\.py` is quadratic on `a.a.a.a...` (8 KB took a second).
    (
        re.compile(r"\b[\w.+-]{1,120}\.(?:py|pyx|so|dll|pyd|cpp|cu|h|ipynb|json|csv|txt|yaml|yml|pt|pth|bin|ckpt)\b"),
        " _file_ ",
        (".",),
    ),
    # Runs of spaces inside brackets are matched once: `\s*,?\s*` could split a long run of spaces in every
    # way before failing (quadratic), and `[^\]]*` would rescan the rest of the text from every `torch.Size([`.
    (re.compile(r"torch\.Size\(\[[\d,\s]*\]\)"), " _shape_ ", ("torch.Size([",)),
    (re.compile(r"\[\s*-?\d+(?:\s*,\s*-?\d+)*(?:\s*,)?\s*\]"), " _shape_ ", ("[",)),
    (re.compile(r"\(\s*-?\d+(?:\s*,\s*-?\d+)+(?:\s*,)?\s*\)|\(\s*\d+\s*,\s*\)"), " _shape_ ", ("(",)),
    (re.compile(r"\b\d+(?:x\d+)+\b"), " _shape_ ", ("x",)),
    (re.compile(r"\b(?:cuda|mps|xpu|hpu|npu):\d+\b"), " _device_ ", (":",)),
    (re.compile(r"\b\d+(?:\.\d+)?\s*(?:[KMGT]i?B|bytes?)\b", re.IGNORECASE), " _size_ ", ("B", "b")),
    (re.compile(r"\bv?\d+(?:\.\d+){1,3}(?:[a-z]+\d*|\+\w+)?\b"), " _ver_ ", (".",)),
    # A quoted path stays a path, not an anonymous quoted name.
    (re.compile(r"""['"`]\s*(_[a-z]+_)\s*['"`]"""), r" \1 ", ("'", '"', "`")),
)
_QUOTED = (re.compile(r"'[^'\n]{1,80}'|\"[^\"\n]{1,80}\"|`[^`\n]{1,80}`"), " _q_ ", ("'", '"', "`"))
_NUMBER = (re.compile(r"\b\d+\b"), " _num_ ")
_SPACE = re.compile(r"\s+")
# The module path in front of an exception class: `django.db.utils.OperationalError`, `torch.cuda.OutOfMemoryError`.
# Bounded repeats: linear on any text.
_EXCEPTION_MODULE = re.compile(r"\b(?:[A-Za-z_]\w{0,60}\.){1,8}(?=[A-Z]\w{0,80}(?:Error|Exception|Warning)\b)")
_NOISE = re.compile(r"[^\w\s]")


def mask(text: str, keep_names: bool = False) -> str:
    """The text with variable parts replaced by placeholders; case and punctuation kept.

    With `keep_names`, quoted names stay: `'Half'` and `'Float'` then tell two errors of one shape apart.
    """
    for pattern, placeholder, needs in _MASKS:
        if not needs or any(part in text for part in needs):
            text = pattern.sub(placeholder, text)
    if not keep_names and any(quote in text for quote in _QUOTED[2]):
        text = _QUOTED[0].sub(_QUOTED[1], text)
    text = _NUMBER[0].sub(_NUMBER[1], text)
    return _SPACE.sub(" ", text).strip()


def normalize(text: str, keep_names: bool = False) -> str:
    """The comparison form: masked, lower-case, punctuation dropped, spaces folded."""
    masked = mask(text, keep_names).lower()
    return _SPACE.sub(" ", _NOISE.sub(" ", masked)).strip()


def comparable(text: str, keep_names: bool = False) -> str:
    """What signature similarity compares: `normalize`d, with exception classes stripped of their module path.

    Where a class lives varies with the framework that wraps it (`django.db.utils.OperationalError`,
    `sqlalchemy.exc.OperationalError`, `sqlite3.OperationalError`), and a long path outweighs a short message:
    `django.db.utils.OperationalError: no such table` read 0.77 alike `... OperationalError: database is locked`.
    Which class was raised is the exception evidence's to judge, with the full name. Stored gap lines keep
    `normalize` alone, so their grouping does not change."""
    if "." in text:
        text = _EXCEPTION_MODULE.sub("", text)
    return normalize(text, keep_names)
