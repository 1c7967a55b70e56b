"""The fake Discord itself: it must refuse what Discord refuses, in Discord's words, or the e2e tests prove nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord.http import HTTPClient, Route, handle_message_parameters

from tests.fakediscord import FakeDiscord, Upload
from tests.fakediscord.world import APPLICATION_COMMAND, AUTOCOMPLETE

NONE: dict[str, list[str]] = {"parse": []}


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


async def rest(
    fake: FakeDiscord, method: str, path: str, body: Any = None, *, auth: bool = True
) -> tuple[int, dict[str, str], Any]:
    headers = {"Authorization": f"Bot {fake.token}"} if auth else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.rest_base + path, json=body, headers=headers) as response,
    ):
        data = await response.json(content_type=None) if response.status != 204 else None
        return response.status, dict(response.headers), data


async def send(fake: FakeDiscord, body: dict[str, Any]) -> tuple[int, Any]:
    status, _, data = await rest(fake, "POST", f"/channels/{fake.help_channel}/messages", body)
    return status, data


def error_at(data: dict[str, Any], *path: str) -> str:
    node = data["errors"]
    for key in path:
        node = node[key]
    return str(node["_errors"][0]["code"])


async def test_answers_are_exactly_application_json_with_all_rate_limit_headers(fake: FakeDiscord) -> None:
    status, headers, data = await rest(fake, "GET", "/users/@me")
    assert status == 200 and data["bot"] is True
    assert headers["Content-Type"] == "application/json"
    for name in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
        assert f"X-RateLimit-{name}" in headers
    assert (await rest(fake, "GET", "/users/@me", auth=False))[0] == 401


LONG = "x" * 5000


@pytest.mark.parametrize(
    ("embed", "path"),
    [
        ({"title": LONG[:257]}, ("embeds", "0", "title")),
        ({"description": LONG[:4097]}, ("embeds", "0", "description")),
        ({"fields": [{"name": "n", "value": "v"}] * 26}, ("embeds", "0", "fields")),
        ({"fields": [{"name": LONG[:257], "value": "v"}]}, ("embeds", "0", "fields", "0", "name")),
        ({"fields": [{"name": "n", "value": LONG[:1025]}]}, ("embeds", "0", "fields", "0", "value")),
        ({"fields": [{"name": "n", "value": " "}]}, ("embeds", "0", "fields", "0", "value")),
        ({"footer": {"text": LONG[:2049]}}, ("embeds", "0", "footer", "text")),
        ({"description": LONG[:4096], "fields": [{"name": "n", "value": LONG[:1024]}] * 2}, ("embeds",)),
    ],
)
async def test_embeds_past_discords_limits_are_refused(
    fake: FakeDiscord, embed: dict[str, Any], path: tuple[str, ...]
) -> None:
    status, data = await send(fake, {"embeds": [embed], "allowed_mentions": NONE})
    assert status == 400 and data["code"] == 50035 and data["message"] == "Invalid Form Body"
    assert error_at(data, *path)


async def test_embeds_at_the_limits_are_accepted(fake: FakeDiscord) -> None:
    embed = {
        "title": LONG[:256],
        "description": LONG[:2000],
        "fields": [{"name": LONG[:60], "value": LONG[:60]}] * 25,  # 256 + 2000 + 3000 + 744 = 6000
        "footer": {"text": LONG[:744]},
    }
    status, data = await send(fake, {"embeds": [embed], "allowed_mentions": NONE})
    assert status == 200, data
    assert data["embeds"][0]["title"] == LONG[:256]


async def test_messages_are_refused_like_discord_does(fake: FakeDiscord) -> None:
    status, data = await send(fake, {"content": LONG[:2001], "allowed_mentions": NONE})
    assert status == 400 and error_at(data, "content") == "BASE_TYPE_MAX_LENGTH"
    status, data = await send(fake, {"content": "   ", "allowed_mentions": NONE})
    assert status == 400 and data["code"] == 50006
    status, data = await send(fake, {"content": "hi"})  # the harness insists on allowed_mentions
    assert status == 400 and error_at(data, "allowed_mentions") == "BASE_TYPE_REQUIRED"
    button = {"type": 2, "style": 1, "label": "go", "custom_id": "c" * 101}
    status, data = await send(
        fake, {"content": "hi", "allowed_mentions": NONE, "components": [{"type": 1, "components": [button]}]}
    )
    assert status == 400 and error_at(data, "components", "0", "components", "0", "custom_id")
    reference = {"message_id": "1234", "channel_id": str(fake.help_channel)}
    status, data = await send(fake, {"content": "hi", "allowed_mentions": NONE, "message_reference": reference})
    assert status == 400 and error_at(data, "message_reference") == "MESSAGE_REFERENCE_UNKNOWN_MESSAGE"
    status, data = await send(fake, {"content": "@everyone look", "allowed_mentions": {"parse": ["everyone"]}})
    assert status == 200 and fake.messages[int(data["id"])].pings == {"everyone": True}


async def test_a_21st_unique_reaction_is_refused(fake: FakeDiscord) -> None:
    status, message = await send(fake, {"content": "vote", "allowed_mentions": NONE})
    assert status == 200
    emoji = [chr(0x1F600 + i) for i in range(21)]
    base = f"/channels/{fake.help_channel}/messages/{message['id']}/reactions"
    for e in emoji[:20]:
        assert (await rest(fake, "PUT", f"{base}/{e}/@me"))[0] == 204
    status, _, data = await rest(fake, "PUT", f"{base}/{emoji[20]}/@me")
    assert status == 400 and data["code"] == 30010
    assert (await rest(fake, "PUT", f"{base}/{emoji[0]}/@me"))[0] == 204  # an existing one is fine
    assert (await rest(fake, "PUT", f"{base}/notanemoji/@me"))[2]["code"] == 10014


async def test_interactions_must_be_answered_once_and_in_time(fake: FakeDiscord) -> None:
    fake.commands[None] = [{"id": "1", "name": "fix", "type": 1}]
    user = fake.user("ann")
    late = await fake.send_interaction(
        APPLICATION_COMMAND, {"id": "1", "name": "fix", "type": 1}, user, fake.help_channel
    )
    once = await fake.send_interaction(
        APPLICATION_COMMAND, {"id": "1", "name": "fix", "type": 1}, user, fake.help_channel
    )
    late.created -= 3.5
    answer = {"type": 4, "data": {"content": "hi", "allowed_mentions": NONE}}
    assert (await rest(fake, "POST", f"/interactions/{late.id}/{late.token}/callback", answer, auth=False))[2][
        "code"
    ] == 10062
    status, _, data = await rest(fake, "POST", f"/interactions/{once.id}/{once.token}/callback", answer, auth=False)
    assert status == 200 and data["resource"]["message"]["content"] == "hi"
    assert (await rest(fake, "POST", f"/interactions/{once.id}/{once.token}/callback", answer, auth=False))[2][
        "code"
    ] == 40060


async def test_autocomplete_and_modal_limits(fake: FakeDiscord) -> None:
    user = fake.user("bo")
    data = {"id": "1", "name": "search", "type": 1, "options": [{"name": "q", "type": 3, "value": "", "focused": True}]}
    asked = await fake.send_interaction(AUTOCOMPLETE, data, user, fake.help_channel)
    choices = [{"name": f"c{i}", "value": f"v{i}"} for i in range(26)]
    status, _, body = await rest(
        fake,
        "POST",
        f"/interactions/{asked.id}/{asked.token}/callback",
        {"type": 8, "data": {"choices": choices}},
        auth=False,
    )
    assert status == 400 and error_at(body, "data", "choices") == "BASE_TYPE_MAX_LENGTH"
    opened = await fake.send_interaction(
        APPLICATION_COMMAND, {"id": "1", "name": "fix", "type": 1}, user, fake.help_channel
    )
    text_input = {"type": 4, "custom_id": "paste", "style": 2, "label": "L" * 46}
    modal = {"custom_id": "m", "title": "T" * 46, "components": [{"type": 1, "components": [text_input]}]}
    status, _, body = await rest(
        fake, "POST", f"/interactions/{opened.id}/{opened.token}/callback", {"type": 9, "data": modal}, auth=False
    )
    assert (
        status == 400
        and error_at(body, "data", "title")
        and error_at(body, "data", "components", "0", "components", "0", "label")
    )


async def test_command_sync_checks_names(fake: FakeDiscord) -> None:
    path = f"/applications/{fake.application_id}/commands"
    status, _, body = await rest(fake, "PUT", path, [{"name": "Fix", "description": "d", "type": 1}])
    assert status == 400 and error_at(body, "0", "name")
    status, _, body = await rest(fake, "PUT", path, [{"name": "fix", "description": "d", "type": 1}])
    assert status == 200 and body[0]["id"] and body[0]["application_id"] == str(fake.application_id)


async def test_attachments_are_served_with_ranges(fake: FakeDiscord) -> None:
    message = await fake.post_message(
        fake.help_channel, "", fake.user("cy"), attachments=[Upload("a.txt", b"0123456789")]
    )
    url = message["attachments"][0]["url"]
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Range": "bytes=-4"}) as r:
            assert r.status == 206 and await r.read() == b"6789" and r.headers["Content-Range"] == "bytes 6-9/10"
        async with session.get(url, headers={"Range": "bytes=2-"}) as r:
            assert r.status == 206 and await r.read() == b"23456789"
        async with session.get(url) as r:
            assert r.status == 200 and await r.read() == b"0123456789"
        async with session.get(url, headers={"Range": "bytes=20-"}) as r:
            assert r.status == 416
        async with session.get(url.split("?")[0]) as r:  # unsigned: expired
            assert r.status == 404


async def test_discord_py_reads_the_fakes_answers(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py itself: logs in, gets a Discord-style error for a bad embed, and waits out a 429."""
    monkeypatch.setattr(Route, "BASE", fake.rest_base)
    http = HTTPClient(asyncio.get_running_loop())
    try:
        me = await http.static_login(fake.token)
        assert me["id"] == fake.bot_user["id"]
        mentions = discord.AllowedMentions.none()
        with (
            handle_message_parameters(embed=discord.Embed(description="x" * 4097), allowed_mentions=mentions) as params,
            pytest.raises(discord.HTTPException) as refused,
        ):
            await http.send_message(fake.help_channel, params=params)
        assert refused.value.status == 400 and refused.value.code == 50035
        assert "embeds.0.description" in refused.value.text
        fake.rate_limit_next("create_message", retry_after=0.2)
        with handle_message_parameters(content="hello", allowed_mentions=mentions) as params:
            sent = await http.send_message(fake.help_channel, params=params)
        assert sent["content"] == "hello"
        assert [c.status for c in fake.calls if c.name == "create_message"] == [400, 429, 200]
    finally:
        await http.close()
