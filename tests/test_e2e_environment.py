"""End to end: a traceback pasted with `python -m torch.utils.collect_env` output gets a reply that names the
asker's versions (the real bot process against the fake Discord, the bundled knowledge)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.fakediscord import BotProcess, FakeDiscord, Upload

from .conftest import FIXTURES
from .test_e2e_discord import TRACEBACK, Env, assert_entry_reply, bot_env, message_bodies, pasted

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

# A real collect_env paste (PyTorch 2.7.0+cu126 on Windows, a GTX 1070; its source is in the fixtures' README).
COLLECT_ENV = (FIXTURES / "environment" / "collect_env_windows_cu126.txt").read_text(encoding="utf-8")
ASKER_VERSIONS = "torch 2.7.0 + CUDA 12.6, Python 3.10.17, Microsoft Windows 10 Home, NVIDIA GeForce GTX 1070"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp = tmp_path_factory.mktemp("e2e-environment")
    fake = FakeDiscord()
    await fake.start()
    database = tmp / "knownfix.sqlite3"
    bot = BotProcess(fake, bot_env(fake, database, [fake.help_channel]), tmp / "bot.log")
    try:
        await bot.start()
        yield Env(fake, bot, database)
    finally:
        await bot.stop()
        await fake.stop()


@pytest.fixture(autouse=True)
def no_harm(env: Env) -> Iterator[None]:
    """No refused request, no logged problem, and no reply that could ping anyone."""
    fake, bot = env.fake, env.bot
    mark, log_mark = fake.mark(), bot.log_size()
    yield
    print(f"--- bot log during the test ---\n{bot.log()[log_mark:][-6000:]}")
    assert not fake.errors, fake.errors
    assert bot.running and not bot.problems(log_mark), "\n".join(bot.problems(log_mark))
    calls = fake.calls[mark:]
    assert not [c for c in calls if c.status >= 400], [(c, c.response) for c in calls if c.status >= 400]
    for body in message_bodies(calls):
        assert body.get("allowed_mentions", {}).get("parse") == [], body.get("allowed_mentions")


async def test_a_traceback_pasted_with_collect_env_gets_a_reply_naming_the_askers_versions(env: Env) -> None:
    fake = env.fake
    dana = fake.user("dana")
    message = await fake.post_message(fake.help_channel, pasted(before=f"crash on my box\n```\n{COLLECT_ENV}```"), dana)
    embed = assert_entry_reply(await fake.wait_for_reply(message))
    assert f"**Your versions:** {ASKER_VERSIONS}" in embed["description"]


async def test_collect_env_in_a_message_txt_attachment_is_read_too(env: Env) -> None:
    fake = env.fake
    erin = fake.user("erin")
    upload = Upload("message.txt", f"{COLLECT_ENV}\n{TRACEBACK}".encode())
    message = await fake.post_message(fake.help_channel, "", erin, attachments=[upload])
    embed = assert_entry_reply(await fake.wait_for_reply(message))
    assert f"**Your versions:** {ASKER_VERSIONS}" in embed["description"]


async def test_a_traceback_alone_gets_no_versions_line(env: Env) -> None:
    fake = env.fake
    frank = fake.user("frank")
    message = await fake.post_message(fake.help_channel, pasted(), frank)
    embed = assert_entry_reply(await fake.wait_for_reply(message))
    assert "Your versions" not in embed["description"]
