"""World state of the fake Discord: one guild, its roles, channels, threads and people, the bot's
application, the messages and interactions stored so far, and the lookups every other part shares.

The records (`Upload`, `StoredMessage`, `Interaction`) are what tests hold and inspect; `World` is the
base every concern's mixin builds on (see `server.py` for how they are put together).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord import payloads as p

# Interaction types and callback types
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = (
    4,
    5,
    6,
    7,
    8,
    9,
)

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


class FakeDiscordError(AssertionError):
    """Raised in the test process when the fake sees something a test did not expect (or waited in vain)."""


# -- records -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file a person attaches to a message."""

    filename: str
    data: bytes
    content_type: str | None = "text/plain; charset=utf-8"


@dataclass
class StoredMessage:
    payload: dict[str, Any]
    guild_id: int | None
    ephemeral: bool = False
    deleted: bool = False
    reactions: dict[str, list[int]] = field(default_factory=dict)  # emoji -> user ids, in order
    pings: dict[str, Any] = field(default_factory=dict)  # who it would have notified (bot messages)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    payload: dict[str, Any]
    created: float
    command_type: int = 1
    acknowledged: bool = False
    response_type: int | None = None
    original_message_id: int | None = None
    loading: bool = False
    ephemeral: bool = False
    modal: dict[str, Any] | None = None


def buttons_of(components: Iterable[Any]) -> list[dict[str, Any]]:
    """Every button in a message's components (action rows hold them)."""
    found: list[dict[str, Any]] = []
    for component in components:
        if isinstance(component, dict) and component.get("type") == 2:
            found.append(component)
        elif isinstance(component, dict):
            found += buttons_of(component.get("components") or [])
    return found


# -- the world -------------------------------------------------------------------------------------------


class World:
    """One guild, its channels and people, the bot's application, and what has been said and used in it."""

    def __init__(self, *, token: str | None = None) -> None:
        self.ids = p.Snowflakes()
        self.token = token or f"{secrets.token_urlsafe(18)}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"
        self.port = 0  # where the fake listens, once `FakeDiscord.start` has bound it
        self._changed = asyncio.Condition()  # notified on every request and gateway frame: what waits wait on
        self.errors: list[str] = []  # the fake's own failures: a test must not pass over them

        now = p.iso()
        self.application_id = self.ids.next()
        self.bot_user = p.user(self.application_id, "knownfix", bot=True)
        self.owner = p.user(self.ids.next(), "owner")
        self.guild_id = self.ids.next()
        self.bot_role_id = self.ids.next()
        self.moderator_role_id = self.ids.next()
        self.helper_role_id = self.ids.next()  # no extra permissions: what a server's "Helpers" role often is
        self.roles = [
            p.role(self.guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0),
            p.role(self.moderator_role_id, "Moderators", p.MODERATOR_PERMISSIONS, 1),
            p.role(self.helper_role_id, "Helpers", p.EVERYONE_PERMISSIONS, 1),
            p.role(self.bot_role_id, "knownfix", p.BOT_PERMISSIONS, 2, managed=True),
        ]
        self.users: dict[int, dict[str, Any]] = {int(self.owner["id"]): self.owner, self.application_id: self.bot_user}
        self.member_roles: dict[int, list[int]] = {int(self.owner["id"]): [self.moderator_role_id]}
        self.joined_at: dict[int, str] = {self.application_id: now, int(self.owner["id"]): now}
        self.member_roles[self.application_id] = [self.bot_role_id]

        self.channels: dict[int, dict[str, Any]] = {}
        self.category_id = self._add_channel(p.category(self.ids.next(), self.guild_id, "Help", 0))
        self.help_channel = self._add_text("python-help")
        self.torch_channel = self._add_text("pytorch-help")
        self.general_channel = self._add_text("general")
        self.unwatched_channel = self._add_text("off-topic")
        self.forum_channel = self._add_channel(
            p.forum_channel(self.ids.next(), self.guild_id, "help-forum", len(self.channels), self.category_id)
        )
        self.threads: dict[int, dict[str, Any]] = {}

        self.messages: dict[int, StoredMessage] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global) -> commands
        self.interactions: dict[int, Interaction] = {}

    # -- setup ---------------------------------------------------------------------------------------------

    def _add_channel(self, data: dict[str, Any]) -> int:
        self.channels[int(data["id"])] = data
        return int(data["id"])

    def _add_text(self, name: str) -> int:
        return self._add_channel(
            p.text_channel(self.ids.next(), self.guild_id, name, len(self.channels), self.category_id)
        )

    def user(self, username: str, *, moderator: bool = False, helper: bool = False) -> dict[str, Any]:
        """A new person in the guild (with the Moderators or the Helpers role if asked)."""
        data = p.user(self.ids.next(), username)
        user_id = int(data["id"])
        self.users[user_id] = data
        self.member_roles[user_id] = [self.moderator_role_id] * moderator + [self.helper_role_id] * helper
        self.joined_at[user_id] = p.iso()
        return data

    def permissions(self, user_id: int) -> int:
        granted = 0
        for r in self.roles:
            if int(r["id"]) == self.guild_id or int(r["id"]) in self.member_roles.get(user_id, []):
                granted |= int(r["permissions"])
        return granted

    def member(self, user_id: int, *, with_user: bool = True, with_permissions: bool = False) -> dict[str, Any]:
        return p.member(
            self.users[user_id] if with_user else None,
            self.member_roles.get(user_id, []),
            self.joined_at.get(user_id, p.iso()),
            self.permissions(user_id) if with_permissions else None,
        )

    # -- lookups -------------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _channel(self, channel_id: int) -> dict[str, Any]:
        channel = self.channels.get(channel_id) or self.threads.get(channel_id)
        if channel is None:
            raise FakeDiscordError(f"no channel {channel_id}")
        return channel

    def _mentions(self, content: str, author_id: int) -> tuple[bool, list[dict[str, Any]], list[int]]:
        everyone = ("@everyone" in content or "@here" in content) and bool(
            self.permissions(author_id) & p.MENTION_EVERYONE
        )
        users = [self.users[int(u)] for u in dict.fromkeys(USER_MENTION.findall(content)) if int(u) in self.users]
        roles = [int(r) for r in dict.fromkeys(ROLE_MENTION.findall(content)) if any(x["id"] == r for x in self.roles)]
        return everyone, users, roles

    def command(self, name: str, command_type: int = 1) -> dict[str, Any]:
        """A command the bot registered (guild commands first), as Discord stored it."""
        for guild in (self.guild_id, None):
            for command in self.commands.get(guild, []):
                if command["name"] == name and int(command.get("type", 1)) == command_type:
                    return command
        raise FakeDiscordError(f"the bot registered no command {name!r} of type {command_type}")
