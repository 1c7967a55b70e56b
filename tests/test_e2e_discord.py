"""End to end: the real bot process (`knownfix run`) against the fake Discord in tests/fakediscord/.

One bot process serves most tests (module scope, its own temporary database, the bundled knowledge);
the /watch test starts its own fake and restarts its bot. After every test on the shared bot, the
`no_harm` fixture checks that the bot logged no unhandled error, that Discord refused nothing it sent,
and that nothing it sent would have pinged anyone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml

from bot.chat.candidates import NOT_SURE_HEADER, OPEN_PREFIX
from bot.chat.cogs.asking import MESSAGE_GONE, NO_MATCH
from bot.chat.embed import LOOKED_UP
from bot.engine import Engine
from bot.feedback.rates import Tally
from bot.feedback.votes import NONE_FIXED_EMOJI, NUMBER_EMOJI
from bot.knowledge.model import Entry
from bot.knowledge.validate import entry_from_mapping
from bot.reply import rank_workarounds
from bot.store import Store, StoredReply
from tests.fakediscord import BotProcess, Call, FakeDiscord, Upload
from tests.fakediscord.server import buttons_of

from .conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ENTRY = "pytorch/mat1-mat2-shape-mismatch"
TRACEBACK = (REPO / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8")
DEVICE_TRACEBACK = """Traceback (most recent call last):
  File "/home/sam/project/train.py", line 41, in <module>
    logits = model(batch)
RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu! \
(when checking argument for argument mat1 in method wrapper_CUDA_addmm)
"""
PROMPTS = [*NUMBER_EMOJI[:3], NONE_FIXED_EMOJI]  # KNOWNFIX_REACTION_PROMPTS=3
CHAT = [
    "does anyone know a good course on transformers?",
    "thanks, that fixed it!",
    "I'm training on a 3090, is 24 GB enough for a 7B model with LoRA?",
    "good morning everyone",
]


def load_entry(entry_id: str) -> Entry:
    path = REPO / "knowledge" / f"{entry_id}.yaml"
    entry, problems = entry_from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    assert entry is not None, problems
    return entry


def overflowing_entry() -> str | None:
    """An entry whose reply does not fit one embed (the bot then attaches it as Markdown)."""
    from bot.chat.answer import render_answer
    from bot.knowledge.loader import load_knowledge
    from bot.reply import entry_reply

    for entry in load_knowledge([REPO / "knowledge"]).entries:
        if render_answer(entry_reply(entry)).rendered.overflow:  # what /entry shows
            return entry.id
    return None


def bot_env(fake: FakeDiscord, database: Path, watch: list[int], **extra: str) -> dict[str, str]:
    return {
        "KNOWNFIX_DATABASE": str(database),
        "KNOWNFIX_KNOWLEDGE": str(REPO / "knowledge"),
        "KNOWNFIX_WATCH_CHANNELS": ",".join(str(c) for c in watch),
        "KNOWNFIX_CHANNEL_COOLDOWN": "0",
        "KNOWNFIX_USER_COOLDOWN": "0",
        "KNOWNFIX_REACTION_PROMPTS": "3",
        "KNOWNFIX_OWNER_IDS": fake.owner["id"],
        "KNOWNFIX_LOG_LEVEL": "INFO",
        **extra,
    }


@dataclass
class Env:
    fake: FakeDiscord
    bot: BotProcess
    database: Path
    allowed_statuses: set[int] = field(default_factory=set)  # error answers a test provokes on purpose


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp = tmp_path_factory.mktemp("e2e")
    fake = FakeDiscord()
    await fake.start()
    database = tmp / "knownfix.sqlite3"
    bot = BotProcess(fake, bot_env(fake, database, [fake.help_channel, fake.forum_channel]), tmp / "bot.log")
    try:
        await bot.start()
        yield Env(fake, bot, database)
    finally:
        await bot.stop()
        await fake.stop()


def message_bodies(calls: list[Call]) -> list[dict[str, Any]]:
    """The message payloads of every request that posts or edits a message."""
    bodies: list[dict[str, Any]] = []
    for call in calls:
        body = call.body if isinstance(call.body, dict) else None
        if body is None:
            continue
        if call.name == "interaction_callback":
            if body.get("type") in (4, 7):
                bodies.append(body.get("data") or {})
        elif call.name in ("create_message", "edit_message", "execute_webhook", "edit_webhook_message"):
            bodies.append(body)
    return bodies


@pytest.fixture(autouse=True)
def no_harm(env: Env) -> Iterator[None]:
    fake, bot = env.fake, env.bot
    env.allowed_statuses = set()
    mark, log_mark, known = fake.mark(), bot.log_size(), set(fake.messages)
    yield
    print(f"--- bot log during the test ---\n{bot.log()[log_mark:][-6000:]}")  # pytest shows it on failure
    calls = fake.calls[mark:]
    assert not fake.errors, fake.errors
    assert bot.running, f"the bot process exited:\n{bot.log()[-3000:]}"
    assert not bot.problems(log_mark), "\n".join(bot.problems(log_mark))
    refused = [c for c in calls if c.status >= 400 and c.status not in env.allowed_statuses]
    assert not refused, [(c, c.response) for c in refused]
    for body in message_bodies(calls):
        assert body.get("allowed_mentions", {}).get("parse") == [], body.get("allowed_mentions")
        assert not body["allowed_mentions"].get("users") and not body["allowed_mentions"].get("roles")
        assert not body["allowed_mentions"].get("replied_user")
    for message_id, stored in fake.messages.items():
        if message_id not in known and stored.payload["author"]["id"] == fake.bot_user["id"]:
            assert stored.pings == {}, f"bot message {message_id} would ping {stored.pings}"


def pasted(text: str = TRACEBACK, before: str = "my model crashes, any idea?") -> str:
    return f"{before}\n```\n{text.strip()}\n```"


def field_names(call: Call) -> list[str]:
    return [f["name"] for f in call.embeds[0]["fields"]]


def assert_entry_reply(call: Call, entry_id: str = ENTRY) -> dict[str, Any]:
    assert call.ok, call.response
    assert len(call.embeds) == 1
    embed = call.embeds[0]
    assert embed["footer"]["text"].startswith(entry_id + " ·")
    assert "mat1 and mat2 shapes cannot be multiplied" in embed["title"]
    assert "Root cause" in embed["description"]
    workarounds = [n for n in field_names(call) if n[:1] in "12345"]
    assert workarounds and workarounds[0].startswith(NUMBER_EMOJI[0]) and "fixes " in workarounds[0]
    assert any(n.startswith("🚫 Dead ends") for n in field_names(call))
    return embed


async def wait_prompts(fake: FakeDiscord, message_id: str, count: int = len(PROMPTS)) -> list[str]:
    await fake.wait_until(
        lambda: len(fake.messages[int(message_id)].reactions) >= count, 10, what=f"{count} vote prompts"
    )
    return list(fake.messages[int(message_id)].reactions)


async def prompted_reply(fake: FakeDiscord, source: Mapping[str, Any]) -> dict[str, Any]:
    """The bot's reply to `source`, once its vote prompts are in place."""
    reply = (await fake.wait_for_reply(source)).message
    assert reply is not None
    await wait_prompts(fake, reply["id"])
    return reply


async def stored_feedback(database: Path, entry_id: str) -> dict[str, Tally]:
    async with Store(database) as store:
        return (await store.feedback(entry_id)).tallies


async def wait_stored(database: Path, message_id: int, entry_id: str, timeout: float = 10.0) -> StoredReply:
    """The bot records a reply after Discord accepted it: wait until the store shows `entry_id` for it."""
    async with asyncio.timeout(timeout):
        while True:
            async with Store(database) as store:
                stored = await store.reply(message_id)
            if stored is not None and stored.entry_id == entry_id:
                return stored
            await asyncio.sleep(0.05)


async def wait_votes(
    database: Path, entry_id: str, workaround_id: str, fixed: int, timeout: float = 10.0
) -> dict[str, Tally]:
    async with asyncio.timeout(timeout):
        while True:
            tallies = await stored_feedback(database, entry_id)
            if tallies.get(workaround_id, Tally()).fixed == fixed:
                return tallies
            await asyncio.sleep(0.05)


# -- passive mode --------------------------------------------------------------------------------------------


async def test_traceback_in_a_watched_channel_gets_the_entry_as_an_embed_reply(env: Env) -> None:
    fake = env.fake
    alice = fake.user("alice")
    message = await fake.post_message(fake.help_channel, pasted(), alice)
    call = await fake.wait_for_reply(message)
    assert_entry_reply(call)
    body = call.body
    assert str(body["message_reference"]["message_id"]) == message["id"]
    assert call.path.endswith(f"/channels/{fake.help_channel}/messages")
    reply = call.message
    assert reply is not None and reply["type"] == 19 and reply["referenced_message"]["id"] == message["id"]
    assert await wait_prompts(fake, reply["id"]) == PROMPTS
    stored = await wait_stored(env.database, int(reply["id"]), ENTRY)
    assert stored.asker_id == int(alice["id"]) and stored.source_message_id == int(message["id"])


async def test_forum_post_gets_a_reply_in_its_thread(env: Env) -> None:
    fake = env.fake
    bob = fake.user("bob")
    thread, starter = await fake.create_forum_post(fake.forum_channel, "Linear layer shape error", pasted(), bob)
    call = await fake.wait_for_reply(starter)
    assert_entry_reply(call)
    assert call.params["channel_id"] == thread["id"]
    assert call.message is not None and call.message["channel_id"] == thread["id"]


async def test_message_txt_attachment_is_read(env: Env) -> None:
    fake = env.fake
    carol = fake.user("carol")
    upload = Upload("message.txt", TRACEBACK.encode())
    message = await fake.post_message(fake.help_channel, "", carol, attachments=[upload])
    call = await fake.wait_for_reply(message)
    assert_entry_reply(call)
    fetched = [r for r in fake.attachment_requests if r["key"].endswith("/message.txt")]
    assert fetched and fetched[-1]["range"] == "bytes=-1000000" and fetched[-1]["status"] == 206


async def test_chat_gets_no_reply(env: Env) -> None:
    fake = env.fake
    dave = fake.user("dave")
    chats = [await fake.post_message(fake.help_channel, text, dave) for text in CHAT]
    # Messages are matched one at a time in order: once the traceback after them is answered, they were seen.
    last = await fake.post_message(fake.help_channel, pasted(), dave)
    await fake.wait_for_reply(last)
    assert [fake.replies_to(chat) for chat in chats] == [[] for _ in chats]


async def test_unwatched_channel_gets_no_reply(env: Env) -> None:
    fake = env.fake
    erin = fake.user("erin")
    ignored = await fake.post_message(fake.unwatched_channel, pasted(), erin)
    last = await fake.post_message(fake.help_channel, pasted(), erin)
    await fake.wait_for_reply(last)
    assert fake.replies_to(ignored) == []


async def test_votes_move_the_fix_rate_and_the_ranking_and_can_be_retracted(env: Env) -> None:
    fake = env.fake
    entry = load_entry(ENTRY)
    asker = fake.user("frank")
    first = await fake.wait_for_reply(await fake.post_message(fake.help_channel, pasted(), asker))
    reply = first.message
    assert reply is not None
    await wait_prompts(fake, reply["id"])
    before = await stored_feedback(env.database, ENTRY)
    shown = [r.workaround.id for r in rank_workarounds(entry, before)][: len(field_names(first))]
    position = min(len(shown), len(NUMBER_EMOJI), len([n for n in field_names(first) if n[:1] in "12345"]))
    voted = shown[position - 1]
    # Enough "it fixed it" votes for the workaround shown last to rank first.
    votes = next(
        k
        for k in range(1, 60)
        if rank_workarounds(entry, {**before, voted: Tally(before.get(voted, Tally()).fixed + k, 0)})[0].workaround.id
        == voted
    )
    voters = [fake.user(f"voter{i}") for i in range(votes)]
    for voter in voters:
        await fake.add_reaction(reply, NUMBER_EMOJI[position - 1], voter)
    await fake.add_reaction(reply, "🎉", voters[0])  # not a vote: ignored
    tallies = await wait_votes(env.database, ENTRY, voted, before.get(voted, Tally()).fixed + votes)
    ranked = rank_workarounds(entry, tallies)
    assert ranked[0].workaround.id == voted and ranked[0].rate.observed > ranked[0].rate.curated

    second = await fake.wait_for_reply(await fake.post_message(fake.help_channel, pasted(), asker))
    top = field_names(second)[0]
    title = next(w.title for w in entry.workarounds if w.id == voted)
    assert top.startswith(NUMBER_EMOJI[0]) and title[:40] in top
    assert f"observed: 100% of {tallies[voted].reports} reports" in top

    await fake.remove_reaction(reply, NUMBER_EMOJI[position - 1], voters[0])
    await fake.remove_reaction(reply, NUMBER_EMOJI[0], voters[1])  # never added: nothing to retract
    await wait_votes(env.database, ENTRY, voted, tallies[voted].fixed - 1)


async def test_a_wrong_match_mark_keeps_the_replys_votes_out_of_later_rates(env: Env) -> None:
    fake = env.fake
    asker, doubter = fake.user("wendy"), fake.user("xavier")
    voters = [fake.user(f"wrong-voter{i}") for i in range(3)]
    first = await fake.wait_for_reply(await fake.post_message(fake.help_channel, pasted(DEVICE_TRACEBACK), asker))
    reply = first.message
    assert reply is not None
    await wait_prompts(fake, reply["id"])
    entry_id = first.embeds[0]["footer"]["text"].split(" ·")[0]
    voted = (await wait_stored(env.database, int(reply["id"]), entry_id)).shown_workarounds[0]
    assert not (await stored_feedback(env.database, entry_id)), "another test voted on this entry"
    for voter in voters:
        await fake.add_reaction(reply, NUMBER_EMOJI[0], voter)
    await wait_votes(env.database, entry_id, voted, len(voters))
    counted = await fake.wait_for_reply(await fake.post_message(fake.help_channel, pasted(DEVICE_TRACEBACK), asker))
    assert f"observed: 100% of {len(voters)} reports" in field_names(counted)[0]  # the votes count, for now

    await fake.add_reaction(reply, "🤷", doubter)  # this reply answered the wrong question
    async with asyncio.timeout(10):
        while True:
            async with Store(env.database) as store:
                feedback = await store.feedback(entry_id)
            if feedback.wrong_match:
                break
            await asyncio.sleep(0.05)
    assert feedback.tallies == {} and feedback.excluded == len(voters)  # kept in the database, not counted
    later = await fake.wait_for_reply(await fake.post_message(fake.help_channel, pasted(DEVICE_TRACEBACK), asker))
    workarounds = [n for n in field_names(later) if n[:1] in "12345"]
    assert workarounds and all("(curated estimate)" in n and "reports" not in n for n in workarounds)


async def test_trash_reaction_from_the_asker_deletes_the_reply(env: Env) -> None:
    fake = env.fake
    asker, stranger = fake.user("grace"), fake.user("heidi")
    reply = await prompted_reply(fake, await fake.post_message(fake.help_channel, pasted(), asker))
    mark = fake.mark()
    await fake.add_reaction(reply, "🗑️", stranger)  # not theirs to delete
    await fake.add_reaction(reply, "🗑️", asker)
    deleted = await fake.wait_for(lambda c: c.name == "delete_message", since=mark, what="the reply deleted")
    assert deleted.params["message_id"] == reply["id"] and deleted.status == 204
    assert [c for c in fake.calls[mark:] if c.name == "delete_message"] == [deleted]


async def test_editing_the_traceback_away_deletes_the_reply(env: Env) -> None:
    fake = env.fake
    ivan = fake.user("ivan")
    message = await fake.post_message(fake.help_channel, pasted(), ivan)
    reply = await prompted_reply(fake, message)
    mark = fake.mark()
    await fake.edit_message(message, "never mind, solved it")
    deleted = await fake.wait_for(lambda c: c.name == "delete_message", since=mark, what="the reply deleted")
    assert deleted.params["message_id"] == reply["id"]


async def test_moderator_trash_reaction_deletes_a_reply_in_a_forum_post(env: Env) -> None:
    fake = env.fake
    asker, moderator = fake.user("uma"), fake.user("victor", moderator=True)
    _, starter = await fake.create_forum_post(fake.forum_channel, "shapes", pasted(), asker)
    reply = await prompted_reply(fake, starter)
    mark = fake.mark()
    await fake.add_reaction(reply, "🗑️", moderator)
    deleted = await fake.wait_for(lambda c: c.name == "delete_message", since=mark, what="the reply deleted")
    assert deleted.params == {"channel_id": starter["channel_id"], "message_id": reply["id"]}


async def test_editing_to_another_error_edits_the_reply(env: Env) -> None:
    fake = env.fake
    wendy = fake.user("wendy")
    message = await fake.post_message(fake.help_channel, pasted(), wendy)
    reply = await prompted_reply(fake, message)
    mark = fake.mark()
    await fake.edit_message(message, pasted(DEVICE_TRACEBACK, "sorry, wrong paste, this is the error:"))
    edited = await fake.wait_for(lambda c: c.name == "edit_message", since=mark, what="the reply edited")
    assert edited.ok and edited.params["message_id"] == reply["id"]
    assert edited.embeds[0]["footer"]["text"].startswith("pytorch/device-mismatch ·")
    await wait_stored(env.database, int(reply["id"]), "pytorch/device-mismatch")


async def test_message_deleted_before_the_reply_is_skipped_quietly(env: Env) -> None:
    fake = env.fake
    env.allowed_statuses = {400}  # Discord refuses a reply to a deleted message; the bot must cope
    xena = fake.user("xena")
    message = await fake.post_message(fake.help_channel, pasted(), xena)
    await fake.delete_message(message)
    last = await fake.post_message(fake.help_channel, pasted(), xena)
    await fake.wait_for_reply(last)
    assert all(not c.ok for c in fake.replies_to(message))


async def test_five_megabyte_attachment_and_everyone_spam_do_no_harm(env: Env) -> None:
    fake = env.fake
    mallory = fake.user("mallory")
    noise = b"".join(b"epoch %d step %d loss 0.6931 lr 3e-4\n" % (i // 100, i) for i in range(200_000))
    log = noise[: 5 * 1024 * 1024 - len(TRACEBACK)] + TRACEBACK.encode()
    spam = " ".join(["@everyone", "@here", f"<@&{fake.moderator_role_id}>", f"<@{fake.owner['id']}>"] * 60)
    spam_only = await fake.post_message(fake.help_channel, spam[:1990], mallory)
    message = await fake.post_message(
        fake.help_channel,
        spam[:1900],
        mallory,
        attachments=[Upload("train.log", log), Upload("weights.bin", b"\x00" * 4096, "application/octet-stream")],
    )
    assert message["mention_everyone"] and message["mention_roles"]
    call = await fake.wait_for_reply(message)
    assert_entry_reply(call)
    assert fake.replies_to(spam_only) == []
    fetched = [r for r in fake.attachment_requests if r["key"].endswith("/train.log")]
    assert fetched[-1]["range"] == "bytes=-1000000" and fetched[-1]["served"] == 1_000_000
    assert not [r for r in fake.attachment_requests if r["key"].endswith("/weights.bin")]  # never downloaded
    assert call.body["allowed_mentions"]["parse"] == [] and not call.body["allowed_mentions"].get("replied_user")
    assert fake.messages[int(call.message["id"])].pings == {}  # type: ignore[index]


# -- asking on purpose ---------------------------------------------------------------------------------------


async def test_fix_opens_a_modal_and_answers_the_submitted_traceback(env: Env) -> None:
    fake = env.fake
    judy = fake.user("judy")
    opened = await fake.slash_command("fix", judy, fake.general_channel)
    modal = await fake.wait_for_callback(opened)
    assert modal.ok and modal.body["type"] == 9
    assert opened.modal is not None and opened.modal["title"] == "Find a fix"
    text_input = opened.modal["components"][0]["components"][0]
    submitted = await fake.submit_modal(opened, {text_input["custom_id"]: TRACEBACK}, judy, fake.general_channel)
    answer = await fake.wait_for_callback(submitted)
    assert answer.body["type"] == 4 and not (answer.body["data"].get("flags", 0) & 64)
    assert_entry_reply(answer)
    original = await fake.wait_for(
        lambda c: c.name == "get_webhook_message" and c.params["token"] == submitted.token, what="original response"
    )
    assert original.ok
    response = answer.message
    assert response is not None and response["interaction_metadata"]["id"] == str(submitted.id)
    assert await wait_prompts(fake, response["id"]) == PROMPTS


async def test_fix_with_text_answers_publicly_or_privately_when_nothing_matches(env: Env) -> None:
    fake = env.fake
    ken = fake.user("ken")
    line = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    matched = await fake.slash_command("fix", ken, fake.general_channel, [{"name": "text", "type": 3, "value": line}])
    assert_entry_reply(await fake.wait_for_callback(matched))
    nothing = await fake.slash_command(
        "fix", ken, fake.general_channel, [{"name": "text", "type": 3, "value": "what a lovely day it is"}]
    )
    answer = await fake.wait_for_callback(nothing)
    assert answer.body["data"]["content"] == NO_MATCH and answer.body["data"]["flags"] & 64


async def test_fix_without_a_likely_answer_offers_the_closest_entries_to_open(env: Env, bundled_engine: Engine) -> None:
    fake = env.fake
    nia = fake.user("nia")
    vague = "training is slower than yesterday, what could cause that?"
    expected = bundled_engine.match(vague)
    assert not expected.answer and expected.offer  # the premise: no likely entry, but leads worth offering
    used = await fake.slash_command("fix", nia, fake.general_channel, [{"name": "text", "type": 3, "value": vague}])
    answer = await fake.wait_for_callback(used)
    data = answer.body["data"]
    assert data["flags"] & 64 and data["content"].startswith(NOT_SURE_HEADER) and not data.get("embeds")
    closest = [m.entry.id for m in expected.matches[:3]]
    assert all(f"`{entry_id}`" in data["content"] for entry_id in closest)
    buttons = [b["custom_id"] for b in buttons_of(data["components"])]
    assert buttons == [OPEN_PREFIX + entry_id for entry_id in closest]
    assert answer.message is not None
    opened = await fake.wait_for_callback(await fake.press_button(answer.message, buttons[1], nia))
    shown = opened.body["data"]
    assert shown["flags"] & 64 and LOOKED_UP in str(shown["embeds"][0])
    assert closest[1] in str(shown["embeds"][0])


async def test_find_a_fix_context_menu_replies_to_the_message(env: Env) -> None:
    fake = env.fake
    author, helper = fake.user("leo"), fake.user("mia")
    target = await fake.post_message(fake.unwatched_channel, pasted(), author)
    used = await fake.message_command("Find a fix", target, helper, fake.unwatched_channel)
    deferred = await fake.wait_for_callback(used)
    assert deferred.body["type"] == 5 and deferred.body["data"]["flags"] & 64
    reply = await fake.wait_for_reply(target)
    assert_entry_reply(reply)
    followup = await fake.wait_for(
        lambda c: c.name == "execute_webhook" and c.params["token"] == used.token, what="the ephemeral follow-up"
    )
    assert followup.ok and followup.body["content"].startswith("Answered: ")
    assert reply.message is not None and reply.message["id"] in followup.body["content"]
    assert fake.messages[int(reply.message["id"])].payload["message_reference"]["message_id"] == target["id"]


async def test_find_a_fix_on_a_message_deleted_meanwhile_says_so(env: Env) -> None:
    fake = env.fake
    env.allowed_statuses = {400}  # the refused reply
    author, helper = fake.user("leon"), fake.user("maya")
    target = await fake.post_message(fake.unwatched_channel, pasted(), author)
    used = await fake.message_command("Find a fix", target, helper, fake.unwatched_channel)
    await fake.delete_message(target)
    followup = await fake.wait_for(
        lambda c: c.name == "execute_webhook" and c.params["token"] == used.token, what="the ephemeral follow-up"
    )
    assert followup.body["content"] == MESSAGE_GONE and followup.body["flags"] & 64
    assert [c.status for c in fake.replies_to(target)] == [400]


async def test_search_autocomplete_and_entry(env: Env) -> None:
    fake = env.fake
    nina = fake.user("nina")
    suggest = await fake.autocomplete("search", "query", "mat1 mat2 shapes", nina, fake.general_channel)
    choices = (await fake.wait_for_callback(suggest)).body["data"]["choices"]
    assert ENTRY in [c["value"] for c in choices] and len(choices) <= 25

    empty = await fake.autocomplete("entry", "id", "", nina, fake.general_channel)
    assert len((await fake.wait_for_callback(empty)).body["data"]["choices"]) == 25

    search = await fake.slash_command(
        "search",
        nina,
        fake.general_channel,
        [{"name": "query", "type": 3, "value": "mat1 and mat2 shapes cannot be multiplied"}],
    )
    deferred = await fake.wait_for_callback(search)  # matching may queue: /search defers first
    assert deferred.body["type"] == 5 and deferred.body["data"]["flags"] & 64
    found = await fake.wait_for(
        lambda c: c.name == "execute_webhook" and c.params["token"] == search.token, what="the search results"
    )
    assert found.ok and found.body["flags"] & 64 and f"`{ENTRY}`" in found.body["content"]

    shown = await fake.slash_command("entry", nina, fake.general_channel, [{"name": "id", "type": 3, "value": ENTRY}])
    answer = await fake.wait_for_callback(shown)
    embed = assert_entry_reply(answer)
    # An entry asked for by id is no match: it says what it is, and claims no match score.
    assert embed["description"].startswith(LOOKED_UP) and "% match" not in embed["description"]
    assert answer.message is not None
    await wait_prompts(fake, answer.message["id"])

    unknown = await fake.slash_command(
        "entry", nina, fake.general_channel, [{"name": "id", "type": 3, "value": "no/such-entry"}]
    )
    assert (await fake.wait_for_callback(unknown)).body["data"]["content"].startswith("No entry has that id")


async def test_entry_too_long_for_an_embed_comes_with_the_full_text_as_a_file(env: Env) -> None:
    fake = env.fake
    entry_id = overflowing_entry()
    if entry_id is None:
        pytest.skip("no entry in the knowledge base is too long for one embed")
    used = await fake.slash_command(
        "entry", fake.user("yusuf"), fake.general_channel, [{"name": "id", "type": 3, "value": entry_id}]
    )
    answer = await fake.wait_for_callback(used)
    assert answer.ok and [f.filename for f in answer.files] == [entry_id.replace("/", "_") + ".md"]
    assert answer.files[0].data.decode().startswith("#")
    assert answer.message is not None and answer.message["attachments"][0]["filename"].endswith(".md")


async def test_kb_reload_is_for_owners(env: Env) -> None:
    fake = env.fake
    reload = [{"name": "reload", "type": 1, "options": []}]
    owner = await fake.slash_command("kb", fake.owner, fake.general_channel, reload)
    deferred = await fake.wait_for_callback(owner)
    assert deferred.body["type"] == 5 and deferred.body["data"]["flags"] & 64
    done = await fake.wait_for(
        lambda c: c.name == "execute_webhook" and c.params["token"] == owner.token, 120, what="the reload result"
    )
    assert done.ok and done.body["content"].startswith("Reloaded ")
    other = await fake.slash_command("kb", fake.user("zoe"), fake.general_channel, reload)
    assert "owners" in (await fake.wait_for_callback(other)).body["data"]["content"]


async def test_stats_shows_replies_and_votes(env: Env) -> None:
    fake = env.fake
    used = await fake.slash_command("stats", fake.user("olga"), fake.general_channel)
    assert (await fake.wait_for_callback(used)).body["type"] == 5  # deferred: it reads the whole store
    answer = await fake.wait_for(
        lambda c: c.name == "execute_webhook" and c.params["token"] == used.token, what="the stats"
    )
    names = [f["name"] for f in answer.body["embeds"][0]["fields"]]
    assert names[:3] == ["Knowledge", "Replies", "Votes"]


# -- the connection --------------------------------------------------------------------------------------------


async def test_bot_survives_a_gateway_reconnect_and_resumes(env: Env) -> None:
    fake = env.fake
    session = fake.session
    assert session is not None
    connections = fake.connections
    await fake.reconnect()
    # Sent while the bot is away: Discord replays it after the RESUME.
    message = await fake.post_message(fake.help_channel, pasted(), fake.user("pat"))
    await fake.wait_resumed()
    assert fake.session is session and fake.connections == connections + 1
    resume = [frame for what, frame in fake.gateway_log if what == "op6"][-1]
    assert resume["d"]["session_id"] == session.session_id
    assert [f for w, f in fake.gateway_log if w == "connect"][-1]["path"] == "/resume/"
    assert_entry_reply(await fake.wait_for_reply(message))


async def test_rate_limited_reply_is_retried(env: Env) -> None:
    fake = env.fake
    env.allowed_statuses = {429}
    fake.rate_limit_next("create_message", retry_after=0.6)
    message = await fake.post_message(fake.help_channel, pasted(), fake.user("quinn"))
    call = await fake.wait_for_reply(message)
    assert_entry_reply(call)
    attempts = fake.replies_to(message)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.5


# -- restart ---------------------------------------------------------------------------------------------------


async def test_watch_is_persisted_across_a_restart(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        database = tmp_path / "knownfix.sqlite3"
        settings = bot_env(fake, database, [fake.help_channel], KNOWNFIX_DEV_GUILD=str(fake.guild_id))
        moderator, member = fake.user("rita", moderator=True), fake.user("sam")
        channel = fake.channels[fake.torch_channel]
        option = [{"name": "channel", "type": 7, "value": channel["id"]}]
        resolved = {
            "channels": {
                channel["id"]: {**{k: channel[k] for k in ("id", "name", "type", "parent_id")}, "permissions": "0"}
            }
        }

        first = BotProcess(fake, settings, tmp_path / "bot1.log")
        try:
            await first.start()
            assert fake.commands.get(fake.guild_id) and not fake.commands.get(None)  # synced to the dev guild
            early = await fake.post_message(fake.torch_channel, pasted(), member)
            denied = await fake.slash_command("watch", member, fake.general_channel, option, resolved)
            assert "Manage Server" in (await fake.wait_for_callback(denied)).body["data"]["content"]
            allowed = await fake.slash_command("watch", moderator, fake.general_channel, option, resolved)
            answer = await fake.wait_for_callback(allowed)
            assert answer.body["data"]["content"].startswith(f"Watching <#{channel['id']}>")
            assert fake.replies_to(early) == []
            assert not first.problems()
        finally:
            assert await first.stop() == 0

        second = BotProcess(fake, settings, tmp_path / "bot2.log")
        try:
            await second.start()
            message = await fake.post_message(fake.torch_channel, pasted(), member)
            reply = await fake.wait_for_reply(message)
            assert_entry_reply(reply)
            assert not second.problems() and not fake.errors
        finally:
            assert await second.stop() == 0

        # A third start has an empty message cache: an edit of the answered message still reaches the
        # reply (through the raw edit event), and here removes it, since the text no longer matches.
        third = BotProcess(fake, settings, tmp_path / "bot3.log")
        try:
            await third.start()
            assert reply.message is not None
            reply_id = reply.message["id"]
            await fake.edit_message(message, "never mind, it was a typo in my config")
            await fake.wait_for(
                lambda c: c.method == "DELETE" and c.path.endswith(f"/messages/{reply_id}"),
                what="the reply's deletion after an edit of an uncached message",
            )
            assert not third.problems() and not fake.errors
        finally:
            assert await third.stop() == 0
