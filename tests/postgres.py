"""A private PostgreSQL server for the tests, from Debian's `postgresql` package (.ci/run installs it).

initdb into a temporary folder, started with pg_ctl on a free loopback port, its unix socket in that folder,
stopped and removed at the end of the session. PostgreSQL refuses to run as root, and the tests run as root
here and in CI: then the server runs as the `postgres` system user the package creates, owning the folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"  # the account Debian's package creates; used only when the tests run as root
# Seconds pg_ctl waits for the server to accept connections: initdb plus start take ~3 s on a loaded machine.
START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


def find_bin() -> Path:
    found = sorted(glob.glob(POSTGRES_BIN_GLOB), key=lambda p: int(Path(p).parent.name.split(".")[0]))
    if not found:
        raise PostgresUnavailable(f"no PostgreSQL under {POSTGRES_BIN_GLOB} (apt-get install postgresql)")
    return Path(found[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bin: Path
    root: Path  # data folder and socket folder live here
    port: int
    user: str  # the database superuser: the OS user the server runs as (trust authentication)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=START_TIMEOUT_S + 30)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-800:]}")
        return done

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.root / "server.log"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options, "-w", "-t",
                  str(START_TIMEOUT_S), "start")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable):  # never started: nothing to stop
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database for one test; its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._run(str(self.bin / "psql"), "-h", str(self.root), "-p", str(self.port), "-U", self.user,
                  "-d", "postgres", "-c", f"CREATE DATABASE {name}")  # fmt: skip
        return self.url(name)


def start_server() -> PostgresServer:
    """Start a private server, or raise PostgresUnavailable naming what is missing."""
    bin_dir = find_bin()
    root = Path(tempfile.mkdtemp(prefix="knownfix-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise PostgresUnavailable(f"running as root, and no '{SERVER_USER}' user to run the server") from None
        os.chown(root, account.pw_uid, account.pw_gid)
        user = SERVER_USER
    else:
        user = pwd.getpwuid(os.geteuid()).pw_name
    server = PostgresServer(bin_dir, root, free_port(), user)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
