"""REST routes about the bot itself: its user, its application, the gateway URL, and its application
commands (registered in bulk, checked against Discord's rules in `limits.check_commands`).
"""

from __future__ import annotations

import secrets
from typing import Any

from tests.fakediscord import limits
from tests.fakediscord.gateway import Gateway
from tests.fakediscord.rest import Reply, Request, Rest, Route, error, invalid


class ApplicationRoutes(Rest, Gateway):
    """`/users/@me`, `/applications/@me`, `/gateway`, and `/applications/{id}[/guilds/{id}]/commands`."""

    def _application_routes(self) -> list[Route]:
        return [
            ("GET", "/users/@me", "get_current_user", self._get_current_user, True),
            ("GET", "/oauth2/applications/@me", "get_application", self._get_application, True),
            ("GET", "/applications/@me", "get_application", self._get_application, True),
            ("GET", "/gateway", "get_gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", "get_gateway_bot", self._get_gateway, True),
            ("GET", "/applications/{application_id}/commands", "get_commands", self._get_commands, True),
            ("PUT", "/applications/{application_id}/commands", "bulk_overwrite_commands", self._put_commands, True),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                "get_commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                "bulk_overwrite_commands",
                self._put_commands,
                True,
            ),
        ]

    async def _get_current_user(self, request: Request) -> Reply:
        return Reply(
            200, {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US", "bio": ""}
        )

    async def _get_gateway(self, request: Request) -> Reply:
        body: dict[str, Any] = {"url": self.gateway_url.rstrip("/")}
        if request.call.name == "get_gateway_bot":
            body.update(
                shards=1, session_start_limit={"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            )
        return Reply(200, body)

    async def _get_application(self, request: Request) -> Reply:
        return Reply(
            200,
            {
                "id": str(self.application_id),
                "name": "knownfix",
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "hook": True,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": secrets.token_hex(32),
                "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT
                "owner": self.owner,
                "team": None,
                "bot": self.bot_user,
                "rpc_origins": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "tags": [],
                "install_params": None,
                "integration_types_config": {"0": {}},
                "approximate_guild_count": 1,
                "approximate_user_install_count": 0,
            },
        )

    def _commands_key(self, request: Request) -> int | None:
        if request.params["application_id"] != str(self.application_id):
            raise error(403, 50001, "Missing Access")
        guild = request.params.get("guild_id")
        if guild is not None and guild != str(self.guild_id):
            raise error(403, 50001, "Missing Access")
        return None if guild is None else int(guild)

    async def _get_commands(self, request: Request) -> Reply:
        return Reply(200, self.commands.get(self._commands_key(request), []))

    async def _put_commands(self, request: Request) -> Reply:
        key = self._commands_key(request)
        problems = limits.check_commands(request.body)
        if problems:
            raise invalid(problems)
        existing = {(int(c.get("type", 1)), c["name"]): c for c in self.commands.get(key, [])}
        stored: list[dict[str, Any]] = []
        for command in request.body:
            kind = int(command.get("type", 1))
            old = existing.get((kind, command["name"]))
            data = {
                "id": old["id"] if old else str(self.ids.next()),
                "application_id": str(self.application_id),
                "version": str(self.ids.next()),
                "type": kind,
                "name": command["name"],
                "name_localizations": command.get("name_localizations"),
                "description": command.get("description", ""),
                "description_localizations": command.get("description_localizations"),
                "options": command.get("options", []),
                "default_member_permissions": command.get("default_member_permissions"),
                "dm_permission": command.get("dm_permission", True),
                "nsfw": command.get("nsfw", False),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types", [0]),
            }
            if key is not None:
                data["guild_id"] = str(key)
            stored.append(data)
        self.commands[key] = stored
        return Reply(200, stored)
