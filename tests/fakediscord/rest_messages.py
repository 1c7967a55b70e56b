"""REST routes about channels and messages: get a channel, post, page, edit and delete messages, the
bot's own reactions, typing, and a thread started on a message. Each body is checked as Discord checks
it (`limits.py`), and what the bot posts is stored and echoed back over the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakediscord import limits
from tests.fakediscord import payloads as p
from tests.fakediscord.cdn import Cdn
from tests.fakediscord.gateway import GUILD_MESSAGE_REACTIONS, GUILD_MESSAGES, GUILDS, Gateway
from tests.fakediscord.rest import Reply, Request, Rest, Route, error, invalid
from tests.fakediscord.world import ROLE_MENTION, USER_MENTION, Interaction, StoredMessage, Upload

HISTORY_PAGE_MAX = 100  # messages in one page of GET /channels/{id}/messages
THREAD_NAME_MAX = 100  # the longest thread name Discord accepts
AUTO_ARCHIVE_MINUTES = (60, 1440, 4320, 10080)  # the choices Discord accepts, the last its default


class MessageRoutes(Rest, Gateway, Cdn):
    """`/channels/{id}` and its messages, reactions, typing and threads."""

    def _message_routes(self) -> list[Route]:
        return [
            ("GET", "/channels/{channel_id}", "get_channel", self._get_channel, True),
            ("POST", "/channels/{channel_id}/messages", "create_message", self._create_message, True),
            ("GET", "/channels/{channel_id}/messages", "get_messages", self._get_messages, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", "get_message", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", "edit_message", self._edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", "delete_message", self._delete_message, True),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                "add_reaction",
                self._add_own_reaction,
                True,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                "remove_reaction",
                self._remove_own_reaction,
                True,
            ),
            ("POST", "/channels/{channel_id}/typing", "typing", self._typing, True),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                "start_thread_from_message",
                self._start_thread_from_message,
                True,
            ),
        ]

    def _rest_channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.channels.get(int(channel_id)) or self.threads.get(int(channel_id))
        if channel is None:
            raise error(404, 10003, "Unknown Channel")
        return channel

    def _rest_message(self, channel_id: str, message_id: str) -> StoredMessage:
        stored = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if stored is None or stored.deleted or stored.channel_id != int(channel_id) or stored.ephemeral:
            raise error(404, 10008, "Unknown Message")
        return stored

    async def _get_channel(self, request: Request) -> Reply:
        return Reply(200, self._rest_channel(request.params["channel_id"]))

    async def _typing(self, request: Request) -> Reply:
        self._rest_channel(request.params["channel_id"])
        return Reply(204)

    def _check_message_body(self, request: Request, *, editing: bool = False) -> dict[str, Any]:
        body = request.body if isinstance(request.body, dict) else {}
        files = request.call.files
        if not editing and limits.is_empty_message(body, len(files)):
            raise error(400, 50006, "Cannot send an empty message")
        problems = limits.check_message(body, files=len(files), editing=editing)
        if problems:
            raise invalid(problems)
        if sum(len(f.data) for f in files) > limits.UPLOAD_MAX_BYTES:
            raise error(413, 40005, "Request entity too large")
        return body

    def _pings(self, body: Mapping[str, Any], reference: StoredMessage | None) -> dict[str, Any]:
        """Whom a message would notify under Discord's rules for `allowed_mentions` (all, when it is absent)."""
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
        users = [int(u) for u in USER_MENTION.findall(content)]
        roles = [int(r) for r in ROLE_MENTION.findall(content)]
        listed_users = {int(u) for u in (allowed or {}).get("users") or []}
        listed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
        pings: dict[str, Any] = {
            "everyone": ("@everyone" in content or "@here" in content) and "everyone" in parse,
            "users": [u for u in users if "users" in parse or u in listed_users],
            "roles": [r for r in roles if "roles" in parse or r in listed_roles],
            "replied_user": reference is not None and (allowed is None or bool(allowed.get("replied_user"))),
        }
        return {k: v for k, v in pings.items() if v}

    def _attachments_from(self, channel_id: int, request: Request, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        described = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        result: list[dict[str, Any]] = []
        for index, sent in enumerate(request.call.files):
            meta = described.get(str(index), {})
            upload = Upload(meta.get("filename") or sent.filename, sent.data, sent.content_type)
            data = self._store_upload(channel_id, upload)
            if meta.get("description"):
                data["description"] = meta["description"]
            result.append(data)
        return result

    def _bot_message(
        self,
        channel_id: int,
        body: Mapping[str, Any],
        request: Request,
        *,
        reference: StoredMessage | None = None,
        message_type: int = p.DEFAULT,
        flags: int = 0,
        webhook: bool = False,
        interaction: Interaction | None = None,
        message_id: int | None = None,
    ) -> StoredMessage:
        pings = self._pings(body, reference)
        message_reference = None
        if reference is not None:
            message_reference = {
                "type": 0,
                "message_id": str(reference.id),
                "channel_id": str(reference.channel_id),
                "guild_id": str(self.guild_id),
            }
        metadata = None
        if interaction is not None:
            metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.payload["member"]["user"],
                "authorizing_integration_owners": {"0": str(self.guild_id)},
            }
        payload = p.message(
            message_id=message_id or self.ids.next(),
            channel_id=channel_id,
            author=self.bot_user,
            content=body.get("content") or "",
            embeds=[{"type": "rich", **e} for e in body.get("embeds") or []],
            attachments=self._attachments_from(channel_id, request, body),
            components=body.get("components") or [],
            mention_everyone=bool(pings.get("everyone")),
            mentions=[self.users[u] for u in pings.get("users", []) if u in self.users],
            mention_roles=pings.get("roles", []),
            message_type=message_type,
            flags=flags | int(body.get("flags") or 0),
            message_reference=message_reference,
            referenced_message=reference.payload if reference is not None else None,
            webhook_id=self.application_id if webhook else None,
            application_id=self.application_id if webhook else None,
            interaction_metadata=metadata,
        )
        stored = StoredMessage(payload, self.guild_id, ephemeral=bool(payload["flags"] & p.EPHEMERAL), pings=pings)
        self.messages[stored.id] = stored
        return stored

    async def _announce(self, stored: StoredMessage, event: str = "MESSAGE_CREATE") -> None:
        """Echo what the bot posted back over the gateway, as Discord does (never for ephemeral messages)."""
        if not stored.ephemeral:
            await self.dispatch(event, self._gateway_message(stored), intent=GUILD_MESSAGES)

    async def _create_message(self, request: Request) -> Reply:
        channel_id = request.params["channel_id"]
        self._rest_channel(channel_id)
        body = self._check_message_body(request)
        reference: StoredMessage | None = None
        ref = body.get("message_reference")
        if ref and ref.get("message_id"):
            found = self.messages.get(int(ref["message_id"]))
            if found is None or found.deleted or found.channel_id != int(ref.get("channel_id") or channel_id):
                if ref.get("fail_if_not_exists", True):
                    problem = limits.Problem(
                        ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                    )
                    raise invalid([problem])
            else:
                reference = found
        if body.get("flags") and int(body["flags"]) & p.EPHEMERAL:
            raise invalid([limits.Problem(("flags",), "MESSAGE_FLAGS_INVALID", "Invalid flags")])
        stored = self._bot_message(
            int(channel_id), body, request, reference=reference, message_type=p.REPLY if reference else p.DEFAULT
        )
        await self._announce(stored)
        return Reply(200, stored.payload)

    async def _start_thread_from_message(self, request: Request) -> Reply:
        """A public thread on a message in a text channel, with the message's id as its own, as Discord makes it
        (201, then THREAD_CREATE); a second thread on one message is refused (160004)."""
        channel = self._rest_channel(request.params["channel_id"])
        source = self._rest_message(request.params["channel_id"], request.params["message_id"])
        if channel["type"] != p.GUILD_TEXT:
            raise error(400, 50024, "Cannot execute action on this channel type")
        body = request.body if isinstance(request.body, dict) else {}
        name = str(body.get("name") or "")
        problems: list[limits.Problem] = []
        if not 1 <= len(name) <= THREAD_NAME_MAX:
            problems.append(limits.Problem(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        archive = body.get("auto_archive_duration", AUTO_ARCHIVE_MINUTES[-1])
        if archive not in AUTO_ARCHIVE_MINUTES:
            problems.append(limits.Problem(("auto_archive_duration",), "BASE_TYPE_CHOICES", "Value must be one of."))
        if problems:
            raise invalid(problems)
        if source.id in self.threads:
            raise error(400, 160004, "A thread has already been created for this message")
        thread = p.thread(source.id, self.guild_id, int(channel["id"]), self.application_id, name)
        thread["thread_metadata"]["auto_archive_duration"] = archive
        self.threads[source.id] = thread
        source.payload["thread"] = thread
        member = {"id": str(source.id), "user_id": str(self.application_id), "join_timestamp": p.iso(), "flags": 1}
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True, "member": member}, intent=GUILDS)
        return Reply(201, thread)

    async def _get_messages(self, request: Request) -> Reply:
        """A channel's history, as Discord pages it: `limit` (1-100, default 50) messages, newest first,
        the latest before `before`, the earliest after `after`, or the latest of all."""
        channel_id = int(self._rest_channel(request.params["channel_id"])["id"])
        query = request.call.query
        try:
            limit = int(query.get("limit", "50"))
            before, after = (int(query[k]) if query.get(k) else None for k in ("before", "after"))
        except ValueError:
            raise invalid([limits.Problem(("limit",), "NUMBER_TYPE_COERCE", "Value is not int.")]) from None
        if not 1 <= limit <= HISTORY_PAGE_MAX:
            raise invalid([limits.Problem(("limit",), "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")])
        visible = sorted(
            (m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted and not m.ephemeral),
            key=lambda m: m.id,
        )
        if after is not None:
            page = [m for m in visible if m.id > after][:limit]
        else:
            page = [m for m in visible if before is None or m.id < before][-limit:]
        return Reply(200, [m.payload for m in reversed(page)])

    async def _get_message(self, request: Request) -> Reply:
        return Reply(200, self._rest_message(request.params["channel_id"], request.params["message_id"]).payload)

    def _apply_edit(self, stored: StoredMessage, body: Mapping[str, Any], request: Request) -> None:
        if int(stored.payload["author"]["id"]) != self.application_id:
            raise error(403, 50005, "Cannot edit a message authored by another user")
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                value = body[key]
                if key == "embeds":
                    value = [{"type": "rich", **e} for e in value or []]
                stored.payload[key] = value if value is not None else ([] if key != "content" else "")
        if request.call.files or "attachments" in body:
            kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in stored.payload["attachments"] if a["id"] in kept_ids]
            stored.payload["attachments"] = kept + self._attachments_from(stored.channel_id, request, body)
        stored.payload["edited_timestamp"] = p.iso()
        stored.pings = self._pings({**stored.payload, **body}, None)
        if not (
            stored.payload["content"]
            or stored.payload["embeds"]
            or stored.payload["attachments"]
            or stored.payload["components"]
        ):
            raise error(400, 50006, "Cannot send an empty message")

    async def _edit_message(self, request: Request) -> Reply:
        stored = self._rest_message(request.params["channel_id"], request.params["message_id"])
        body = self._check_message_body(request, editing=True)
        self._apply_edit(stored, body, request)
        await self._announce(stored, "MESSAGE_UPDATE")
        return Reply(200, stored.payload)

    async def _delete(self, stored: StoredMessage) -> None:
        stored.deleted = True
        if not stored.ephemeral:
            await self.dispatch(
                "MESSAGE_DELETE",
                {"id": str(stored.id), "channel_id": str(stored.channel_id), "guild_id": str(self.guild_id)},
                intent=GUILD_MESSAGES,
            )

    async def _delete_message(self, request: Request) -> Reply:
        stored = self._rest_message(request.params["channel_id"], request.params["message_id"])
        if (
            int(stored.payload["author"]["id"]) != self.application_id
            and not self.permissions(self.application_id) & p.MANAGE_MESSAGES
        ):
            raise error(403, 50013, "Missing Permissions")
        await self._delete(stored)
        return Reply(204)

    def _emoji(self, raw: str) -> str:
        if ":" in raw or not raw or raw.isascii():  # custom emoji name:id (the guild has none) or plain text
            raise error(400, 10014, "Unknown Emoji")
        return raw

    async def _add_own_reaction(self, request: Request) -> Reply:
        stored = self._rest_message(request.params["channel_id"], request.params["message_id"])
        emoji = self._emoji(request.params["emoji"])
        if emoji not in stored.reactions and len(stored.reactions) >= limits.UNIQUE_REACTIONS_MAX:
            raise error(400, 30010, f"Maximum number of reactions reached ({limits.UNIQUE_REACTIONS_MAX})")
        voters = stored.reactions.setdefault(emoji, [])
        if self.application_id not in voters:
            voters.append(self.application_id)
            await self._dispatch_reaction_added(stored, self.application_id, emoji)
        return Reply(204)

    async def _dispatch_reaction_added(self, stored: StoredMessage, user_id: int, emoji: str) -> None:
        """MESSAGE_REACTION_ADD for a reaction just recorded on `stored`, whoever added it (a person or the bot)."""
        await self.dispatch(
            "MESSAGE_REACTION_ADD",
            {
                "user_id": str(user_id),
                "channel_id": str(stored.channel_id),
                "message_id": str(stored.id),
                "guild_id": str(self.guild_id),
                "member": self.member(user_id),
                "emoji": {"id": None, "name": emoji},
                "message_author_id": stored.payload["author"]["id"],
                "burst": False,
                "burst_colors": [],
                "type": 0,
            },
            intent=GUILD_MESSAGE_REACTIONS,
        )

    async def _remove_own_reaction(self, request: Request) -> Reply:
        stored = self._rest_message(request.params["channel_id"], request.params["message_id"])
        emoji = self._emoji(request.params["emoji"])
        voters = stored.reactions.get(emoji, [])
        if self.application_id in voters:
            voters.remove(self.application_id)
            if not voters:
                del stored.reactions[emoji]
        return Reply(204)
