"""Test controls for people in channels: post, edit and delete messages, open forum posts, add and
remove reactions; each stored, then sent to the bot over the gateway as Discord would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakediscord import limits
from tests.fakediscord import payloads as p
from tests.fakediscord.gateway import GUILD_MESSAGE_REACTIONS, GUILD_MESSAGES, GUILDS
from tests.fakediscord.rest_messages import MessageRoutes
from tests.fakediscord.world import FakeDiscordError, StoredMessage, Upload


class PeopleControls(MessageRoutes):
    """People acting in the guild's channels."""

    async def post_message(
        self,
        channel_id: int,
        content: str,
        author: Mapping[str, Any],
        *,
        attachments: Iterable[Upload] = (),
        message_id: int | None = None,
        reply_to: Mapping[str, Any] | None = None,
        ping: bool = True,
    ) -> dict[str, Any]:
        """A person posts a message (a reply to `reply_to` if given; `ping` as the client's reply toggle, on by
        default: the replied-to author is mentioned): stored, then MESSAGE_CREATE to the bot. Returns it."""
        channel = self._channel(channel_id)
        author_id = int(author["id"])
        everyone, users, roles = self._mentions(content, author_id)
        if reply_to is not None and ping and int(reply_to["author"]["id"]) != author_id:
            replied_author = self.users.get(int(reply_to["author"]["id"]))
            if replied_author is not None and replied_author not in users:
                users.append(replied_author)
        reference: dict[str, Any] = {}
        if reply_to is not None:
            original = self.messages[int(reply_to["id"])]
            reference = {
                "message_type": p.REPLY,
                "message_reference": {
                    "type": 0,
                    "message_id": str(original.id),
                    "channel_id": str(original.channel_id),
                    "guild_id": str(self.guild_id),
                },
                "referenced_message": None if original.deleted else original.payload,
            }
        message = p.message(
            message_id=message_id or self.ids.next(),
            channel_id=channel_id,
            author=dict(author),
            content=content,
            attachments=[self._store_upload(channel_id, a) for a in attachments],
            mention_everyone=everyone,
            mentions=users,
            mention_roles=roles,
            **reference,
        )
        stored = StoredMessage(message, self.guild_id)
        self.messages[stored.id] = stored
        channel["last_message_id"] = message["id"]
        await self.dispatch("MESSAGE_CREATE", self._gateway_message(stored), intent=GUILD_MESSAGES)
        return message

    async def create_forum_post(
        self, forum_id: int, title: str, content: str, author: Mapping[str, Any], *, attachments: Iterable[Upload] = ()
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A person opens a forum post: THREAD_CREATE, then the starter message (same id as the thread)."""
        if self.channels[forum_id]["type"] != p.GUILD_FORUM:
            raise FakeDiscordError(f"{forum_id} is not a forum channel")
        thread_id = self.ids.next()
        thread = p.thread(thread_id, self.guild_id, forum_id, int(author["id"]), title)
        self.threads[thread_id] = thread
        await self.dispatch(
            "THREAD_CREATE",
            {
                **thread,
                "newly_created": True,
                "member": {"id": str(thread_id), "user_id": author["id"], "join_timestamp": p.iso(), "flags": 1},
            },
            intent=GUILDS,
        )
        message = await self.post_message(thread_id, content, author, attachments=attachments, message_id=thread_id)
        return thread, message

    async def edit_message(self, message: Mapping[str, Any], content: str) -> dict[str, Any]:
        stored = self.messages[int(message["id"])]
        stored.payload["content"] = content
        stored.payload["edited_timestamp"] = p.iso()
        await self.dispatch("MESSAGE_UPDATE", self._gateway_message(stored), intent=GUILD_MESSAGES)
        return stored.payload

    async def delete_message(self, message: Mapping[str, Any]) -> None:
        """A person deletes their message: gone at once for REST, then MESSAGE_DELETE to the bot."""
        await self._delete(self.messages[int(message["id"])])

    async def add_reaction(self, message: Mapping[str, Any] | int, emoji: str, user: Mapping[str, Any]) -> None:
        stored = self.messages[int(message if isinstance(message, int) else message["id"])]
        user_id = int(user["id"])
        voters = stored.reactions.setdefault(emoji, [])
        if user_id in voters:
            return
        if len(stored.reactions) > limits.UNIQUE_REACTIONS_MAX:
            del stored.reactions[emoji]
            raise FakeDiscordError("Discord would refuse a 21st unique reaction")
        voters.append(user_id)
        await self._dispatch_reaction_added(stored, user_id, emoji)

    async def remove_reaction(self, message: Mapping[str, Any] | int, emoji: str, user: Mapping[str, Any]) -> None:
        stored = self.messages[int(message if isinstance(message, int) else message["id"])]
        user_id = int(user["id"])
        voters = stored.reactions.get(emoji, [])
        if user_id not in voters:
            return
        voters.remove(user_id)
        if not voters:
            del stored.reactions[emoji]
        await self.dispatch(
            "MESSAGE_REACTION_REMOVE",
            {
                "user_id": str(user_id),
                "channel_id": str(stored.channel_id),
                "message_id": str(stored.id),
                "guild_id": str(self.guild_id),
                "emoji": {"id": None, "name": emoji},
                "burst": False,
                "type": 0,
            },
            intent=GUILD_MESSAGE_REACTIONS,
        )
