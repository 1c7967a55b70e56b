"""Test controls for waiting and looking: wait for a request the bot makes (`wait_for`, `wait_for_reply`)
or a condition, wait until the bot is ready, list its replies and messages, and ask for a 429.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from tests.fakediscord.gateway import Gateway
from tests.fakediscord.rest import Call, Rest
from tests.fakediscord.world import FakeDiscordError, StoredMessage


def _reference_id(call: Call) -> str | None:
    """The id of the message a create_message call replies to (discord.py sends it as a number)."""
    body = call.body if isinstance(call.body, dict) else {}
    reference = body.get("message_reference") or {}
    return None if reference.get("message_id") is None else str(reference["message_id"])


class WaitingControls(Rest, Gateway):
    """What a test waits on and reads back."""

    async def wait_for(
        self, predicate: Callable[[Call], bool], timeout: float = 15.0, *, since: int = 0, what: str = ""
    ) -> Call:
        """The first recorded request (from index `since`) that `predicate` accepts; fails after `timeout`."""

        def found() -> Call | None:
            return next((c for c in self.calls[since:] if c.status and predicate(c)), None)

        try:
            async with asyncio.timeout(timeout), self._changed:
                while (call := found()) is None:
                    await self._changed.wait()
                return call
        except TimeoutError:
            recent = "\n".join(f"  {c!r} {json.dumps(c.body)[:300] if c.body else ''}" for c in self.calls[-8:])
            gateway = "\n".join(f"  {kind} {json.dumps(frame)[:160]}" for kind, frame in self.gateway_log[-8:])
            raise FakeDiscordError(
                f"timed out after {timeout}s waiting for {what or 'a request'}; last requests:\n{recent}\n"
                f"last gateway traffic:\n{gateway}"
            ) from None

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        try:
            async with asyncio.timeout(timeout), self._changed:
                while not condition():
                    await self._changed.wait()
        except TimeoutError:
            raise FakeDiscordError(f"timed out after {timeout}s waiting for {what or 'a condition'}") from None

    async def wait_until_ready(self, timeout: float = 20.0) -> None:
        """IDENTIFY done, READY and GUILD_CREATE sent, and the bot's guild-ready delay passed."""
        async with asyncio.timeout(timeout):
            await self.identified.wait()
        delay = self._guild_created_at + self.ready_grace - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    def mark(self) -> int:
        """An index for `wait_for(since=...)`: only requests after this point."""
        return len(self.calls)

    def bot_messages(self, channel_id: int | None = None) -> list[StoredMessage]:
        return [
            m
            for m in self.messages.values()
            if m.payload["author"]["id"] == self.bot_user["id"] and (channel_id is None or m.channel_id == channel_id)
        ]

    async def wait_for_reply(self, source: Mapping[str, Any], timeout: float = 15.0) -> Call:
        """The bot's successful reply (a message referencing `source`)."""
        return await self.wait_for(
            lambda c: c.name == "create_message" and c.ok and _reference_id(c) == str(source["id"]),
            timeout,
            what=f"a reply to message {source['id']}",
        )

    def replies_to(self, source: Mapping[str, Any]) -> list[Call]:
        return [c for c in self.calls if c.name == "create_message" and _reference_id(c) == str(source["id"])]

    def rate_limit_next(self, name: str, retry_after: float = 0.5) -> None:
        """Answer the next request to the route called `name` with a 429 (scope user, not global)."""
        self._rate_limit_next.append((name, retry_after))
