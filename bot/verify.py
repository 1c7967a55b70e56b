"""`knownfix kb verify`: raise each entry's error for real and check the matcher finds the entry.

A reproducer is code from a knowledge file, so it runs as untrusted code: in its own subprocess and
process group (killed as a whole when it ends or times out), in a private temporary directory that is
also its home, with a minimal environment (no tokens, no database URL: nothing of the bot's), an
address-space limit, no GPU, the Hugging Face hub offline, output read in bounded tails, and no network
where the platform allows a network namespace. Reproducers from packs (directories after the first)
run only with --trust-packs. Its combined output is what a person would paste; the check is that the
matcher ranks the entry first for it. Reproducers never run inside the bot.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import importlib.util
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, TextIO

from bot.engine import Engine
from bot.knowledge.model import Entry, Verification
from bot.matching.index import knowledge_tiers

MEMORY_LIMIT_BYTES = 6 * 1024**3
OUTPUT_LIMIT_CHARS = 200_000
# Each stream keeps only its last this-many bytes (more than OUTPUT_LIMIT_CHARS of UTF-8 text needs);
# the rest is read and dropped, so a flooding reproducer neither blocks on its pipe nor fills our memory.
STREAM_TAIL_BYTES = 4 * OUTPUT_LIMIT_CHARS
READ_CHUNK_BYTES = 64 * 1024
# How often the reader looks up from the pipes to check the clock and whether the reproducer exited.
POLL_SECONDS = 0.1
# After the reproducer exits and its group is killed, output still in flight gets this long to arrive;
# a process that escaped the group cannot hold verify longer than this by keeping a pipe open.
DRAIN_AFTER_EXIT_SECONDS = 2.0

# Ways to run a command without network (and, with a PID namespace, with every descendant killed when
# it ends), most isolating first; the first that works on this machine is used, else none.
ISOLATION_COMMANDS = (
    ("--net", "--pid", "--kill-child"),
    ("--map-root-user", "--net", "--pid", "--kill-child"),
    ("--net",),
    ("--map-root-user", "--net"),
)


class Outcome(StrEnum):
    REPRODUCED = "reproduced"  # the error was raised and the matcher put the entry first
    STAND_IN = "stand-in"  # a close relative of the error was raised and matched; the entry is not proven
    STALE = "stale"  # it raised the error once (the entry says so) and now runs clean: fixed upstream?
    MISMATCHED = "mismatched"  # it raises something else: another entry ranks first for its output
    NO_ERROR = "no-error"  # it never raised here and runs clean: it does not raise what it claims
    TIMEOUT = "timeout"
    SKIPPED = "skipped"  # a required library is not installed here


# The levels that record the reproducer raising the error once, so that a clean run now is news from
# upstream (the error was fixed), not a reproducer that never worked.
ONCE_RAISED = frozenset({Verification.REPRODUCED, Verification.STALE})


@dataclass(frozen=True)
class Verdict:
    entry: Entry
    outcome: Outcome
    detail: str = ""
    verified_on: str | None = None
    output: str = ""


def _limit_resources() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def library_version(module: str) -> str | None:
    """`torch 2.13.0` for an installed module, by way of the distribution that provides it."""
    dists = importlib.metadata.packages_distributions().get(module, [module])
    for dist in dists:
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def verified_on(entry: Entry) -> str:
    for module in entry.reproducer.requires if entry.reproducer else ():
        version = library_version(module)
        if version:
            return version
    return f"Python {platform.python_version()}"


def sandbox_env(home: str) -> dict[str, str]:
    """Everything a reproducer's environment holds: nothing inherited but PATH."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",  # output in the same words and encoding whatever the host's locale
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "CUDA_VISIBLE_DEVICES": "",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }


@functools.cache
def isolation_prefix() -> tuple[str, ...]:
    """`unshare` with the most isolating flags this machine permits, probed once; () where none work."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for flags in ISOLATION_COMMANDS:
        command = (unshare, *flags)
        try:
            probe = subprocess.run(
                [*command, sys.executable, "-c", ""],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return command
    return ()


# Run first inside a new network namespace, where the loopback interface starts down: brings it up
# (reproducers may serve and connect on localhost, which stays private to the namespace), then becomes
# the reproducer with exec, so its traceback has no frame of ours.
LOOPBACK_UP = """
import fcntl, os, socket, struct, sys
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack("16sh", fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))
except OSError:
    pass
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def sandbox_command(script: Path) -> list[str]:
    isolation = isolation_prefix()
    if not isolation:
        return [sys.executable, str(script)]
    return [*isolation, sys.executable, "-c", LOOPBACK_UP, str(script)]


class _Tail:
    """The last STREAM_TAIL_BYTES of a stream."""

    def __init__(self) -> None:
        self.data = bytearray()

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > 2 * STREAM_TAIL_BYTES:  # trimmed in batches, not on every chunk
            del self.data[:-STREAM_TAIL_BYTES]

    def value(self) -> bytes:
        return bytes(self.data[-STREAM_TAIL_BYTES:])


@dataclass(frozen=True)
class _Finished:
    returncode: int | None  # None: it ran out of time and was killed
    stdout: bytes
    stderr: bytes


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):  # the whole group has already gone
        os.killpg(proc.pid, signal.SIGKILL)


def _read_tails(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes]:
    """Both pipes' tails, read until they close, the deadline passes, or the reproducer has exited and
    its group been killed for DRAIN_AFTER_EXIT_SECONDS."""
    assert proc.stdout is not None and proc.stderr is not None
    tails: dict[IO[bytes], _Tail] = {proc.stdout: _Tail(), proc.stderr: _Tail()}
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for stream in tails:
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
                _kill_group(proc)  # whatever it left running goes with it, and lets go of the pipes
            if now >= deadline or (exited_at is not None and now - exited_at >= DRAIN_AFTER_EXIT_SECONDS):
                break
            for key, _ in selector.select(timeout=POLL_SECONDS):
                chunk = os.read(key.fd, READ_CHUNK_BYTES)
                if chunk:
                    tails[key.fileobj].add(chunk)  # type: ignore[index]
                else:
                    selector.unregister(key.fileobj)
    return tails[proc.stdout].value(), tails[proc.stderr].value()


def run_sandboxed(code: str, timeout: float) -> _Finished:
    """Run Python code as an untrusted reproducer (see the module's docstring)."""
    with tempfile.TemporaryDirectory(prefix="knownfix-verify-") as workdir:
        script = Path(workdir) / "reproducer.py"
        script.write_text(code + "\n", encoding="utf-8")
        deadline = time.monotonic() + timeout
        with subprocess.Popen(
            sandbox_command(script),
            cwd=workdir,
            env=sandbox_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so one killpg reaches every descendant
            preexec_fn=_limit_resources,
        ) as proc:
            try:
                stdout, stderr = _read_tails(proc, deadline)
                returncode: int | None = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stdout, stderr, returncode = b"", b"", None
            finally:
                _kill_group(proc)
    return _Finished(returncode, stdout, stderr)


def run_reproducer(entry: Entry, engine: Engine, timeout: float) -> Verdict:
    assert entry.reproducer is not None
    missing = [m for m in entry.reproducer.requires if importlib.util.find_spec(m) is None]
    if missing:
        return Verdict(entry, Outcome.SKIPPED, f"not installed: {', '.join(missing)}")
    finished = run_sandboxed(entry.reproducer.code, timeout)
    if finished.returncode is None:
        return Verdict(entry, Outcome.TIMEOUT, f"no result within {timeout:.0f} s")
    output = (finished.stdout + finished.stderr).decode("utf-8", errors="replace")[-OUTPUT_LIMIT_CHARS:]
    if finished.returncode == 0 and not finished.stderr.strip():
        return _ran_clean(entry, output)
    result = engine.match(output, top=3)
    top = result.best.entry.id if result.best else None
    if top is None:
        return Verdict(entry, Outcome.MISMATCHED, "raises something no entry matches", output=output)
    if top != entry.id:
        return Verdict(
            entry, Outcome.MISMATCHED, f"raises something else: the matcher ranks {top} first", output=output
        )
    score = f"score {result.matches[0].score:.2f}"
    if entry.reproducer.stand_in:
        return Verdict(entry, Outcome.STAND_IN, f"{score}; {entry.reproducer.stand_in}", output=output)
    return Verdict(entry, Outcome.REPRODUCED, score, verified_on(entry), output)


def _ran_clean(entry: Entry, output: str) -> Verdict:
    """A reproducer that exited 0 without a word on stderr: stale if it raised once, else broken."""
    on = verified_on(entry)
    if entry.verification not in ONCE_RAISED:
        return Verdict(entry, Outcome.NO_ERROR, f"ran to the end without an error or warning on {on}", output=output)
    before = f" ({entry.verification.value} on {entry.verified_on})" if entry.verified_on else ""
    return Verdict(entry, Outcome.STALE, f"no longer raises on {on} — fixed upstream?{before}", on, output)


def verify_entries(engine: Engine, entries: Sequence[Entry], timeout: float, workers: int = 2) -> list[Verdict]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda e: run_reproducer(e, engine, timeout), entries))


_VERIFICATION_LINE = re.compile(r"^verification:.*$", re.MULTILINE)
_VERIFIED_ON_LINE = re.compile(r"^verified_on:.*\n", re.MULTILINE)


def mark_verification(path: Path, level: Verification, on: str) -> None:
    """Set `verification` and `verified_on` in the file, leaving the rest of its text alone."""
    text = path.read_text(encoding="utf-8")
    text = _VERIFIED_ON_LINE.sub("", text)
    replacement = f'verification: {level.value}\nverified_on: "{on}"'
    if _VERIFICATION_LINE.search(text):
        text = _VERIFICATION_LINE.sub(replacement, text, count=1)
    else:
        text = text.rstrip("\n") + "\n" + replacement + "\n"
    path.write_text(text, encoding="utf-8")


# What `--mark` records in the entry's file for a verdict that says how things stand on this machine.
MARKED_AS = {Outcome.REPRODUCED: Verification.REPRODUCED, Outcome.STALE: Verification.STALE}
# Verdicts that mean the reproducer or the matcher needs work.
FAILING = frozenset({Outcome.MISMATCHED, Outcome.NO_ERROR, Outcome.TIMEOUT})


def _stale_unrecorded(verdict: Verdict, mark: bool) -> bool:
    """A stale entry fails verify until its file says `stale` (already, or by this run's --mark): the entry
    still claims the error happens on the versions people run."""
    recorded = verdict.entry.verification is Verification.STALE or (mark and verdict.entry.path is not None)
    return verdict.outcome is Outcome.STALE and not recorded


def _from_pack(entry: Entry) -> Verdict:
    return Verdict(entry, Outcome.SKIPPED, "from a pack: its code runs only with --trust-packs")


def verify_in_order(engine: Engine, entries: Sequence[Entry], timeout: float, trust_packs: bool) -> list[Verdict]:
    """Verdicts for the entries, in their order; a pack's reproducers run only when packs are trusted."""
    curated = {e.id for e in knowledge_tiers(engine.kb)[0][0]}
    runnable = [e for e in entries if trust_packs or e.id in curated]
    ran = iter(verify_entries(engine, runnable, timeout))
    return [next(ran) if trust_packs or e.id in curated else _from_pack(e) for e in entries]


def verify_command(
    dirs: Sequence[Path],
    only: Sequence[str] | None,
    mark: bool,
    timeout: float,
    out: TextIO,
    trust_packs: bool = False,
) -> int:
    engine = Engine.load(dirs)
    entries = [e for e in engine.kb.entries if not only or e.id in only]
    unknown = sorted(set(only or ()) - {e.id for e in entries})
    for entry_id in unknown:
        out.write(f"no entry {entry_id!r}\n")
    with_reproducer = [e for e in entries if e.reproducer]
    verdicts = verify_in_order(engine, with_reproducer, timeout, trust_packs)
    for v in verdicts:
        out.write(f"{v.outcome.value:<11} {v.entry.id:<55} {v.detail}\n")
        if v.outcome in (Outcome.MISMATCHED, Outcome.NO_ERROR) and v.output:
            tail = "\n".join(v.output.strip().splitlines()[-4:])
            out.write("            | " + tail.replace("\n", "\n            | ") + "\n")
        level = MARKED_AS.get(v.outcome)
        if mark and level and v.entry.path and v.verified_on:
            mark_verification(Path(v.entry.path), level, v.verified_on)
    counts = {o: sum(1 for v in verdicts if v.outcome is o) for o in Outcome}
    failing = sum(1 for v in verdicts if v.outcome in FAILING or _stale_unrecorded(v, mark))
    out.write(
        f"\n{'entries':>9} {'reproducible':>13} {'reproduced':>11} {'stand-ins':>10} {'stale':>6} {'failing':>8} "
        f"{'skipped':>8}\n"
        f"{len(entries):>9} {len(with_reproducer):>13} {counts[Outcome.REPRODUCED]:>11} "
        f"{counts[Outcome.STAND_IN]:>10} {counts[Outcome.STALE]:>6} {failing:>8} {counts[Outcome.SKIPPED]:>8}\n"
    )
    return 1 if failing or unknown else 0
