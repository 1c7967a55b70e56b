"""REST plumbing of the fake Discord: every request to `/api/v10` recorded as a `Call`, authenticated,
rate limited (50 per route and channel in each fixed one-second window, or a 429 a test asks for with
`rate_limit_next`), its body read
(JSON or multipart with files), and the route's answer or its `RouteError` turned into Discord's reply.
The routes themselves live in `rest_application.py`, `rest_messages.py` and `rest_interactions.py`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakediscord import limits
from tests.fakediscord.world import World

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
RATE_LIMIT = 50  # requests per bucket and window; Discord's real per-route limits are not emulated
RATE_WINDOW_S = 1.0


# Larger than any upload a test sends (Discord's own limit is 25 MiB). aiohttp reads a part in 8 KiB chunks by default
# and, when the stream hands it more than a chunk, pushes the rest back with `unread_data()`, which it deprecates
# (a DeprecationWarning in some runs, depending on how the body arrives); a part read as one chunk never over-reads.
PART_CHUNK = 64 * 1024 * 1024


async def _whole(part: BodyPartReader) -> bytes:
    """A multipart part's bytes as sent (no transfer decoding: discord.py sends none)."""
    chunks = []
    while chunk := await part.read_chunk(PART_CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


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


Route = tuple[str, str, str, Handler, bool]  # method, path under API_PREFIX, route name, handler, needs the token


class Rest(World):
    """Receives, records, rate-limits and answers the bot's REST requests."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.calls: list[Call] = []
        self._rate_limit_next: list[tuple[str, float]] = []
        # Per route and channel: when the current window ends and how many requests it has had. Windows are fixed,
        # as Discord's buckets are: all of a bucket's requests come back when its window ends, which is what the
        # headers say and what discord.py waits for. (A sliding window freed one request at a time, so a client
        # that waited out Reset-After and sent a burst met a 429 a few milliseconds early.)
        self._buckets: dict[str, tuple[float, int]] = {}

    @property
    def rest_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

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
        ends, used = self._buckets.get(bucket_key, (0.0, 0))
        if now >= ends:
            ends, used = now + RATE_WINDOW_S, 0
        reset_after = ends - now
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
        if used >= RATE_LIMIT:
            headers = self._ratelimit_headers(bucket, 0, reset_after)
            headers.update(
                {"Retry-After": str(max(1, round(reset_after))), "X-RateLimit-Scope": "user", "Via": "1.1 google"}
            )
            return Reply(
                429, {"message": "You are being rate limited.", "retry_after": reset_after, "global": False}, headers
            )
        used += 1
        self._buckets[bucket_key] = (ends, used)
        headers = self._ratelimit_headers(bucket, RATE_LIMIT - used, reset_after)
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
                data = await _whole(part)
                if part.name == "payload_json":
                    body = json.loads(data.decode(part.get_charset(default="utf-8")))
                else:
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
