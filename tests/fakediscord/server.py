"""A fake Discord on 127.0.0.1: the REST API (v10) and the gateway, enough for a real bot to run against.

One `FakeDiscord` is one guild with a few channels, the bot's application, and the test's users. The
bot process connects to it unmodified except for the two base URLs (see `launch.py`). Tests act as
people (`post_message`, `add_reaction`, `slash_command`, ...) and check what the bot did through the
recorded requests (`calls`, `wait_for`).

What the bot sends is checked against Discord's documented limits (`limits.py`) and answered the way
Discord answers: 400 with code 50035 and an `errors` tree, 50006 for an empty message, 30010 past 20
unique reactions, 10062 for an interaction answered late or twice, 413 past the upload limit. So a test
fails where the bot would fail in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakediscord import limits
from tests.fakediscord import payloads as p

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"

# Gateway opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-opcodes)
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME, OP_RECONNECT, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    7,
    9,
    10,
    11,
)
HEARTBEAT_INTERVAL_MS = 41_250

# Gateway intents (https://discord.com/developers/docs/events/gateway#list-of-intents)
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = {GUILD_MEMBERS: "GUILD_MEMBERS", GUILD_PRESENCES: "GUILD_PRESENCES", MESSAGE_CONTENT: "MESSAGE_CONTENT"}

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
ALLOWED_CALLBACKS = {
    PING: {1},
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}
HISTORY_PAGE_MAX = 100  # messages in one page of GET /channels/{id}/messages
INITIAL_RESPONSE_S = 3.0  # an interaction must be answered within 3 s
TOKEN_LIFETIME_S = 15 * 60  # follow-ups work for 15 minutes
MODAL_FILL_S = 0.3
THREAD_NAME_MAX = 100
AUTO_ARCHIVE_MINUTES = (60, 1440, 4320, 10080)  # the choices Discord accepts, the last its default

RATE_LIMIT = 50  # requests per bucket and window; Discord's real per-route limits are not emulated
RATE_WINDOW_S = 1.0


class FakeDiscordError(AssertionError):
    """Raised in the test process when the fake sees something a test did not expect (or waited in vain)."""


# -- records -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file a person attaches to a message."""

    filename: str
    data: bytes
    content_type: str | None = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class SentFile:
    """A file the bot uploaded with a request."""

    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One request the bot made, with Discord's answer."""

    index: int
    name: str  # the route's name, e.g. "create_message", "interaction_callback"
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    files: list[SentFile]
    status: int = 0
    response: Any = None
    at: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> dict[str, Any] | None:
        """The message this call created or edited, for calls that return one."""
        response = self.response
        if isinstance(response, dict):
            resource = response.get("resource")
            found = resource.get("message") if isinstance(resource, dict) else response
            if isinstance(found, dict) and "channel_id" in found and "author" in found:
                return found
        return None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        body = self.body if isinstance(self.body, dict) else {}
        data = body.get("data") if self.name == "interaction_callback" else body
        return list((data or {}).get("embeds") or [])

    def __repr__(self) -> str:
        return f"<Call #{self.index} {self.method} {self.path} -> {self.status}>"


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


@dataclass
class GatewaySession:
    session_id: str
    intents: int
    seq: int = 0
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class RouteError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status, self.body = status, body


def error(status: int, code: int, message: str) -> RouteError:
    return RouteError(status, {"message": message, "code": code})


def invalid(problems: list[limits.Problem]) -> RouteError:
    return RouteError(400, limits.form_error(problems))


Handler = Callable[["Request"], Awaitable[Reply]]


@dataclass
class Request:
    call: Call
    web: web.Request

    @property
    def params(self) -> dict[str, str]:
        return self.call.params

    @property
    def body(self) -> Any:
        return self.call.body


USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


def _reference_id(call: Call) -> str | None:
    """The id of the message a create_message call replies to (discord.py sends it as a number)."""
    body = call.body if isinstance(call.body, dict) else {}
    reference = body.get("message_reference") or {}
    return None if reference.get("message_id") is None else str(reference["message_id"])


def buttons_of(components: Iterable[Any]) -> list[dict[str, Any]]:
    """Every button in a message's components (action rows hold them)."""
    found: list[dict[str, Any]] = []
    for component in components:
        if isinstance(component, dict) and component.get("type") == 2:
            found.append(component)
        elif isinstance(component, dict):
            found += buttons_of(component.get("components") or [])
    return found


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


# -- the fake --------------------------------------------------------------------------------------------


class FakeDiscord:
    """One guild, its channels and people, the bot's application; REST + gateway on one port."""

    def __init__(self, *, token: str | None = None, ready_grace: float = 0.3) -> None:
        self.ids = p.Snowflakes()
        self.token = token or f"{secrets.token_urlsafe(18)}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"
        self.ready_grace = ready_grace
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self._send_lock = asyncio.Lock()

        self.calls: list[Call] = []
        self.errors: list[str] = []  # the fake's own failures: a test must not pass over them
        self.gateway_log: list[tuple[str, dict[str, Any]]] = []  # (what, frame) received from the bot
        self.attachment_requests: list[dict[str, Any]] = []
        self._rate_limit_next: list[tuple[str, float]] = []
        self._buckets: dict[str, list[float]] = {}

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
        self.attachments: dict[str, tuple[bytes, str | None]] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global) -> commands
        self.interactions: dict[int, Interaction] = {}

        self.session: GatewaySession | None = None
        self.identified = asyncio.Event()
        self.resumed = asyncio.Event()
        self._guild_created_at = 0.0
        self.connections = 0

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

    @property
    def rest_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume/"

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

    # -- waiting -------------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

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

    # -- gateway ---------------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        self.gateway_log.append(("connect", {"path": request.path, "query": dict(request.query)}))
        # discord.py asks for zlib-stream but takes plain JSON text frames.
        await ws.send_str(
            json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None})
        )
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    if frame.type == WSMsgType.ERROR:
                        break
                    continue
                data = json.loads(frame.data)
                op = data.get("op")
                self.gateway_log.append((f"op{op}", data))
                if op == OP_HEARTBEAT:
                    await ws.send_str(json.dumps({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None}))
                elif op == OP_IDENTIFY:
                    await self._identify(ws, data["d"])
                elif op == OP_RESUME:
                    await self._resume(ws, data["d"])
                await self._notify()
        except Exception as exc:
            log.exception("fake gateway failed")
            self.errors.append(f"gateway: {type(exc).__name__}: {exc}")
            raise
        finally:
            if self.session is not None and self.session.ws is ws:
                self.session.ws = None
            self.gateway_log.append(("disconnect", {"code": ws.close_code}))
            await self._notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token and data.get("token") != f"Bot {self.token}":
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & GUILD_MEMBERS or intents & GUILD_PRESENCES:
            # The fake application has only the message content intent enabled in the developer portal.
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.session = GatewaySession(session_id=secrets.token_hex(16), intents=intents, ws=ws)
        ready = {
            "v": 10,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": self.session.session_id,
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 1 << 19},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "auth": {},
            "user_settings": {},
            "session_type": "normal",
            "_trace": ['["fakediscord",{"micros":0}]'],
        }
        await self.dispatch("READY", ready, intent=0)
        await self.dispatch("GUILD_CREATE", self.guild_payload(), intent=GUILDS)
        self._guild_created_at = asyncio.get_running_loop().time()
        self.identified.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.session
        if session is None or data.get("session_id") != session.session_id or data.get("token") != self.token:
            await ws.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None}))
            return
        last = int(data.get("seq") or 0)
        async with self._send_lock:  # the replay goes out before anything new
            session.ws = ws
            for seq, event, payload in session.events:
                if seq > last:
                    await ws.send_str(json.dumps({"op": OP_DISPATCH, "t": event, "s": seq, "d": payload}))
        await self.dispatch("RESUMED", {"_trace": ['["fakediscord",{"micros":0}]']}, intent=0)
        self.resumed.set()

    async def dispatch(self, event: str, data: dict[str, Any], *, intent: int) -> None:
        """Send a DISPATCH to the bot if its intents ask for it; kept for a RESUME while it is away."""
        session = self.session
        if session is None:
            return
        if intent and not session.intents & intent:
            return
        async with self._send_lock:
            session.seq += 1
            session.events.append((session.seq, event, data))
            delivered = False
            if session.ws is not None and not session.ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await session.ws.send_str(json.dumps({"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}))
                    delivered = True
            self.gateway_log.append(("dispatch", {"t": event, "s": session.seq, "delivered": delivered}))

    async def reconnect(self) -> None:
        """Ask the bot to reconnect (op 7); `wait_resumed` waits until it has RESUMEd the session."""
        session = self.session
        if session is None or session.ws is None:
            raise FakeDiscordError("the bot is not connected")
        self.resumed.clear()
        await session.ws.send_str(json.dumps({"op": OP_RECONNECT, "d": None, "s": None, "t": None}))

    async def wait_resumed(self, timeout: float = 15.0) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self.resumed.wait()
        except TimeoutError:
            raise FakeDiscordError(f"the bot did not RESUME within {timeout}s") from None

    def guild_payload(self) -> dict[str, Any]:
        members = [self.member(self.application_id)]
        return {
            "id": str(self.guild_id),
            "name": "knownfix test server",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": self.owner["id"],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": self.roles,
            "emojis": [],
            "stickers": [],
            "features": ["COMMUNITY"],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.general_channel),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "incidents_data": None,
            # GUILD_CREATE extras
            "joined_at": self.joined_at[self.application_id],
            "large": False,
            "unavailable": False,
            "member_count": len(self.users) + 1,
            "voice_states": [],
            "members": members,
            "channels": [{k: v for k, v in c.items() if k != "guild_id"} for c in self.channels.values()],
            "threads": list(self.threads.values()),
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "lazy": True,
        }

    # -- people acting -----------------------------------------------------------------------------------

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

    def _store_upload(self, channel_id: int, upload: Upload) -> dict[str, Any]:
        attachment_id = self.ids.next()
        key = f"{channel_id}/{attachment_id}/{upload.filename}"
        self.attachments[key] = (upload.data, upload.content_type)
        # Real attachment URLs are signed and expire: the query must survive the bot's request.
        expires = int(time.time()) + 86400
        url = f"http://127.0.0.1:{self.port}/attachments/{key}?ex={expires:x}&is={int(time.time()):x}&hm={secrets.token_hex(32)}&"
        return p.attachment(attachment_id, upload.filename, len(upload.data), url, upload.content_type)

    def _gateway_message(self, stored: StoredMessage) -> dict[str, Any]:
        data = dict(stored.payload)
        author_id = int(data["author"]["id"])
        if stored.guild_id is not None:
            data["guild_id"] = str(stored.guild_id)
            if data.get("webhook_id") is None or author_id == self.application_id:
                data["member"] = self.member(author_id, with_user=False)
        session = self.session
        mentioned = any(u["id"] == self.bot_user["id"] for u in data.get("mentions", []))
        if (
            session is not None
            and not session.intents & MESSAGE_CONTENT
            and not mentioned
            and author_id != self.application_id
        ):
            # Without the message content intent Discord sends these fields empty.
            data.update(content="", embeds=[], attachments=[], components=[])
        return data

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

    # -- interactions (a person uses a command) -------------------------------------------------------------

    def command(self, name: str, command_type: int = 1) -> dict[str, Any]:
        """A command the bot registered (guild commands first), as Discord stored it."""
        for guild in (self.guild_id, None):
            for command in self.commands.get(guild, []):
                if command["name"] == name and int(command.get("type", 1)) == command_type:
                    return command
        raise FakeDiscordError(f"the bot registered no command {name!r} of type {command_type}")

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

    # -- REST plumbing ---------------------------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, str, Handler, bool]]:
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

    def _ratelimit_headers(self, bucket: str, remaining: int, reset_after: float) -> dict[str, str]:
        # All five or none: discord.py reads Remaining and then needs Reset-After (or Reset).
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _wrap(self, name: str, handler: Handler, auth: bool) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def route(request: web.Request) -> web.StreamResponse:
            body, files = await self._read_body(request)
            call = Call(
                index=len(self.calls),
                name=name,
                method=request.method,
                path=request.path,
                params=dict(request.match_info),
                query=dict(request.query),
                headers=dict(request.headers),
                body=body,
                files=files,
            )
            self.calls.append(call)
            reply = await self._answer(Request(call, request), handler, auth)
            call.status, call.response, call.at = reply.status, reply.body, time.monotonic()
            if not call.ok and name != "unknown_route":
                log.info("fake discord answered %s %s with %s: %s", call.method, call.path, call.status, reply.body)
            await self._notify()
            if reply.body is None:
                return web.Response(status=reply.status, headers=reply.headers)
            headers = {**reply.headers, "Content-Type": "application/json"}  # exactly: no charset
            return web.Response(status=reply.status, body=json.dumps(reply.body).encode(), headers=headers)

        return route

    async def _answer(self, request: Request, handler: Handler, auth: bool) -> Reply:
        call = request.call
        bucket_key = f"{call.name}:{call.params.get('channel_id') or call.params.get('token') or ''}"
        bucket = f"{abs(hash(call.name)) % 10**12:012x}"
        now = time.monotonic()
        window = [t for t in self._buckets.get(bucket_key, []) if now - t < RATE_WINDOW_S]
        reset_after = RATE_WINDOW_S - (now - window[0]) if window else RATE_WINDOW_S
        for i, (route_name, retry_after) in enumerate(self._rate_limit_next):
            if route_name == call.name:
                del self._rate_limit_next[i]
                headers = self._ratelimit_headers(bucket, 0, retry_after)
                headers.update(
                    {"Retry-After": str(max(1, round(retry_after))), "X-RateLimit-Scope": "user", "Via": "1.1 google"}
                )
                return Reply(
                    429,
                    {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                    headers,
                )
        if len(window) >= RATE_LIMIT:
            headers = self._ratelimit_headers(bucket, 0, reset_after)
            headers.update(
                {"Retry-After": str(max(1, round(reset_after))), "X-RateLimit-Scope": "user", "Via": "1.1 google"}
            )
            return Reply(
                429, {"message": "You are being rate limited.", "retry_after": reset_after, "global": False}, headers
            )
        window.append(now)
        self._buckets[bucket_key] = window
        headers = self._ratelimit_headers(bucket, RATE_LIMIT - len(window), reset_after)
        if auth and call.headers.get("Authorization") != f"Bot {self.token}":
            return Reply(401, {"message": "401: Unauthorized", "code": 0})
        try:
            reply = await handler(request)
        except RouteError as exc:
            return Reply(exc.status, exc.body, headers)
        except Exception as exc:
            log.exception("fake REST route %s failed", call.name)
            self.errors.append(f"{call.method} {call.path}: {type(exc).__name__}: {exc}")
            return Reply(500, {"message": "500: Internal Server Error", "code": 0}, headers)
        reply.headers = {**headers, **reply.headers}
        return reply

    async def _read_body(self, request: web.Request) -> tuple[Any, list[SentFile]]:
        if not request.can_read_body:
            return None, []
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            body: Any = None
            files: list[SentFile] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: Discord does not take it either
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    data = await part.read()
                    files.append(SentFile(part.name or "", part.filename or "", part.headers.get("Content-Type"), data))
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode("utf-8", errors="replace"), []

    async def _unknown(self, request: Request) -> Reply:
        return Reply(404, {"message": "404: Not Found", "code": 0})

    # -- REST: the application ------------------------------------------------------------------------------

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

    # -- REST: channels and messages ------------------------------------------------------------------------

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
            await self.dispatch(
                "MESSAGE_REACTION_ADD",
                {
                    "user_id": str(self.application_id),
                    "channel_id": str(stored.channel_id),
                    "message_id": str(stored.id),
                    "guild_id": str(self.guild_id),
                    "member": self.member(self.application_id),
                    "emoji": {"id": None, "name": emoji},
                    "message_author_id": stored.payload["author"]["id"],
                    "burst": False,
                    "burst_colors": [],
                    "type": 0,
                },
                intent=GUILD_MESSAGE_REACTIONS,
            )
        return Reply(204)

    async def _remove_own_reaction(self, request: Request) -> Reply:
        stored = self._rest_message(request.params["channel_id"], request.params["message_id"])
        emoji = self._emoji(request.params["emoji"])
        voters = stored.reactions.get(emoji, [])
        if self.application_id in voters:
            voters.remove(self.application_id)
            if not voters:
                del stored.reactions[emoji]
        return Reply(204)

    # -- REST: interactions ---------------------------------------------------------------------------------

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

    # -- the CDN ----------------------------------------------------------------------------------------------

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        key = (
            f"{request.match_info['channel_id']}/{request.match_info['attachment_id']}/{request.match_info['filename']}"
        )
        record: dict[str, Any] = {"key": key, "range": request.headers.get("Range"), "query": dict(request.query)}
        self.attachment_requests.append(record)
        found = self.attachments.get(key)
        if found is None or "ex" not in request.query:
            record["status"] = 404
            return web.Response(status=404, text="This content is no longer available.")
        data, content_type = found
        headers = {"Accept-Ranges": "bytes", "Content-Type": content_type or "application/octet-stream"}
        start, end = 0, len(data) - 1
        status = 200
        spec = request.headers.get("Range")
        if spec:
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip())
            if match is None or match.groups() == ("", ""):
                record["status"] = 416
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
            first, last = match.groups()
            if first == "":  # a suffix: the last N bytes
                start = max(0, len(data) - int(last))
            else:
                start = int(first)
                end = min(end, int(last)) if last else end
            if start > end:
                record["status"] = 416
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        body = data[start : end + 1]
        record.update(status=status, served=len(body))
        return web.Response(status=status, body=body, headers=headers)
