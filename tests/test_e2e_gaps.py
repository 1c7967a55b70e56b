"""End to end, the gaps loop: the real bot counts errors it cannot answer, `/kb gaps` lists them for
curators, "Save as fix" turns a helper's answer in a help thread into a draft, and `knownfix kb drafts`
promotes the rewritten draft into the knowledge base."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml

from bot.chat.cogs.curation import IS_QUESTION, NOT_CURATOR, NOT_IN_THREAD
from bot.gaps import FINGERPRINT_SCHEME, Gap
from bot.store import Store
from tests.fakediscord import BotProcess, Call, FakeDiscord, Interaction

from .conftest import FIXTURES, REPO

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

COVERED = (REPO / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8")
UNCOVERED = """my run dies, any idea?
```
Traceback (most recent call last):
  File "/home/{user}/proj/run.py", line {line}, in <module>
    client.connect()
flibbertigibbet.errors.WidgetJammedError: widget {widget} jammed at /var/lib/{user}/w.sock after {n} retries
```"""
HELPER_ANSWER = (
    "The widget daemon leaves its socket behind when it crashes; delete it and start again:\n"
    "```bash\nrm /var/lib/widgets/*.sock\n```"
)
LINE = "flibbertigibbet errors widgetjammederror widget _num_ jammed at _path_ after _num_ retries"


@dataclass
class Env:
    fake: FakeDiscord
    bot: BotProcess
    database: Path
    drafts: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp = tmp_path_factory.mktemp("e2e-gaps")
    fake = FakeDiscord()
    await fake.start()
    database, drafts = tmp / "knownfix.sqlite3", tmp / "drafts"
    environment = {
        "KNOWNFIX_DATABASE": str(database),
        "KNOWNFIX_KNOWLEDGE": str(REPO / "knowledge"),
        "KNOWNFIX_WATCH_CHANNELS": f"{fake.help_channel},{fake.forum_channel}",
        "KNOWNFIX_CHANNEL_COOLDOWN": "0",
        "KNOWNFIX_USER_COOLDOWN": "0",
        "KNOWNFIX_DRAFTS_DIR": str(drafts),
        "KNOWNFIX_LOG_LEVEL": "INFO",
    }
    bot = BotProcess(fake, environment, tmp / "bot.log")
    try:
        await bot.start()
        yield Env(fake, bot, database, drafts)
    finally:
        await bot.stop()
        await fake.stop()


@pytest.fixture(autouse=True)
def no_harm(env: Env) -> Iterator[None]:
    mark, log_mark = env.fake.mark(), env.bot.log_size()
    yield
    print(f"--- bot log during the test ---\n{env.bot.log()[log_mark:][-6000:]}")
    assert not env.fake.errors, env.fake.errors
    assert not env.bot.problems(log_mark), "\n".join(env.bot.problems(log_mark))
    refused = [c for c in env.fake.calls[mark:] if c.status >= 400]
    assert not refused, [(c, c.response) for c in refused]


async def stored_gaps(database: Path, count: int, timeout: float = 15.0) -> list[Gap]:
    """The gaps table once its top row has reached `count` sightings."""
    async with asyncio.timeout(timeout):
        while True:
            async with Store(database) as store:
                gaps = await store.top_gaps(FINGERPRINT_SCHEME, 10)
            if gaps and gaps[0].count >= count:
                return gaps
            await asyncio.sleep(0.1)


async def private_answer(fake: FakeDiscord, used: Interaction) -> str:
    """The text of the private answer to an interaction, whether sent at once or after deferring."""
    first = await fake.wait_for_callback(used)
    assert first.ok, first.response
    data = first.body.get("data") or {}
    assert data.get("flags", 0) & 64, first.body  # ephemeral
    if first.body["type"] == 4:
        return str(data["content"])
    done: Call = await fake.wait_for(
        lambda c: c.name == "execute_webhook" and c.params["token"] == used.token, 20, what="the follow-up"
    )
    assert done.ok and done.body.get("flags", 0) & 64, done.body
    return str(done.body["content"])


async def test_unanswered_errors_are_counted_and_kb_gaps_lists_them_for_curators(env: Env) -> None:
    fake = env.fake
    ann, bob = fake.user("ann"), fake.user("bob")
    await fake.post_message(fake.help_channel, UNCOVERED.format(user="ann", line=12, widget=4411, n=3), ann)
    await fake.post_message(fake.help_channel, UNCOVERED.format(user="bob", line=80, widget=7, n=12), bob)
    answered = await fake.post_message(fake.help_channel, f"```\n{COVERED}\n```", bob)
    await fake.wait_for_reply(answered)  # messages are matched in order: the two before it were seen
    gaps = await stored_gaps(env.database, 2)
    assert [(g.line, g.count, g.exception) for g in gaps] == [
        (LINE, 2, "flibbertigibbet.errors.WidgetJammedError")
    ]  # one fingerprint for both; the answered traceback is no gap

    moderator = fake.user("mo", moderator=True)
    listed = await private_answer(fake, await fake.slash_command("kb", moderator, fake.general_channel, GAPS))
    assert f"2 × {LINE}" in listed
    refused = await private_answer(fake, await fake.slash_command("kb", fake.user("zoe"), fake.general_channel, GAPS))
    assert refused == NOT_CURATOR


GAPS = [{"name": "gaps", "type": 1, "options": []}]


async def test_save_as_fix_drafts_the_helpers_answer_and_kb_drafts_promotes_it(env: Env, tmp_path: Path) -> None:
    fake = env.fake
    asker, helper, moderator = fake.user("asker"), fake.user("helper"), fake.user("mod", moderator=True)
    question = UNCOVERED.format(user="asker", line=5, widget=12, n=1)
    thread, _ = await fake.create_forum_post(fake.forum_channel, "widget jammed", question, asker)
    thread_id = int(thread["id"])
    await fake.post_message(thread_id, "which version of flibbertigibbet?", helper)
    answer = await fake.post_message(thread_id, HELPER_ANSWER, helper)

    said = await private_answer(fake, await fake.message_command("Save as fix", answer, moderator, thread_id))
    assert said.startswith("Saved draft `") and "own words" in said, said
    draft_id = said.split("`")[1]
    path = env.drafts / f"{draft_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["title"].startswith("flibbertigibbet.errors.WidgetJammedError: widget 12 jammed")
    assert data["workarounds"][0]["code"].strip() == "rm /var/lib/widgets/*.sock"
    assert data["verification"] == "ai_generated" and answer["id"] in data["source_note"]

    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "kb", knowledge)
    drafts = ["--knowledge", str(knowledge), "kb", "drafts", "--drafts", str(env.drafts)]
    listed = knownfix(*drafts)
    assert listed.returncode == 1 and f"{draft_id}: flibbertigibbet" in listed.stdout
    assert "root_cause: still the words copied from the thread" in listed.stdout
    curate(path)
    promoted = knownfix(*drafts, "--promote", draft_id)
    assert promoted.returncode == 0, promoted.stderr
    assert (knowledge / f"{draft_id}.yaml").is_file() and not path.exists()
    assert draft_id not in knownfix("--knowledge", str(knowledge), "kb", "lint").stdout


async def test_save_as_fix_refusals_are_private_lines(env: Env) -> None:
    fake = env.fake
    asker, moderator = fake.user("asker2"), fake.user("mod2", moderator=True)
    question = UNCOVERED.format(user="asker2", line=5, widget=12, n=1)
    thread, starter = await fake.create_forum_post(fake.forum_channel, "widget", question, asker)
    reply = await fake.post_message(int(thread["id"]), "delete the socket file", fake.user("helper2"))
    on_question = await fake.message_command("Save as fix", starter, moderator, int(thread["id"]))
    assert await private_answer(fake, on_question) == IS_QUESTION
    by_anyone = await fake.message_command("Save as fix", reply, asker, int(thread["id"]))
    assert await private_answer(fake, by_anyone) == NOT_CURATOR
    in_channel = await fake.post_message(fake.unwatched_channel, "just delete it", fake.user("helper3"))
    outside = await fake.message_command("Save as fix", in_channel, moderator, fake.unwatched_channel)
    assert await private_answer(fake, outside) == NOT_IN_THREAD


def knownfix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )


def curate(path: Path) -> None:
    """The curator's review: the helper's sentences rewritten in our own words (the draft header stays)."""
    text = path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data: dict[str, Any] = yaml.safe_load(text)
    data["root_cause"] = "A crashed widget daemon leaves its socket file, and a new daemon will not reuse it."
    data["workarounds"][0]["title"] = "Remove the stale socket file"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
