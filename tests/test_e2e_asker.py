"""End to end: passive mode answers the asker, not the helpers, and each watched channel has a mode
(issue 11, item 1): `answer` in full, `suggest` in one line with a "Show fix" button, or `off`.

"No reply" is shown by ordering: the fake delivers events in order and the bot handles one message's
events before a later message's reply can be observed, so once a later message in the same place has its
reply, an earlier one without a reply got none.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.server import buttons_of

from .test_e2e_discord import ENTRY, bot_env, pasted, wait_stored

pytestmark = [pytest.mark.e2e]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


async def started(fake: FakeDiscord, tmp_path: Path, **extra: str) -> BotProcess:
    settings = bot_env(
        fake,
        tmp_path / "knownfix.sqlite3",
        [fake.help_channel, fake.forum_channel],
        KNOWNFIX_HELPER_ROLES=str(fake.helper_role_id),
        KNOWNFIX_DEV_GUILD=str(fake.guild_id),
        **extra,
    )
    bot = BotProcess(fake, settings, tmp_path / "bot.log")
    await bot.start()
    return bot


async def stopped_cleanly(bot: BotProcess) -> None:
    assert await bot.stop() == 0
    assert not bot.problems(), "\n".join(bot.problems())


def labels(message: dict[str, Any]) -> list[str]:
    return [b["label"] for b in buttons_of(message.get("components") or [])]


async def test_helpers_and_replies_explaining_someone_elses_error_get_no_answer(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await started(fake, tmp_path)
    try:
        asker, helper, bystander = fake.user("asker"), fake.user("helper", helper=True), fake.user("bystander")
        question = await fake.post_message(fake.help_channel, "my training crashes, help?", asker)
        by_helper = await fake.post_message(fake.help_channel, pasted(), helper)
        explaining = await fake.post_message(
            fake.help_channel, pasted(before="you get this because of the shapes:"), bystander, reply_to=question
        )
        own_follow_up = await fake.post_message(fake.help_channel, pasted(), asker, reply_to=question)
        assert (await fake.wait_for_reply(own_follow_up)).ok  # replying to one's own question is still asking
        assert fake.replies_to(by_helper) == [] and fake.replies_to(explaining) == []
    finally:
        await stopped_cleanly(bot)


async def test_in_a_forum_post_only_its_starter_is_answered(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await started(fake, tmp_path)
    try:
        owner, other = fake.user("owner-of-post"), fake.user("other")
        thread, _ = await fake.create_forum_post(fake.forum_channel, "training crash", "it crashes, see below", owner)
        quoted = await fake.post_message(int(thread["id"]), pasted(before="I had the same:"), other)
        starter_paste = await fake.post_message(int(thread["id"]), pasted(), owner)
        assert (await fake.wait_for_reply(starter_paste)).ok
        assert fake.replies_to(quoted) == []
    finally:
        await stopped_cleanly(bot)


async def test_suggest_mode_offers_one_line_and_show_fix_expands_it_in_place(fake: FakeDiscord, tmp_path: Path) -> None:
    database = tmp_path / "knownfix.sqlite3"
    bot = await started(fake, tmp_path, KNOWNFIX_WATCH_MODE="suggest")
    try:
        asker, helper = fake.user("asker"), fake.user("a-helper", helper=True)
        source = await fake.post_message(fake.help_channel, pasted(), asker)
        reply = (await fake.wait_for_reply(source)).message
        assert reply is not None
        assert reply["content"].startswith("This looks like **") and not reply["embeds"]
        assert labels(reply) == ["Show fix"]
        assert (await wait_stored(database, int(reply["id"]), ENTRY)).shown_workarounds == ()

        pressed = await fake.press_button(reply, buttons_of(reply["components"])[0]["custom_id"], helper)
        expanded = await fake.wait_for_callback(pressed)
        assert expanded.ok and expanded.body["type"] == 7  # the suggestion itself becomes the answer
        now = fake.messages[int(reply["id"])].payload
        assert now["embeds"] and now["embeds"][0]["footer"]["text"].startswith(ENTRY)
        assert labels(now)[0] == "Fixed it: 1" and labels(now)[-2:] == ["None worked", "Wrong match"]
        async with asyncio.timeout(15):  # the expanded answer is recorded just after Discord took the edit
            while not (await wait_stored(database, int(reply["id"]), ENTRY)).shown_workarounds:
                await asyncio.sleep(0.05)
    finally:
        await stopped_cleanly(bot)


async def test_off_mode_set_with_watch_silences_a_channel_the_settings_watch(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await started(fake, tmp_path)
    try:
        moderator, member = fake.user("mod", moderator=True), fake.user("member")
        channel = fake.channels[fake.help_channel]
        options = [
            {"name": "channel", "type": 7, "value": channel["id"]},
            {"name": "mode", "type": 3, "value": "off"},
        ]
        resolved = {
            "channels": {
                channel["id"]: {**{k: channel[k] for k in ("id", "name", "type", "parent_id")}, "permissions": "0"}
            }
        }
        used = await fake.slash_command("watch", moderator, fake.general_channel, options, resolved)
        said = (await fake.wait_for_callback(used)).body["data"]["content"]
        assert "(off)" in said
        silenced = await fake.post_message(fake.help_channel, pasted(), member)
        thread, _ = await fake.create_forum_post(fake.forum_channel, "crash", "see below", member)
        still_answered = await fake.post_message(int(thread["id"]), pasted(), member)
        assert (await fake.wait_for_reply(still_answered)).ok
        assert fake.replies_to(silenced) == []
        async with Store(tmp_path / "knownfix.sqlite3") as store:
            assert (await store.watched_channels())[fake.help_channel] == "off"  # kept across restarts
    finally:
        await stopped_cleanly(bot)


async def test_the_reply_shows_the_askers_own_error_and_names(fake: FakeDiscord, tmp_path: Path) -> None:
    """Issue 11, item 6: the asker's line heads the embed, the entry's title under it, their module in the code."""
    bot = await started(fake, tmp_path)
    try:
        asker = fake.user("asker")
        shapes = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x61504 and 14400x10)"
        reply = (await fake.wait_for_reply(await fake.post_message(fake.help_channel, pasted(shapes), asker))).message
        assert reply is not None
        embed = reply["embeds"][0]
        assert "(4x61504 and 14400x10)" in embed["title"] and "**Known error:**" in embed["description"]
        module = 'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\n' + (
            "ModuleNotFoundError: No module named 'torchvision'"
        )
        asked = f"<@{fake.bot_user['id']}> {pasted(module)}"  # asked: a bare import error is not answered unprompted
        other = (await fake.wait_for_reply(await fake.post_message(fake.unwatched_channel, asked, asker))).message
        assert other is not None
        values = "\n".join(f["value"] for f in other["embeds"][0]["fields"])
        assert "pip install torchvision" in values and "{{" not in values
    finally:
        await stopped_cleanly(bot)
