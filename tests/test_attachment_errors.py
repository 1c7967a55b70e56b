"""Why an attachment could not be read, as the log says it: never an empty `download failed ()`."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from bot.chat.answer import download_failure, read_attachment_tail

STALL_S = 30.0  # longer than the client's timeout below: the server never answers in time
CLIENT_TIMEOUT_S = 0.2


async def test_a_download_that_times_out_says_so(unused_tcp_port: int) -> None:
    async def stalled(request: web.Request) -> web.Response:
        await asyncio.sleep(STALL_S)
        return web.Response(body=b"too late")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/stalled", stalled)
    app.router.add_get("/missing", missing)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    reasons: list[str] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)) as session:
            for path in ("/stalled", "/missing"):
                try:
                    await read_attachment_tail(session, f"http://127.0.0.1:{unused_tcp_port}{path}", 1000)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    reasons.append(download_failure(exc))
    finally:
        await runner.cleanup()
    assert reasons[0] == "download failed (timed out)"
    assert reasons[1].startswith("download failed (HTTP 404")
