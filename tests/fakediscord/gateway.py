"""The fake Discord's gateway: the websocket session (HELLO, IDENTIFY, RESUME, heartbeats), DISPATCH of
events filtered by the bot's intents and kept for a RESUME, op 7 reconnects, and the event payloads
(GUILD_CREATE, and a message as the gateway shows it, blanked without the message content intent).

Several sessions at once, as several bot processes open them: each IDENTIFY names its shard (`[id, count]`,
`[0, 1]` when absent) and receives the guild's events only when the guild is on that shard, `(guild_id >> 22) %
count` (https://discord.com/developers/docs/events/gateway#sharding). Two sessions on the same shard (a deploy
overlap) both receive every event of the guild; an interaction goes to one of them only, in turn, or to the one
a test names with `route_interactions`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord.world import FakeDiscordError, StoredMessage, World

log = logging.getLogger(__name__)

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


@dataclass
class GatewaySession:
    session_id: str
    intents: int
    seq: int = 0
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    shard: tuple[int, int] = (0, 1)  # (shard id, shard count) from IDENTIFY

    def serves(self, guild_id: int) -> bool:
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    @property
    def live(self) -> bool:
        return self.ws is not None and not self.ws.closed


class Gateway(World):
    """The gateway side of the fake: sessions (one per bot process or shard), each with its events numbered and
    kept for a RESUME."""

    def __init__(self, *, ready_grace: float = 0.3, **options: Any) -> None:
        # Each mixin with state of its own takes its options and hands the rest on, so that `FakeDiscord`
        # builds every part with one call whatever order the mixins come in.
        super().__init__(**options)
        self.ready_grace = ready_grace
        self._send_lock = asyncio.Lock()
        self.gateway_log: list[tuple[str, dict[str, Any]]] = []  # (what, frame) received from the bot
        self.sessions: list[GatewaySession] = []  # in the order they IDENTIFYed
        self.interaction_sessions: dict[int, int] = {}  # interaction id -> index of the session it went to
        self._interaction_turn = 0
        self._routed_to: int | None = None  # route_interactions
        self.identified = asyncio.Event()
        self.resumed = asyncio.Event()
        self._guild_created_at = 0.0
        self.connections = 0

    @property
    def session(self) -> GatewaySession | None:
        """The latest session: with one bot process, its session."""
        return self.sessions[-1] if self.sessions else None

    def route_interactions(self, session: int | None) -> None:
        """Send the next interactions to the session at this index (None: to each live session in turn)."""
        self._routed_to = session

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume/"

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
            for session in self.sessions:
                if session.ws is ws:
                    session.ws = None
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
        shard_id, count = (int(n) for n in data.get("shard") or (0, 1))
        if count < 1 or not 0 <= shard_id < count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return
        session = GatewaySession(session_id=secrets.token_hex(16), intents=intents, ws=ws, shard=(shard_id, count))
        self.sessions.append(session)
        guilds = [{"id": str(self.guild_id), "unavailable": True}] if session.serves(self.guild_id) else []
        ready = {
            "v": 10,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None},
            "guilds": guilds,
            "session_id": session.session_id,
            "shard": [shard_id, count],
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
        await self.dispatch("READY", ready, intent=0, to=session)
        if guilds:
            await self.dispatch("GUILD_CREATE", self.guild_payload(), intent=GUILDS, to=session)
        self._guild_created_at = asyncio.get_running_loop().time()
        self.identified.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
        if session is None or data.get("token") != self.token:
            await ws.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None}))
            return
        last = int(data.get("seq") or 0)
        async with self._send_lock:  # the replay goes out before anything new
            session.ws = ws
            for seq, event, payload in session.events:
                if seq > last:
                    await ws.send_str(json.dumps({"op": OP_DISPATCH, "t": event, "s": seq, "d": payload}))
        await self.dispatch("RESUMED", {"_trace": ['["fakediscord",{"micros":0}]']}, intent=0, to=session)
        self.resumed.set()

    async def dispatch(
        self, event: str, data: dict[str, Any], *, intent: int, to: GatewaySession | None = None
    ) -> None:
        """Send a DISPATCH to every session of the guild's shard whose intents ask for it (or to the session
        `to`); kept for a RESUME while one is away. An interaction goes to one session only."""
        targets = [to] if to is not None else [s for s in self.sessions if s.serves(self.guild_id)]
        if event == "INTERACTION_CREATE" and to is None:
            targets = self._interaction_target(targets)
        for session in targets:
            if intent and not session.intents & intent:
                continue
            await self._send_dispatch(session, event, data)
            if event == "INTERACTION_CREATE":
                self.interaction_sessions[int(data["id"])] = self.sessions.index(session)

    def _interaction_target(self, serving: list[GatewaySession]) -> list[GatewaySession]:
        """The one session an interaction goes to: the routed one, else the live ones in turn."""
        if self._routed_to is not None:
            return [self.sessions[self._routed_to]]
        live = [s for s in serving if s.live] or serving[-1:]
        if not live:
            return []
        self._interaction_turn += 1
        return [live[self._interaction_turn % len(live)]]

    async def _send_dispatch(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        async with self._send_lock:
            session.seq += 1
            session.events.append((session.seq, event, data))
            delivered = False
            if session.live:
                assert session.ws is not None
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await session.ws.send_str(json.dumps({"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}))
                    delivered = True
            sent = {"t": event, "s": session.seq, "delivered": delivered, "session": self.sessions.index(session)}
            self.gateway_log.append(("dispatch", sent))

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
