"""A fake paste server on 127.0.0.1 for the paste-link tests. Test-only.

Every provider of bot.paste lives under its own path prefix (`/pastebin`, `/gist`, ...), so one server
stands in for all of them: `base_urls()` is what KNOWNFIX_PASTE_BASE_URLS points at it. A test puts what a
provider would answer at a path (`put`, `put_json`, `redirect`, `hang`, `endless`) and reads back what the
bot asked for (`requests`). Paths not put answer 404, as a paste host does for an unknown id.

    async with FakePasteServer() as pastes:
        pastes.put("pastebin", "/raw/AbCd1234", traceback)
        env = {"KNOWNFIX_PASTE_BASE_URLS": pastes.env_value()}
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.paste import PROVIDER_NAMES

RANGE_TAIL = re.compile(r"bytes=-(\d+)")
ENDLESS_CHUNK = b"INFO step done, loss=0.123\n" * 2048  # about 55 KB of an endless training log


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    location: str | None = None
    honour_range: bool = True  # answer `Range: bytes=-N` with 206 and the last N bytes, as CDNs do
    hang: bool = False  # never answer (a host that stalls)
    endless: bool = False  # stream ENDLESS_CHUNK forever, ignoring Range (a host that sends too much)


@dataclass
class Seen:
    path: str
    query: str
    range: str | None
    served: int = 0  # body bytes written before the response ended or the client went away


@dataclass
class FakePasteServer:
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base_urls(self) -> dict[str, str]:
        return {provider: f"{self.url}/{provider}" for provider in PROVIDER_NAMES}

    def env_value(self) -> str:
        return ",".join(f"{provider}={url}" for provider, url in self.base_urls().items())

    def at(self, provider: str, path: str) -> str:
        """The server path a provider's `path` lives at."""
        return f"/{provider}{path}"

    def put(self, provider: str, path: str, body: str | bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.answers[self.at(provider, path)] = Answer(body=data, content_type=content_type)

    def put_json(self, provider: str, path: str, document: Mapping[str, Any]) -> None:
        self.put(provider, path, json.dumps(document), "application/json")

    def redirect(self, provider: str, path: str, location: str, status: int = 302) -> None:
        self.answers[self.at(provider, path)] = Answer(status=status, location=location)

    def hang(self, provider: str, path: str) -> None:
        self.answers[self.at(provider, path)] = Answer(hang=True)

    def endless(self, provider: str, path: str) -> None:
        self.answers[self.at(provider, path)] = Answer(endless=True)

    def seen(self, provider: str, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == self.at(provider, path)]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakePasteServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(request.path, request.query_string, request.headers.get("Range"))
        self.requests.append(seen)
        answer = self.answers.get(request.path)
        if answer is None:
            return web.Response(status=404, text="not found")
        if answer.hang:
            await self._stopping.wait()
            return web.Response(status=504)
        if answer.location is not None:
            return web.Response(status=answer.status, headers={"Location": answer.location})
        if answer.endless:
            return await self._stream_forever(request, seen)
        return await self._body(request, answer, seen)

    async def _body(self, request: web.Request, answer: Answer, seen: Seen) -> web.StreamResponse:
        body, status = answer.body, answer.status
        tail = RANGE_TAIL.fullmatch(seen.range or "")
        if answer.honour_range and tail and int(tail[1]) < len(body):
            body, status = body[-int(tail[1]) :], 206
        seen.served = len(body)
        return web.Response(status=status, body=body, headers={"Content-Type": answer.content_type})

    async def _stream_forever(self, request: web.Request, seen: Seen) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        try:
            while not self._stopping.is_set():
                await response.write(ENDLESS_CHUNK)
                seen.served += len(ENDLESS_CHUNK)
        except ConnectionError:
            pass  # the client stopped reading and closed the connection: what the test wants to see
        return response
