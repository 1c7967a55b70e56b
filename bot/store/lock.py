"""One bot per database: an exclusive lock on a file beside it, held for the life of the process.

Two bots on one database answer every message twice, and the second reply cannot be recorded. Until
several processes are supported properly, a second bot refuses to start. The lock is `flock` on
`<database>.lock`: the kernel drops it when the process ends, however it ends, so a crash leaves no
stale lock behind. The file is never deleted: a process that unlinked it could let a third one lock a
fresh file while a second still holds the old one.

SQLite only: several processes share a PostgreSQL database by design, so a `postgresql://` database takes
no lock here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.store.backend import is_postgres, sqlite_path


class DatabaseInUseError(RuntimeError):
    """Another process holds the database's lock; the message names the database and that process."""


def lock_path(database: str | Path) -> Path:
    # Resolved, so that two spellings of one database (relative, through a symlink, `sqlite:PATH`) share one lock.
    resolved = Path(sqlite_path(database)).resolve()
    return resolved.with_name(resolved.name + ".lock")


class DatabaseLock:
    def __init__(self, database: str | Path) -> None:
        self.database: str | Path = database if is_postgres(database) else Path(sqlite_path(database))
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise DatabaseInUseError at once; never waits for the other process."""
        if str(self.database) == ":memory:":  # a private database: nothing to share
            return
        if is_postgres(self.database):  # a server shared by design: its own transactions keep order
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise DatabaseInUseError(
                f"database {self.database} is in use by another knownfix bot ({holder}); run one bot per"
                " database: stop that one, or give this one its own KNOWNFIX_DATABASE"
            ) from None
        # The pid is for the message above: it says which process to look at, the lock itself is the flock.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _holder(fd: int) -> str:
    """'pid N' from the lock file, or a vaguer phrase while the holder has not written it yet."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip())
        return f"pid {pid}"
    return "pid unknown"
