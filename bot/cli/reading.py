"""Reading a command's input (a file or standard input) as the engine would read it, never holding its middle."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO

from bot.cli.mistakes import UserMistake, os_reason
from bot.matching.extract import HEAD_CHARS, MAX_CHARS

# Huge input is cut as the engine cuts it (extract.bound_text keeps the first HEAD_CHARS characters and
# the last MAX_CHARS - HEAD_CHARS). A UTF-8 character is at most 4 bytes, so that many characters' worth
# of bytes from each end hands the engine exactly what it would keep of the whole input.
UTF8_MAX_CHAR_BYTES = 4
HEAD_BYTES = HEAD_CHARS * UTF8_MAX_CHAR_BYTES
TAIL_BYTES = (MAX_CHARS - HEAD_CHARS) * UTF8_MAX_CHAR_BYTES
READ_CHUNK_BYTES = 1024 * 1024  # the middle of a pipe is read through in pieces this size, never held whole


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end: a pipe or terminal may hand over less per read."""
    parts, got = [], 0
    while got < size and (part := stream.read(size - got)):
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _rest_of_tail(stream: IO[bytes], carried: bytes) -> bytes | None:
    """The last TAIL_BYTES of `carried` and the rest of the stream; None when the stream has no more.

    A file seeks past its middle; a pipe is read through, keeping only the most recent bytes."""
    with contextlib.suppress(OSError):
        if stream.seekable():
            here, end = stream.tell(), stream.seek(0, os.SEEK_END)
            stream.seek(max(here, end - TAIL_BYTES))
    kept = bytearray(carried)
    more = False
    while chunk := stream.read(READ_CHUNK_BYTES):
        more = True
        kept += chunk
        if len(kept) > 2 * TAIL_BYTES:
            del kept[: len(kept) - TAIL_BYTES]
    return bytes(kept[-TAIL_BYTES:]) if more else None


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def read_bounded(stream: IO[bytes]) -> str:
    """The input as text; input longer than HEAD_BYTES + TAIL_BYTES keeps its head and its tail, joined by
    a newline, and is read without ever holding its middle."""
    start = _read_exactly(stream, HEAD_BYTES + TAIL_BYTES)
    tail = _rest_of_tail(stream, start[HEAD_BYTES:]) if len(start) == HEAD_BYTES + TAIL_BYTES else None
    if tail is None:
        return _decoded(start)
    return _decoded(start[:HEAD_BYTES]) + "\n" + _decoded(tail)


def source_name(source: str | None) -> str:
    return "standard input" if source in (None, "-") else str(source)


@contextlib.contextmanager
def input_stream(source: str | None) -> Iterator[IO[bytes]]:
    """The named file, or standard input for None and "-"; a file that cannot be opened is a UserMistake."""
    if source in (None, "-"):
        yield sys.stdin.buffer
        return
    try:
        fh = open(str(source), "rb")  # noqa: SIM115 - the with below closes it; only opening is guarded
    except OSError as exc:
        raise UserMistake(source, os_reason(exc)) from exc
    with fh:
        yield fh


def read_input(source: str | None) -> str:
    with input_stream(source) as stream:
        try:
            return read_bounded(stream)
        except OSError as exc:
            raise UserMistake(source_name(source), os_reason(exc)) from exc
