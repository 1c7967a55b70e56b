"""Test controls for people using the bot's application: slash commands, autocomplete, message commands
(also through a person's own install elsewhere), buttons a message really shows, and modals the bot
opened; each sent to the bot as an INTERACTION_CREATE.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from tests.fakediscord import limits
from tests.fakediscord import payloads as p
from tests.fakediscord.controls_waiting import WaitingControls
from tests.fakediscord.rest import Call
from tests.fakediscord.world import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    FakeDiscordError,
    Interaction,
    buttons_of,
)

MODAL_FILL_S = 0.3  # how long a person takes to fill in a modal: discord.py must first read the modal's answer


class InteractionControls(WaitingControls):
    """A person using a command, a button or a modal."""

    async def send_interaction(
        self,
        interaction_type: int,
        data: dict[str, Any],
        user: Mapping[str, Any],
        channel_id: int,
        *,
        command_type: int = 1,
        message: dict[str, Any] | None = None,
        elsewhere: bool = False,
    ) -> Interaction:
        user_id = int(user["id"])
        channel = self._channel(channel_id)
        interaction = Interaction(
            id=self.ids.next(),
            token=f"aW50ZXJhY3Rpb246{secrets.token_urlsafe(120)}",
            type=interaction_type,
            payload={},
            created=asyncio.get_running_loop().time(),
            command_type=command_type,
        )
        interaction.payload = {
            "id": str(interaction.id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "data": data,
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": ["COMMUNITY"]},
            "channel_id": str(channel_id),
            "channel": {**channel, "permissions": str(self.permissions(user_id))},
            "member": self.member(user_id, with_permissions=True),
            "token": interaction.token,
            "version": 1,
            "app_permissions": str(self.permissions(self.application_id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": limits.UPLOAD_MAX_BYTES,
        }
        if message is not None:  # a component interaction carries the message its component is on
            interaction.payload["message"] = message
        if elsewhere:
            # Used through the person's own install in a server the bot is not in: Discord sends that server's
            # id and the channel, authorised by the user's install ("1"), and the bot may only answer it.
            foreign = self.ids.next()
            interaction.payload.update(
                guild_id=str(foreign),
                guild={"id": str(foreign), "locale": "en-US", "features": []},
                channel={**channel, "guild_id": str(foreign), "permissions": str(p.EVERYONE_PERMISSIONS)},
                authorizing_integration_owners={"1": str(user_id)},
                app_permissions=str(p.EVERYONE_PERMISSIONS),
            )
        self.interactions[interaction.id] = interaction
        await self.dispatch("INTERACTION_CREATE", interaction.payload, intent=0)
        return interaction

    def _command_data(self, name: str, command_type: int, **extra: Any) -> dict[str, Any]:
        command = self.command(name, command_type)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": command_type, **extra}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    async def slash_command(
        self,
        name: str,
        user: Mapping[str, Any],
        channel_id: int,
        options: list[dict[str, Any]] | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> Interaction:
        extra: dict[str, Any] = {"options": options} if options else {}
        if resolved:
            extra["resolved"] = resolved
        return await self.send_interaction(APPLICATION_COMMAND, self._command_data(name, 1, **extra), user, channel_id)

    async def autocomplete(
        self, name: str, option: str, value: str, user: Mapping[str, Any], channel_id: int
    ) -> Interaction:
        options = [{"name": option, "type": 3, "value": value, "focused": True}]
        return await self.send_interaction(AUTOCOMPLETE, self._command_data(name, 1, options=options), user, channel_id)

    async def message_command(
        self,
        name: str,
        target: Mapping[str, Any],
        user: Mapping[str, Any],
        channel_id: int,
        *,
        elsewhere: bool = False,
    ) -> Interaction:
        """Use a message context-menu command on `target` (`elsewhere`: in a server without the bot, through the
        person's own install; the command must allow user installs)."""
        if elsewhere and 1 not in (self.command(name, 3).get("integration_types") or [0]):
            raise FakeDiscordError(f"{name!r} cannot be installed by a user, so it is not offered there")
        resolved = {"messages": {target["id"]: target}}
        data = self._command_data(name, 3, target_id=target["id"], resolved=resolved)
        return await self.send_interaction(
            APPLICATION_COMMAND, data, user, channel_id, command_type=3, elsewhere=elsewhere
        )

    async def press_button(
        self, message: Mapping[str, Any] | int, custom_id: str, user: Mapping[str, Any]
    ) -> Interaction:
        """Press a button on a message, as a person's client does: only a button the message really shows."""
        stored = self.messages.get(int(message if isinstance(message, int) else message["id"]))
        if stored is None or stored.deleted:
            raise FakeDiscordError("no such message to press a button on")
        shown = {b["custom_id"] for b in buttons_of(stored.payload.get("components") or []) if "custom_id" in b}
        if custom_id not in shown:
            raise FakeDiscordError(f"the message shows no button {custom_id!r} (it shows {sorted(shown)})")
        data = {"custom_id": custom_id, "component_type": 2}
        interaction = await self.send_interaction(
            MESSAGE_COMPONENT, data, user, stored.channel_id, message=self._gateway_message(stored)
        )
        return interaction

    async def submit_modal(
        self, opened: Interaction, values: Mapping[str, str], user: Mapping[str, Any], channel_id: int
    ) -> Interaction:
        """Fill in the modal the bot answered `opened` with (text inputs by custom_id) and submit it."""
        modal = opened.modal
        if modal is None:
            raise FakeDiscordError("the bot did not answer that interaction with a modal")

        def filled(text_input: dict[str, Any]) -> dict[str, Any]:
            custom_id = text_input["custom_id"]
            value = values.get(custom_id, text_input.get("value") or "")
            if len(value) > int(text_input.get("max_length", limits.TEXT_INPUT_LENGTH_MAX)):
                raise FakeDiscordError(f"Discord's client would not let a person type {len(value)} characters here")
            return {"type": 4, "id": text_input.get("id", 0), "custom_id": custom_id, "value": value}

        components: list[dict[str, Any]] = []
        for component in modal["components"]:
            if component.get("type") == 1:
                children = [filled(c) for c in component.get("components", []) if c.get("type") == 4]
                components.append({"type": 1, "id": component.get("id", 0), "components": children})
            elif component.get("type") == 18 and component.get("component", {}).get("type") == 4:
                components.append(
                    {"type": 18, "id": component.get("id", 0), "component": filled(component["component"])}
                )
        data = {"custom_id": modal["custom_id"], "components": components}
        # A person needs a moment to paste and press Submit; discord.py only starts listening for the
        # submission once it has read Discord's answer to the modal callback.
        await asyncio.sleep(MODAL_FILL_S)
        return await self.send_interaction(MODAL_SUBMIT, data, user, channel_id, command_type=opened.command_type)

    async def wait_for_callback(self, interaction: Interaction, timeout: float = 15.0) -> Call:
        return await self.wait_for(
            lambda c: c.name == "interaction_callback" and c.params.get("interaction_id") == str(interaction.id),
            timeout,
            what=f"the response to interaction {interaction.id}",
        )
