"""A user's mistake on the command line: one clear line and exit status 2, never a traceback."""

from __future__ import annotations

USAGE_EXIT = 2  # what argparse exits with for a bad command line; every user mistake exits with it
MAX_SHOWN_CHARS = 200  # a path or id quoted back in a message is cut here, so the message stays one line


class UserMistake(Exception):
    """Something asked for that cannot be done as asked: `main` prints one line and exits USAGE_EXIT."""

    def __init__(self, what: object, why: str) -> None:
        shown = str(what)
        if len(shown) > MAX_SHOWN_CHARS:
            shown = shown[: MAX_SHOWN_CHARS - 1] + "…"
        super().__init__(f"{shown} — {why}")


def one_line(text: str) -> str:
    """Control characters (a newline in a file name) escaped, so a message is exactly one line."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def os_reason(exc: OSError, doing: str = "read") -> str:
    """Why a file could not be used (`doing` it), in the words a person reads, not errno's."""
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is a file, not a directory"
    if isinstance(exc, PermissionError):
        return f"permission denied ({doing})"
    return f"cannot {doing} ({exc.strerror or exc})"
