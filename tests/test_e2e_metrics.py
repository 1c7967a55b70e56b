"""End to end: the operator's port (issue 12, item 4). The real bot serves /metrics and /healthz on
KNOWNFIX_METRICS_PORT; a paste and a button vote through the fake Discord move the counters, and /healthz
turns 503 naming the gateway once the fake Discord goes away. The store and knowledge checks are shown on
a bot that has not opened its store or loaded its knowledge, over real HTTP."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.chat.app import KnownfixBot
from bot.chat.health import GatewayState, health_app
from bot.settings import Settings
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.server import FakeDiscordError

from .test_e2e_discord import bot_env
from .voting import answered, press

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def samples(text: str) -> dict[str, float]:
    """Every sample line of a Prometheus text page: `name{labels}` -> value."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            found[match[1]] = float(match[2])
    return found


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def health_when(base: str, status: int, timeout: float = 30.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            async with aiohttp.ClientSession() as session, session.get(base + "/healthz") as response:
                if response.status == status:
                    body: dict[str, Any] = await response.json()
                    return body
            await asyncio.sleep(0.1)


@pytest.mark.e2e
async def test_metrics_count_a_paste_and_a_button_vote_and_healthz_follows_the_gateway(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = tmp_path / "knownfix.sqlite3"
    fake = FakeDiscord()
    await fake.start()
    bot = BotProcess(
        fake, bot_env(fake, database, [fake.help_channel], KNOWNFIX_METRICS_PORT=str(port)), tmp_path / "bot.log"
    )
    try:
        await bot.start()
        healthy = await health_when(base, 200)
        assert healthy == {"status": "ok", "checks": {"gateway": True, "store": True, "knowledge": True}, "failed": []}

        await fake.post_message(fake.help_channel, "good morning everyone", fake.user("chatter"))
        reply = await answered(fake, database)
        await press(fake, reply, "None worked", fake.user("voter"))

        status, content_type, text = await get(base + "/metrics")
        assert status == 200 and content_type.startswith("text/plain") and "version=0.0.4" in content_type
        seen = samples(text)
        assert seen["knownfix_messages_seen_total"] >= 2
        assert seen["knownfix_prefilter_passes_total"] == 1  # the chat line is cleared before matching
        assert seen["knownfix_matches_total"] == 1
        assert seen["knownfix_match_seconds_count"] == 1
        assert seen['knownfix_match_seconds_bucket{le="+Inf"}'] == 1
        assert seen['knownfix_replies_total{mode="answer"}'] == 1
        assert seen['knownfix_replies_total{mode="suggest"}'] == 0
        assert seen['knownfix_votes_total{kind="none",via="button"}'] == 1
        assert seen['knownfix_votes_total{kind="workaround",via="button"}'] == 0
        assert seen['knownfix_store_seconds_count{operation="vote"}'] == 1
        assert seen['knownfix_store_seconds_count{operation="feedback"}'] >= 1

        assert not bot.problems(), "\n".join(bot.problems())  # past here discord.py logs its reconnect attempts

        await fake.stop()  # Discord goes away: the bot keeps retrying, and says it is not healthy
        failing = await health_when(base, 503)
        assert failing["failed"] == ["gateway"] and failing["checks"]["store"] and failing["checks"]["knowledge"]
    finally:
        await bot.stop()
        await fake.stop()


@pytest_asyncio.fixture
async def unstarted_bot(tmp_path: Path) -> AsyncIterator[KnownfixBot]:
    bot = KnownfixBot(Settings(token="not-used", database=tmp_path / "knownfix.sqlite3"))
    try:
        yield bot
    finally:
        await bot.store.close()


async def test_healthz_names_each_failed_check_and_the_store_check_is_a_real_query(
    unstarted_bot: KnownfixBot,
) -> None:
    gateway = GatewayState()
    async with TestServer(health_app(unstarted_bot, gateway)) as server:
        url = str(server.make_url("/healthz"))
        status, content_type, text = await get(url)
        assert status == 503 and content_type.startswith("application/json")
        assert '"failed": ["gateway", "store", "knowledge"]' in text  # nothing started: every check fails

        await unstarted_bot.store.open()
        gateway.connected = True
        status, _, text = await get(url)
        assert status == 503 and '"failed": ["knowledge"]' in text

        await unstarted_bot.store.close()  # the store goes away under a running bot
        status, _, text = await get(url)
        assert status == 503 and '"failed": ["store", "knowledge"]' in text


@pytest.mark.e2e
async def test_a_metrics_port_in_use_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        async with FakeDiscord() as fake:
            settings = bot_env(fake, tmp_path / "k.sqlite3", [fake.help_channel], KNOWNFIX_METRICS_PORT=str(port))
            bot = BotProcess(fake, settings, tmp_path / "bot.log")
            with pytest.raises(FakeDiscordError):
                await bot.start(timeout=60)
    assert bot.proc is not None and bot.proc.returncode == 1
    said = [line for line in bot.log().splitlines() if line.startswith("knownfix:")]
    assert said == [
        f"knownfix: the bot stopped: RuntimeError: metrics port 127.0.0.1:{port}: cannot listen "
        "(Address already in use)"
    ]
    assert "Traceback" not in bot.log()
