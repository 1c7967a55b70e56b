"""End to end: per-server settings with `/config` (issue 11, item 2). A manager shows, sets and resets them;
a member is refused in one private line; each setting changes what the real bot does at once, without a
restart, and survives one.

"No reply" is shown by ordering, as in test_e2e_asker: the bot handles a channel's messages in order, so once
a later message has its reply, an earlier one without a reply got none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.chat.cogs.config import NOT_MANAGER
from bot.chat.cogs.curation import GAPS_HEADER, NOT_CURATOR
from bot.engine import Engine
from bot.gaps import FINGERPRINT_SCHEME
from bot.store import Store
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.payloads import MANAGE_GUILD
from tests.fakediscord.world import AUTOCOMPLETE

from .test_config import between_levels
from .test_e2e_discord import DEVICE_TRACEBACK, ENTRY, bot_env, pasted, wait_stored
from .test_e2e_gaps import UNCOVERED, private_answer, stored_gaps

pytestmark = [pytest.mark.e2e]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


async def started(fake: FakeDiscord, tmp_path: Path, **extra: str) -> BotProcess:
    """The bot with the e2e defaults (no cooldowns, no helper roles, the score rules), watching the help
    channel and the forum."""
    settings = bot_env(
        fake,
        tmp_path / "knownfix.sqlite3",
        [fake.help_channel, fake.forum_channel],
        KNOWNFIX_DEV_GUILD=str(fake.guild_id),
        **extra,
    )
    bot = BotProcess(fake, settings, tmp_path / "bot.log")
    await bot.start()
    return bot


async def stopped_cleanly(bot: BotProcess, fake: FakeDiscord) -> None:
    assert await bot.stop() == 0
    assert not bot.problems(), "\n".join(bot.problems())
    assert not fake.errors, fake.errors
    refused = [c for c in fake.calls if c.status >= 400]
    assert not refused, [(c, c.response) for c in refused]


def subcommand(name: str, **values: str) -> list[dict[str, Any]]:
    return [{"name": name, "type": 1, "options": [{"name": k, "type": 3, "value": v} for k, v in values.items()]}]


async def config(fake: FakeDiscord, user: dict[str, Any], name: str, **values: str) -> str:
    """Use `/config <name>` as `user`; the private answer's text."""
    used = await fake.slash_command("config", user, fake.general_channel, subcommand(name, **values))
    return await private_answer(fake, used)


async def answered(fake: FakeDiscord, text: str, author: dict[str, Any]) -> dict[str, Any]:
    """Post `text` in the help channel and wait for the bot's reply to it; the message posted."""
    message = await fake.post_message(fake.help_channel, text, author)
    assert (await fake.wait_for_reply(message)).ok
    return message


async def test_a_manager_sees_the_settings_and_their_sources_and_a_member_is_refused(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    bot = await started(fake, tmp_path)
    try:
        manager, member = fake.user("mod", moderator=True), fake.user("member")
        registered = fake.command("config")
        assert int(registered["default_member_permissions"]) == MANAGE_GUILD and registered["dm_permission"] is False
        shown = await config(fake, manager, "show")
        assert "**helper_roles**: none (default)" in shown and "**reply_in**: inline (default)" in shown
        assert "**passive_level**: normal (default), decided by the hand-set score rules" in shown
        assert f"<#{fake.help_channel}> answer (default)" in shown

        assert await config(fake, member, "show") == NOT_MANAGER
        assert await config(fake, member, "set", setting="reply_in", value="thread") == NOT_MANAGER
        assert "(default)" in (await config(fake, manager, "show")).split("reply_in")[1].split("\n")[0]

        said = await config(fake, manager, "set", setting="user_cooldown", value="soon")
        assert said.startswith("Not changed: user_cooldown:") and "\n" not in said
        assert await config(fake, manager, "set", setting="user_cooldown", value="45") == (
            "**user_cooldown** is now 45 s in this server."
        )
        assert "**user_cooldown**: 45 s (server)" in await config(fake, manager, "show")
        assert await config(fake, manager, "reset", setting="user_cooldown") == (
            "**user_cooldown** is back to the default, 0 s."
        )

        command = fake.command("config")
        focused = [
            {"name": "setting", "type": 3, "value": "reply_in"},
            {"name": "value", "type": 3, "value": "", "focused": True},
        ]
        data = {
            "id": command["id"],
            "name": "config",
            "type": 1,
            "options": [{"name": "set", "type": 1, "options": focused}],
        }
        suggested = await fake.wait_for_callback(
            await fake.send_interaction(AUTOCOMPLETE, data, manager, fake.general_channel)
        )
        assert [c["value"] for c in suggested.body["data"]["choices"]] == ["inline", "thread"]
    finally:
        await stopped_cleanly(bot, fake)


async def test_helper_and_curator_roles_set_with_config_apply_at_once(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await started(fake, tmp_path)
    try:
        manager, helper, asker = fake.user("mod", moderator=True), fake.user("helper", helper=True), fake.user("asker")
        await answered(fake, pasted(), helper)  # no helper roles yet: answered like anyone
        said = await config(fake, manager, "set", setting="helper_roles", value=f"<@&{fake.helper_role_id}>")
        assert said == f"**helper_roles** is now <@&{fake.helper_role_id}> in this server."
        quiet = await fake.post_message(fake.help_channel, pasted(), helper)
        await answered(fake, pasted(), asker)
        assert fake.replies_to(quiet) == []
        pings = [m.pings for m in fake.messages.values() if m.ephemeral]
        assert not any(p.get("roles") for p in pings)  # the role was shown, never pinged

        gaps = [{"name": "gaps", "type": 1, "options": []}]
        used = await fake.slash_command("kb", helper, fake.general_channel, gaps)
        assert await private_answer(fake, used) == NOT_CURATOR
        await config(fake, manager, "set", setting="curator_roles", value=str(fake.helper_role_id))
        used = await fake.slash_command("kb", helper, fake.general_channel, gaps)
        assert (await private_answer(fake, used)).startswith(GAPS_HEADER)
    finally:
        await stopped_cleanly(bot, fake)


async def test_the_passive_level_decides_what_is_answered_unprompted(
    fake: FakeDiscord, tmp_path: Path, bundled_engine: Engine
) -> None:
    unsure_line = between_levels(bundled_engine)
    bot = await started(fake, tmp_path)
    try:
        manager, ann, bob = fake.user("mod", moderator=True), fake.user("ann"), fake.user("bob")
        await config(fake, manager, "set", setting="passive_level", value="strict")
        unsure = await fake.post_message(fake.help_channel, unsure_line, ann)
        await answered(fake, pasted(DEVICE_TRACEBACK), bob)  # a full traceback clears even the strict level
        assert fake.replies_to(unsure) == []
        await config(fake, manager, "set", setting="passive_level", value="normal")
        await answered(fake, unsure_line, ann)
    finally:
        await stopped_cleanly(bot, fake)


async def test_a_cooldown_set_with_config_applies_at_once_and_reset_lifts_it(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await started(fake, tmp_path)
    try:
        manager, ann, bob = fake.user("mod", moderator=True), fake.user("ann"), fake.user("bob")
        await config(fake, manager, "set", setting="user_cooldown", value="600")
        await answered(fake, pasted(), ann)
        too_soon = await fake.post_message(fake.help_channel, pasted(DEVICE_TRACEBACK), ann)
        await answered(fake, pasted(), bob)
        assert fake.replies_to(too_soon) == []
        await config(fake, manager, "reset", setting="user_cooldown")
        await answered(fake, pasted(DEVICE_TRACEBACK), ann)
    finally:
        await stopped_cleanly(bot, fake)


async def test_gap_recording_turned_off_for_the_server_records_nothing(fake: FakeDiscord, tmp_path: Path) -> None:
    database = tmp_path / "knownfix.sqlite3"
    bot = await started(fake, tmp_path)
    try:
        manager, ann = fake.user("mod", moderator=True), fake.user("ann")
        await config(fake, manager, "set", setting="record_gaps", value="false")
        await fake.post_message(fake.help_channel, UNCOVERED.format(user="ann", line=3, widget=1, n=2), ann)
        await answered(fake, pasted(), ann)
        async with Store(database) as store:
            assert await store.top_gaps(FINGERPRINT_SCHEME, 10) == []
        await config(fake, manager, "reset", setting="record_gaps")
        await fake.post_message(fake.help_channel, UNCOVERED.format(user="ann", line=4, widget=2, n=5), ann)
        assert (await stored_gaps(database, 1))[0].count == 1
    finally:
        await stopped_cleanly(bot, fake)


async def test_reply_in_thread_answers_in_a_thread_on_the_message(fake: FakeDiscord, tmp_path: Path) -> None:
    database = tmp_path / "knownfix.sqlite3"
    bot = await started(fake, tmp_path)
    try:
        manager, asker = fake.user("mod", moderator=True), fake.user("asker")
        await config(fake, manager, "set", setting="reply_in", value="thread")
        source = await fake.post_message(fake.help_channel, pasted(), asker)
        opened = await fake.wait_for(
            lambda c: c.name == "start_thread_from_message" and c.params["message_id"] == source["id"],
            what="a thread on the message",
        )
        assert opened.status == 201 and "mat1 and mat2 shapes cannot be multiplied" in opened.body["name"]
        posted = await fake.wait_for(
            lambda c: c.name == "create_message" and c.params["channel_id"] == source["id"], what="the answer"
        )
        reply = posted.message
        assert reply is not None and posted.embeds[0]["footer"]["text"].startswith(ENTRY)
        stored = await wait_stored(database, int(reply["id"]), ENTRY)
        assert stored.channel_id == int(source["id"]) and stored.source_message_id == int(source["id"])
        assert fake.replies_to(source) == []  # nothing inline

        # The reply follows the message into its thread: editing the error away removes it there.
        mark = fake.mark()
        await fake.edit_message(source, "never mind, it was a typo")
        deleted = await fake.wait_for(lambda c: c.name == "delete_message", since=mark, what="the reply deleted")
        assert deleted.params == {"channel_id": source["id"], "message_id": reply["id"]}

        # In a forum post (already a thread) the answer stays inline.
        thread, _ = await fake.create_forum_post(fake.forum_channel, "crash", "see below", asker)
        in_post = await fake.post_message(int(thread["id"]), pasted(), asker)
        assert (await fake.wait_for_reply(in_post)).ok
    finally:
        await stopped_cleanly(bot, fake)


async def test_server_settings_survive_a_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    bot = await started(fake, tmp_path)
    manager, helper, asker = fake.user("mod", moderator=True), fake.user("helper", helper=True), fake.user("asker")
    try:
        await config(fake, manager, "set", setting="helper_roles", value=str(fake.helper_role_id))
        await config(fake, manager, "set", setting="reply_in", value="thread")
    finally:
        await stopped_cleanly(bot, fake)
    bot = await started(fake, tmp_path)
    try:
        shown = await config(fake, manager, "show")
        assert f"**helper_roles**: <@&{fake.helper_role_id}> (server)" in shown
        assert "**reply_in**: thread (server)" in shown
        quiet = await fake.post_message(fake.help_channel, pasted(), helper)
        source = await fake.post_message(fake.help_channel, pasted(), asker)
        await fake.wait_for(
            lambda c: c.name == "create_message" and c.params["channel_id"] == source["id"], what="the answer"
        )
        assert fake.replies_to(quiet) == [] and str(quiet["id"]) not in {
            c.params["channel_id"] for c in fake.calls if c.name == "create_message"
        }
    finally:
        await stopped_cleanly(bot, fake)
