"""Run the real bot (`knownfix run`) against the fake Discord: the test-only launcher.

The bot is not modified; before it starts, this points discord.py's two base URLs at the fake and
shortens the wait for guilds after READY:

    FAKEDISCORD_API=http://127.0.0.1:PORT/api/v10 FAKEDISCORD_GATEWAY=ws://127.0.0.1:PORT/ \\
        python -m tests.fakediscord.launch [knownfix run options]
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import Any

import discord.gateway
import discord.http
import discord.state
import yarl


def point_at_fake(api: str, gateway: str, guild_ready_timeout: float) -> None:
    discord.http.Route.BASE = api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    original = discord.state.ConnectionState.__init__

    @functools.wraps(original)
    def init(self: discord.state.ConnectionState, *args: Any, **options: Any) -> None:
        # discord.py waits this long after the last GUILD_CREATE before on_ready (2 s by default).
        options.setdefault("guild_ready_timeout", guild_ready_timeout)
        original(self, *args, **options)

    discord.state.ConnectionState.__init__ = init  # type: ignore[method-assign]


RECEIVED = "fakediscord: received"


def trace_received() -> None:
    """Print `fakediscord: received s=SEQ t=EVENT` once discord.py has taken in a dispatch (its handlers
    scheduled): what the bot received, told by the library rather than by the bot's own code."""
    original = discord.gateway.DiscordWebSocket.received_message

    @functools.wraps(original)
    async def received(self: discord.gateway.DiscordWebSocket, msg: Any, /) -> None:
        await original(self, msg)
        frame = json.loads(msg) if isinstance(msg, str) else None
        if frame and frame.get("s") is not None:
            print(f"{RECEIVED} s={frame['s']} t={frame.get('t')}", file=sys.stderr, flush=True)

    discord.gateway.DiscordWebSocket.received_message = received  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    point_at_fake(
        os.environ["FAKEDISCORD_API"],
        os.environ["FAKEDISCORD_GATEWAY"],
        float(os.environ.get("FAKEDISCORD_GUILD_READY_TIMEOUT", "0.1")),
    )
    if os.environ.get("FAKEDISCORD_TRACE_RECEIVED"):
        trace_received()
    from bot.cli import main as knownfix

    return knownfix(["run", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
