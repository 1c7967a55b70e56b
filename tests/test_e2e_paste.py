"""End to end, paste links: the real bot process, the fake Discord, and a loopback fake paste server that
every provider's base URL points at (KNOWNFIX_PASTE_BASE_URLS). The messages link the real hosts
(pastebin.com, gist.github.com, ...); the bot reads them from the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from tests.fakediscord import BotProcess, Call, FakeDiscord
from tests.fakediscord.paste import FakePasteServer

from .conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ENTRY = "pytorch/mat1-mat2-shape-mismatch"
TRACEBACK = (REPO / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8")
GIST = "0123456789abcdef0123456789abcdef"
STARTUP_S = 120  # a cold index build on a loaded 2-core machine can take longer than the default 30 s
LIMIT = 1_000_000  # the attachment limit, which pastes share (KNOWNFIX_MAX_ATTACHMENT_BYTES's default)


@dataclass
class Env:
    fake: FakeDiscord
    bot: BotProcess
    pastes: FakePasteServer
    evil: FakePasteServer  # where a redirect off the allowlist points: it must never be asked


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp = tmp_path_factory.mktemp("e2e-paste")
    fake, pastes, evil = FakeDiscord(), FakePasteServer(), FakePasteServer()
    await fake.start()
    await pastes.start()
    await evil.start()
    environment = {
        "KNOWNFIX_DATABASE": str(tmp / "knownfix.sqlite3"),
        "KNOWNFIX_KNOWLEDGE": str(REPO / "knowledge"),
        "KNOWNFIX_WATCH_CHANNELS": str(fake.help_channel),
        "KNOWNFIX_CHANNEL_COOLDOWN": "0",
        "KNOWNFIX_USER_COOLDOWN": "0",
        "KNOWNFIX_LOG_LEVEL": "INFO",
        "KNOWNFIX_PASTE_BASE_URLS": pastes.env_value(),
    }
    bot = BotProcess(fake, environment, tmp / "bot.log")
    try:
        await bot.start(timeout=STARTUP_S)
        yield Env(fake, bot, pastes, evil)
    finally:
        await bot.stop()
        await evil.stop()
        await pastes.stop()
        await fake.stop()


@pytest.fixture(autouse=True)
def no_harm(env: Env) -> Iterator[None]:
    log_mark = env.bot.log_size()
    yield
    print(f"--- bot log during the test ---\n{env.bot.log()[log_mark:][-6000:]}")
    assert env.bot.running, f"the bot process exited:\n{env.bot.log()[-3000:]}"
    assert not env.bot.problems(log_mark), "\n".join(env.bot.problems(log_mark))
    assert not env.fake.errors, env.fake.errors


def assert_answers_with(call: Call, entry_id: str = ENTRY) -> None:
    assert call.ok, call.response
    assert call.embeds[0]["footer"]["text"].startswith(entry_id + " ·")


def reply_text(call: Call) -> str:
    return str(call.body)


async def test_a_message_that_only_links_a_paste_gets_the_answer(env: Env) -> None:
    env.pastes.put("pastebin", "/raw/AbCd1234", TRACEBACK)
    alice = env.fake.user("alice")
    message = await env.fake.post_message(env.fake.help_channel, "https://pastebin.com/AbCd1234", alice)
    call = await env.fake.wait_for_reply(message)
    assert_answers_with(call)
    assert "pastebin.com" not in reply_text(call)  # the link is not echoed
    assert [r.path for r in env.pastes.requests if r.path.startswith("/pastebin")] == ["/pastebin/raw/AbCd1234"]


async def test_a_multi_file_gist_is_read_whole(env: Env) -> None:
    files = {
        "model.py": {"content": "import torch\nmodel = torch.nn.Linear(14400, 10)\n", "truncated": False},
        "error.txt": {"content": TRACEBACK, "truncated": False},
    }
    env.pastes.put_json("gist", f"/gists/{GIST}", {"files": files})
    bob = env.fake.user("bob")
    message = await env.fake.post_message(
        env.fake.help_channel, f"it crashes: <https://gist.github.com/bob/{GIST}> @everyone", bob
    )
    call = await env.fake.wait_for_reply(message)
    assert_answers_with(call)
    assert call.body["allowed_mentions"]["parse"] == []


async def test_a_paste_that_redirects_off_the_allowlist_is_refused(env: Env) -> None:
    env.evil.put("pastebin", "/raw/AbCd9999", TRACEBACK)  # would be answered, were it ever fetched
    env.pastes.redirect("pastebin", "/raw/AbCd9999", f"{env.evil.url}/pastebin/raw/AbCd9999")
    carol = env.fake.user("carol")
    log_mark = env.bot.log_size()
    refused = await env.fake.post_message(env.fake.help_channel, "https://pastebin.com/AbCd9999", carol)
    # Messages are handled in order: once a later paste is answered, the refused one was seen.
    env.pastes.put("pastebin", "/raw/Later123", TRACEBACK)
    later = await env.fake.post_message(env.fake.help_channel, "https://pastebin.com/Later123", carol)
    await env.fake.wait_for_reply(later)
    assert env.fake.replies_to(refused) == []
    assert env.evil.requests == []
    log = env.bot.log()[log_mark:]
    assert "paste pastebin:/raw/AbCd9999: redirect off the allowlist (to 127.0.0.1)" in log
    assert "Traceback" not in log


async def test_a_huge_paste_is_capped(env: Env) -> None:
    noise = "".join(f"epoch 1 step {i}: loss=0.{i % 997:03d}\n" for i in range(300_000))  # about 9 MB
    env.pastes.put("pastebin", "/raw/Huge1234", noise + TRACEBACK)
    dave = env.fake.user("dave")
    message = await env.fake.post_message(env.fake.help_channel, "log: https://pastebin.com/Huge1234", dave)
    call = await env.fake.wait_for_reply(message)
    assert_answers_with(call)  # the error at the bottom of the log is in the tail the bot kept
    seen = env.pastes.seen("pastebin", "/raw/Huge1234")
    assert [(s.range, s.served) for s in seen] == [(f"bytes=-{LIMIT}", LIMIT)]


async def test_a_paste_the_host_does_not_have_is_logged_in_one_line(env: Env) -> None:
    erin = env.fake.user("erin")
    log_mark = env.bot.log_size()
    gone = await env.fake.post_message(env.fake.help_channel, "https://dpaste.com/GONE1234", erin)
    env.pastes.put("pastebin", "/raw/After123", TRACEBACK)
    after = await env.fake.post_message(env.fake.help_channel, "https://pastebin.com/After123", erin)
    await env.fake.wait_for_reply(after)
    assert env.fake.replies_to(gone) == []
    lines = [line for line in env.bot.log()[log_mark:].splitlines() if "dpaste-com:/GONE1234.txt" in line]
    assert len(lines) == 1 and "HTTP 404" in lines[0]
