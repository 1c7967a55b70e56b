"""The operator's HTTP port (KNOWNFIX_METRICS_PORT): /metrics in the Prometheus text format, /healthz for
Docker's HEALTHCHECK, a load balancer or systemd watchdog scripts. Served by aiohttp inside the bot process,
on the bot's event loop; nothing here reads or writes Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from bot import metrics

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

# The store check is one cheap read; one that takes longer than this means a store too busy or stuck to
# serve votes in time, which a health check should report (Docker's own timeout is longer, 5 s).
STORE_PROBE_TIMEOUT_S = 2.0


class GatewayState:
    """Whether the Discord gateway is connected now, followed through discord.py's connect/disconnect events
    (`is_ready()` stays true through a disconnect while the library retries)."""

    def __init__(self) -> None:
        self.connected = False

    def attach(self, bot: KnownfixBot) -> None:
        bot.add_listener(self._up, "on_connect")
        bot.add_listener(self._up, "on_resumed")
        bot.add_listener(self._down, "on_disconnect")

    async def _up(self) -> None:
        self.connected = True

    async def _down(self) -> None:
        self.connected = False


async def store_reachable(bot: KnownfixBot) -> bool:
    if not bot.store.healthy:  # it lost its database file and refuses writes (bot.store)
        return False
    try:
        await asyncio.wait_for(bot.store.schema_version(), STORE_PROBE_TIMEOUT_S)
    except Exception as exc:  # closed, not yet open, locked, timed out: all mean "cannot serve now"
        log.warning("health: store check failed: %s: %s", type(exc).__name__, exc)
        return False
    return True


async def health_checks(bot: KnownfixBot, gateway: GatewayState) -> dict[str, bool]:
    engine = bot.engine
    return {
        "gateway": gateway.connected and not bot.is_closed(),
        "store": await store_reachable(bot),
        "knowledge": engine is not None and len(engine.kb) > 0,
    }


def health_app(bot: KnownfixBot, gateway: GatewayState) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        checks = await health_checks(bot, gateway)
        failed = [name for name, ok in checks.items() if not ok]
        body = {"status": "failing" if failed else "ok", "checks": checks, "failed": failed}
        return web.Response(text=json.dumps(body), status=503 if failed else 200, content_type="application/json")

    async def metrics_page(request: web.Request) -> web.Response:
        return web.Response(body=metrics.REGISTRY.render().encode(), headers={"Content-Type": metrics.CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    return app


@contextlib.asynccontextmanager
async def serving_health(bot: KnownfixBot) -> AsyncIterator[None]:
    """Serve /metrics and /healthz while the bot runs, when a port is set; nothing otherwise."""
    port, host = bot.settings.metrics_port, bot.settings.metrics_host
    if port is None:
        yield
        return
    gateway = GatewayState()
    gateway.attach(bot)
    runner = web.AppRunner(health_app(bot, gateway), access_log=None)  # a probe every 30 s is not news
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:  # the port is taken or the address is not this machine's: say which
            reason = os.strerror(exc.errno) if exc.errno else str(exc)  # asyncio's own text repeats host and port
            raise RuntimeError(f"metrics port {host}:{port}: cannot listen ({reason})") from None
        log.info("metrics and health on http://%s:%d/metrics and /healthz", host, port)
        yield
    finally:
        await runner.cleanup()
