"""REST routes about interactions: the initial callback (within 3 s, once, of a type the interaction
allows: a message, a deferral, an update, autocomplete choices or a modal) and the follow-ups through
the interaction's webhook token (15 minutes, only once acknowledged).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakediscord import limits
from tests.fakediscord import payloads as p
from tests.fakediscord.rest import Reply, Request, Route, error, invalid
from tests.fakediscord.rest_messages import MessageRoutes
from tests.fakediscord.world import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    PING,
    UPDATE_MESSAGE,
    Interaction,
    StoredMessage,
)

ALLOWED_CALLBACKS = {
    PING: {1},
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}
INITIAL_RESPONSE_S = 3.0  # an interaction must be answered within 3 s
TOKEN_LIFETIME_S = 15 * 60  # follow-ups work for 15 minutes


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


class InteractionRoutes(MessageRoutes):
    """`/interactions/{id}/{token}/callback` and `/webhooks/{application_id}/{token}[/messages/{id}]`."""

    def _interaction_routes(self) -> list[Route]:
        return [
            (
                "POST",
                "/interactions/{interaction_id}/{token}/callback",
                "interaction_callback",
                self._interaction_callback,
                False,
            ),
            ("POST", "/webhooks/{application_id}/{token}", "execute_webhook", self._execute_webhook, False),
            (
                "GET",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                "get_webhook_message",
                self._get_webhook_message,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                "edit_webhook_message",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{token}/messages/{message_id}",
                "delete_webhook_message",
                self._delete_webhook_message,
                False,
            ),
        ]

    def _interaction_by_token(self, application_id: str, token: str) -> Interaction:
        if application_id != str(self.application_id):
            raise error(404, 10015, "Unknown Webhook")
        found = next((i for i in self.interactions.values() if i.token == token), None)
        if found is None:
            raise error(404, 10015, "Unknown Webhook")
        if asyncio.get_running_loop().time() - found.created > TOKEN_LIFETIME_S:
            raise error(401, 50027, "Invalid Webhook Token")
        if not found.acknowledged:
            raise error(404, 10015, "Unknown Webhook")
        return found

    def _callback_answer(self, interaction: Interaction, resource: dict[str, Any] | None) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_id": None
                if interaction.original_message_id is None
                else str(interaction.original_message_id),
                "response_message_loading": interaction.loading,
                "response_message_ephemeral": interaction.ephemeral,
            }
        }
        if resource is not None:
            answer["resource"] = resource
        return answer

    async def _interaction_callback(self, request: Request) -> Reply:
        interaction = (
            self.interactions.get(int(request.params["interaction_id"]))
            if request.params["interaction_id"].isdigit()
            else None
        )
        if interaction is None or interaction.token != request.params["token"]:
            raise error(404, 10062, "Unknown interaction")
        if asyncio.get_running_loop().time() - interaction.created > INITIAL_RESPONSE_S:
            raise error(404, 10062, "Unknown interaction")  # what Discord says to an answer after 3 s
        if interaction.acknowledged:
            raise error(400, 40060, "Interaction has already been acknowledged.")
        body = request.body if isinstance(request.body, dict) else {}
        kind = body.get("type")
        if kind not in ALLOWED_CALLBACKS.get(interaction.type, set()):
            raise invalid(
                [limits.Problem(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")]
            )
        data = body.get("data") or {}
        channel_id = int(interaction.payload["channel_id"])
        message_type = p.CONTEXT_MENU_COMMAND if interaction.command_type in (2, 3) else p.CHAT_INPUT_COMMAND
        resource: dict[str, Any] | None = None
        if kind == CHANNEL_MESSAGE:
            if limits.is_empty_message(data, len(request.call.files)):
                raise error(400, 50006, "Cannot send an empty message")
            problems = [
                limits.Problem(("data", *pr.path), pr.code, pr.message)
                for pr in limits.check_message(data, files=len(request.call.files))
            ]
            if problems:
                raise invalid(problems)
            stored = self._bot_message(
                channel_id, data, request, message_type=message_type, webhook=True, interaction=interaction
            )
            interaction.original_message_id, interaction.ephemeral = stored.id, stored.ephemeral
            await self._announce(stored)
            resource = {"type": kind, "message": stored.payload}
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            stored = self._bot_message(
                channel_id,
                {},
                request,
                message_type=message_type,
                flags=p.LOADING | (int(data.get("flags") or 0) & p.EPHEMERAL),
                webhook=True,
                interaction=interaction,
            )
            interaction.original_message_id, interaction.ephemeral, interaction.loading = (
                stored.id,
                stored.ephemeral,
                True,
            )
            await self._announce(stored)
            resource = {"type": kind, "message": stored.payload}
        elif kind == UPDATE_MESSAGE and interaction.type == MESSAGE_COMPONENT:
            # The message the pressed component sits on is edited in place.
            problems = [
                limits.Problem(("data", *pr.path), pr.code, pr.message)
                for pr in limits.check_message(data, files=len(request.call.files))
            ]
            if problems:
                raise invalid(problems)
            on = self.messages.get(int(interaction.payload["message"]["id"]))
            if on is None or on.deleted:
                raise error(404, 10008, "Unknown Message")
            self._apply_edit(on, data, request)
            await self._announce(on, "MESSAGE_UPDATE")
        elif kind == AUTOCOMPLETE_RESULT:
            problems = limits.check_autocomplete(data)
            if problems:
                raise invalid(problems)
        elif kind == MODAL:
            problems = limits.check_modal(data)
            if problems:
                raise invalid(problems)
            interaction.modal = data
        interaction.acknowledged, interaction.response_type = True, kind
        return Reply(200, self._callback_answer(interaction, resource))

    async def _execute_webhook(self, request: Request) -> Reply:
        interaction = self._interaction_by_token(request.params["application_id"], request.params["token"])
        body = self._check_message_body(request)
        channel_id = int(interaction.payload["channel_id"])
        message_type = p.CONTEXT_MENU_COMMAND if interaction.command_type in (2, 3) else p.CHAT_INPUT_COMMAND
        if interaction.loading and interaction.original_message_id is not None:
            # The first follow-up after a deferral replaces the "is thinking..." message; the deferral decided
            # whether it is ephemeral.
            original = self.messages[interaction.original_message_id]
            flags = p.EPHEMERAL if original.ephemeral else 0
            stored = self._bot_message(
                channel_id,
                body,
                request,
                message_type=message_type,
                flags=flags,
                webhook=True,
                interaction=interaction,
                message_id=original.id,
            )
            stored.payload["flags"] = (stored.payload["flags"] & ~p.EPHEMERAL) | flags
            stored.ephemeral = original.ephemeral
            interaction.loading = False
            await self._announce(stored, "MESSAGE_UPDATE")
        else:
            stored = self._bot_message(
                channel_id, body, request, message_type=message_type, webhook=True, interaction=interaction
            )
            await self._announce(stored)
        if _truthy(request.call.query.get("wait")):
            return Reply(200, stored.payload)
        return Reply(204)

    def _webhook_message(self, request: Request) -> tuple[Interaction, StoredMessage]:
        interaction = self._interaction_by_token(request.params["application_id"], request.params["token"])
        message_id = request.params["message_id"]
        if message_id == "@original":
            if interaction.original_message_id is None:
                raise error(404, 10008, "Unknown Message")
            message_id = str(interaction.original_message_id)
        stored = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if stored is None or stored.deleted:
            raise error(404, 10008, "Unknown Message")
        return interaction, stored

    async def _get_webhook_message(self, request: Request) -> Reply:
        return Reply(200, self._webhook_message(request)[1].payload)

    async def _edit_webhook_message(self, request: Request) -> Reply:
        interaction, stored = self._webhook_message(request)
        body = self._check_message_body(request, editing=True)
        self._apply_edit(stored, body, request)
        was_loading = interaction.loading and stored.id == interaction.original_message_id
        if was_loading:
            interaction.loading = False
            stored.payload["flags"] &= ~p.LOADING
        await self._announce(stored, "MESSAGE_UPDATE")
        return Reply(200, stored.payload)

    async def _delete_webhook_message(self, request: Request) -> Reply:
        interaction, stored = self._webhook_message(request)
        await self._delete(stored)
        if stored.id == interaction.original_message_id:
            # With the "is thinking..." placeholder gone, a follow-up is a message of its own, with its own flags.
            interaction.loading = False
        return Reply(204)
