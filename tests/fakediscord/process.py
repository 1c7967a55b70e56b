"""The real bot as a child process, pointed at a FakeDiscord; its log goes to a file the tests read."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.fakediscord.server import FakeDiscord, FakeDiscordError

REPO = Path(__file__).resolve().parents[2]
# Lines that mean the bot hit an error it did not handle: discord.py logs these for failed event
# handlers and commands, the knownfix CLI prints the last one when the bot stops.
PROBLEM = re.compile(r"Traceback \(most recent call last\)|Ignoring exception| ERROR |knownfix: the bot stopped")

# A ceiling, not a speed check: a start that rebuilds the knowledge index cold (after entries changed) on a
# loaded two-core machine has taken over 30 s; a bot that cannot connect at all still fails, just later.
START_TIMEOUT_S = 120.0


class BotProcess:
    def __init__(self, fake: FakeDiscord, env: Mapping[str, str], log_path: Path) -> None:
        self.fake = fake
        self.env = dict(env)
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start the bot and wait until it is connected and past its guild-ready delay."""
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DISCORD_TOKEN": self.fake.token,
            "FAKEDISCORD_API": self.fake.rest_base,
            "FAKEDISCORD_GATEWAY": self.fake.gateway_url,
            "FAKEDISCORD_GUILD_READY_TIMEOUT": "0.1",
            **self.env,
        }
        self.fake.identified.clear()
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.fakediscord.launch",
                cwd=REPO,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        ready = asyncio.ensure_future(self.fake.wait_until_ready(timeout))
        exited = asyncio.ensure_future(self.proc.wait())
        try:
            done, _ = await asyncio.wait({ready, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
        if ready in done and ready.exception() is None:
            return
        ready.cancel()
        await self.stop()
        raise FakeDiscordError(f"the bot did not connect within {timeout}s; its log:\n{self.log()[-4000:]}")

    async def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (the bot's clean shutdown), then SIGKILL if it does not exit in time."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        return proc.returncode

    async def wait_exit(self, timeout: float) -> int | None:
        """The exit status of a bot that was told to stop, without signalling it again (None: still running)."""
        if self.proc is None:
            return None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), timeout)
        return self.proc.returncode

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def problems(self, since: int = 0) -> list[str]:
        """Log lines after byte offset `since` that show an unhandled error."""
        with contextlib.suppress(FileNotFoundError), self.log_path.open("rb") as fh:
            fh.seek(since)
            text = fh.read().decode("utf-8", errors="replace")
            return [line for line in text.splitlines() if PROBLEM.search(line)]
        return []
