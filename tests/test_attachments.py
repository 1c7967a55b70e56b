"""Reading attachments: text in the encodings people produce, binaries refused, the tail of long files."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.chat.answer import decode_text, read_attachment_tail

LOG = "epoch 1 loss 0.5\nRuntimeError: CUDA error: out of memory\n"


def test_utf8_and_utf16_logs_are_text_and_binaries_are_not() -> None:
    assert decode_text(LOG.encode()) == LOG
    assert decode_text("\ufeff".encode("utf-16-le") + (LOG * 10).encode("utf-16-le")) == LOG * 10
    assert decode_text((LOG * 10).encode("utf-16-le")) == LOG * 10  # a tail: no byte-order mark
    assert decode_text(b"x" + (LOG * 10).encode("utf-16-le")) == LOG * 10  # a tail cut on an odd byte
    assert decode_text(bytes(range(256)) * 8) is None
    assert decode_text(b"\x89PNG\r\n\x1a\n" + bytes(5000)) is None


async def test_the_tail_is_kept_whether_or_not_the_server_honours_range(unused_tcp_port: int) -> None:
    body = b"".join(f"line {i}\n".encode() for i in range(100_000))

    async def ranged(request: web.Request) -> web.Response:
        start = len(body) - int(request.headers["Range"].removeprefix("bytes=-"))
        return web.Response(body=body[start:], status=206)

    async def whole(request: web.Request) -> web.Response:
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/ranged", ranged)
    app.router.add_get("/whole", whole)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/ranged", "/whole"):
                # A server that ignores Range is read through (up to 16 times the limit) for its tail.
                tail = await read_attachment_tail(session, f"http://127.0.0.1:{unused_tcp_port}{path}", 131_072)
                assert len(tail) == 131_072 and tail == body[-131_072:], path
    finally:
        await runner.cleanup()
