"""A fake Discord on 127.0.0.1: the REST API (v10) and the gateway, enough for a real bot to run against.

One `FakeDiscord` is one guild with a few channels, the bot's application, and the test's users. The
bot process connects to it unmodified except for the two base URLs (see `launch.py`). Tests act as
people (`post_message`, `add_reaction`, `slash_command`, ...) and check what the bot did through the
recorded requests (`calls`, `wait_for`).

What the bot sends is checked against Discord's documented limits (`limits.py`) and answered the way
Discord answers: 400 with code 50035 and an `errors` tree, 50006 for an empty message, 30010 past 20
unique reactions, 10062 for an interaction answered late or twice, 413 past the upload limit. So a test
fails where the bot would fail in production.

`FakeDiscord` is one object made of one mixin per concern, each in its own module:

- `world.py`: the guild, roles, channels, threads, people, stored messages and interactions (`World`);
- `gateway.py`: the websocket session, IDENTIFY/RESUME, heartbeats and DISPATCH (`Gateway`);
- `cdn.py`: attachments and the CDN that serves them (`Cdn`);
- `rest.py`: REST plumbing: recording, auth, rate limits, bodies, errors (`Rest`);
- `rest_application.py`, `rest_messages.py`, `rest_interactions.py`: the REST routes by group;
- `controls_waiting.py`, `controls_people.py`, `controls_interactions.py`: what tests call.

This module puts them together and serves them on one port; the names tests import from here are
re-exported. The interaction and callback types are defined in `world.py` and imported from there.
"""

from __future__ import annotations

import contextlib

from aiohttp import web

from tests.fakediscord.controls_interactions import MODAL_FILL_S, InteractionControls
from tests.fakediscord.controls_people import PeopleControls
from tests.fakediscord.gateway import (
    GUILD_MEMBERS,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGES,
    GUILD_PRESENCES,
    GUILDS,
    HEARTBEAT_INTERVAL_MS,
    MESSAGE_CONTENT,
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_RECONNECT,
    OP_RESUME,
    PRIVILEGED,
    GatewaySession,
)
from tests.fakediscord.rest import (
    API_PREFIX,
    RATE_LIMIT,
    RATE_WINDOW_S,
    Call,
    Handler,
    Reply,
    Request,
    Route,
    RouteError,
    SentFile,
    error,
    invalid,
)
from tests.fakediscord.rest_application import ApplicationRoutes
from tests.fakediscord.rest_interactions import (
    ALLOWED_CALLBACKS,
    INITIAL_RESPONSE_S,
    TOKEN_LIFETIME_S,
    InteractionRoutes,
)
from tests.fakediscord.rest_messages import AUTO_ARCHIVE_MINUTES, HISTORY_PAGE_MAX, THREAD_NAME_MAX
from tests.fakediscord.world import (
    ROLE_MENTION,
    USER_MENTION,
    FakeDiscordError,
    Interaction,
    StoredMessage,
    Upload,
    buttons_of,
)

__all__ = [
    "ALLOWED_CALLBACKS",
    "API_PREFIX",
    "AUTO_ARCHIVE_MINUTES",
    "GUILDS",
    "GUILD_MEMBERS",
    "GUILD_MESSAGES",
    "GUILD_MESSAGE_REACTIONS",
    "GUILD_PRESENCES",
    "HEARTBEAT_INTERVAL_MS",
    "HISTORY_PAGE_MAX",
    "INITIAL_RESPONSE_S",
    "MESSAGE_CONTENT",
    "MODAL_FILL_S",
    "OP_DISPATCH",
    "OP_HEARTBEAT",
    "OP_HEARTBEAT_ACK",
    "OP_HELLO",
    "OP_IDENTIFY",
    "OP_INVALID_SESSION",
    "OP_RECONNECT",
    "OP_RESUME",
    "PRIVILEGED",
    "RATE_LIMIT",
    "RATE_WINDOW_S",
    "ROLE_MENTION",
    "THREAD_NAME_MAX",
    "TOKEN_LIFETIME_S",
    "USER_MENTION",
    "Call",
    "FakeDiscord",
    "FakeDiscordError",
    "GatewaySession",
    "Handler",
    "Interaction",
    "Reply",
    "Request",
    "Route",
    "RouteError",
    "SentFile",
    "StoredMessage",
    "Upload",
    "buttons_of",
    "error",
    "invalid",
]


class FakeDiscord(InteractionControls, PeopleControls, ApplicationRoutes, InteractionRoutes):
    """One guild, its channels and people, the bot's application; REST + gateway on one port."""

    def __init__(self, *, token: str | None = None, ready_grace: float = 0.3) -> None:
        super().__init__(token=token, ready_grace=ready_grace)
        self._runner: web.AppRunner | None = None

    def _routes(self) -> list[Route]:
        return [*self._application_routes(), *self._message_routes(), *self._interaction_routes()]

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume/", self._gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_get("/media-proxy/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        for method, path, name, handler, auth in self._routes():
            app.router.add_route(method, API_PREFIX + path, self._wrap(name, handler, auth))
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._wrap("unknown_route", self._unknown, False))
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self.session is not None and self.session.ws is not None:
            with contextlib.suppress(Exception):
                await self.session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
