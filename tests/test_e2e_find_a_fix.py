"""End to end: "Find a fix" cannot be used to spam, and a failed interaction never hangs.

The real bot process against the fake Discord, with its own bot (module scope) so that the person's
cooldown keeps its shipped default (a minute) and the failure tests can break the real database.
One public reply per target message (a repeat gets a private link to it), one public answer per person
per cooldown, and when answering fails the person sees one private line, with no "is thinking..." left.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
import pytest_asyncio

from bot.chat.cogs.asking import ALREADY_ANSWERED, COOLING_DOWN, NO_MATCH
from bot.chat.errors import FAILED
from tests.fakediscord import BotProcess, Call, FakeDiscord
from tests.fakediscord import payloads as p
from tests.fakediscord.server import Interaction

from .test_e2e_discord import TRACEBACK, Env, assert_entry_reply, bot_env, message_bodies, pasted, prompted_reply

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

COOLDOWN_SECONDS = 60  # the shipped default of find_fix_cooldown: this module's bot does not override it
HANDLER_LOG = "bot.chat.errors:"  # where the one error handler logs what failed


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp = tmp_path_factory.mktemp("e2e-find-a-fix")
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
def no_harm(env: Env, request: pytest.FixtureRequest) -> Iterator[None]:
    """What test_e2e_discord checks after each test; where a test breaks the database on purpose, the
    errors the one error handler logged are expected (each such test counts them itself)."""
    fake, bot = env.fake, env.bot
    env.allowed_statuses = set()
    mark, log_mark, known = fake.mark(), bot.log_size(), set(fake.messages)
    yield
    print(f"--- bot log during the test ---\n{bot.log()[log_mark:][-6000:]}")
    assert not fake.errors, fake.errors
    assert bot.running, f"the bot process exited:\n{bot.log()[-3000:]}"
    problems = bot.problems(log_mark)
    if "votes_missing" in request.fixturenames:
        problems = [line for line in problems if HANDLER_LOG not in line and not line.startswith("Traceback")]
    assert not problems, problems
    refused = [c for c in fake.calls[mark:] if c.status >= 400 and c.status not in env.allowed_statuses]
    assert not refused, [(c, c.response) for c in refused]
    for body in message_bodies(fake.calls[mark:]):
        assert body.get("allowed_mentions", {}).get("parse") == [], body.get("allowed_mentions")
    assert not still_thinking(fake, known), "an interaction was left showing 'is thinking...'"


def still_thinking(fake: FakeDiscord, known: set[int]) -> list[int]:
    """Messages new since `known` that still show "is thinking...": a deferral nothing replaced or removed."""
    return [
        m.id
        for m in fake.messages.values()
        if m.id not in known and not m.deleted and m.payload.get("flags", 0) & p.LOADING
    ]


async def private_followup(fake: FakeDiscord, used: Interaction) -> str:
    """The text of the follow-up that ends a deferred interaction, checked to be visible to the user only
    (a follow-up replacing a deferral takes the deferral's visibility, whatever it asks for)."""
    call = await fake.wait_for(
        lambda c: c.name == "execute_webhook" and c.params["token"] == used.token, what="the follow-up"
    )
    assert call.ok, call.response
    content = str(call.body["content"])
    [shown] = [
        m
        for m in fake.messages.values()
        if not m.deleted
        and (m.payload.get("interaction_metadata") or {}).get("id") == str(used.id)
        and m.payload.get("content") == content
    ]
    assert shown.ephemeral, f"shown to the whole channel: {content!r}"
    return content


async def find_a_fix(fake: FakeDiscord, target: Mapping[str, Any], user: Mapping[str, Any]) -> str:
    used = await fake.message_command("Find a fix", target, user, int(target["channel_id"]))
    return await private_followup(fake, used)


def jump_url(fake: FakeDiscord, message: Mapping[str, Any]) -> str:
    return f"https://discord.com/channels/{fake.guild_id}/{message['channel_id']}/{message['id']}"


def public_replies(fake: FakeDiscord, target: Mapping[str, Any]) -> list[Call]:
    return [c for c in fake.replies_to(target) if c.ok]


# -- one public reply per message ------------------------------------------------------------------------------


async def test_a_second_use_on_a_message_links_the_first_reply_instead_of_posting(env: Env) -> None:
    fake = env.fake
    author, first, second = fake.user("ada"), fake.user("ben"), fake.user("cleo")
    target = await fake.post_message(fake.unwatched_channel, pasted(), author)
    answered = await find_a_fix(fake, target, first)
    reply = await prompted_reply(fake, target)
    assert answered == f"Answered: {jump_url(fake, reply)}"

    again = await find_a_fix(fake, target, second)

    assert again == ALREADY_ANSWERED.format(url=jump_url(fake, reply))
    assert len(public_replies(fake, target)) == 1


async def test_ten_people_at_once_on_one_message_get_one_public_reply(env: Env) -> None:
    fake = env.fake
    author = fake.user("dora")
    target = await fake.post_message(fake.unwatched_channel, pasted(), author)
    helpers = [fake.user(f"helper{n}") for n in range(10)]

    uses = await asyncio.gather(
        *(fake.message_command("Find a fix", target, h, fake.unwatched_channel) for h in helpers)
    )
    said = await asyncio.gather(*(private_followup(fake, used) for used in uses))

    [reply] = public_replies(fake, target)
    assert reply.message is not None
    link = ALREADY_ANSWERED.format(url=jump_url(fake, reply.message))
    assert sorted(said) == sorted([f"Answered: {jump_url(fake, reply.message)}"] + [link] * 9)


async def test_a_message_the_bot_answered_unprompted_gets_a_link_to_that_reply(env: Env) -> None:
    fake = env.fake
    author, helper = fake.user("ezra"), fake.user("fay")
    target = await fake.post_message(fake.help_channel, pasted(), author)
    passive = await prompted_reply(fake, target)

    said = await find_a_fix(fake, target, helper)

    assert said == ALREADY_ANSWERED.format(url=jump_url(fake, passive))
    assert len(public_replies(fake, target)) == 1


async def test_a_reply_a_moderator_deleted_no_longer_counts(env: Env) -> None:
    fake = env.fake
    env.allowed_statuses = {404}  # the bot finds out by asking for the deleted reply
    author, first, second = fake.user("gus"), fake.user("hana"), fake.user("ivan")
    target = await fake.post_message(fake.unwatched_channel, pasted(), author)
    await find_a_fix(fake, target, first)
    deleted = await prompted_reply(fake, target)
    await fake.delete_message(deleted)  # from Discord's own menu, so the store still lists it as live

    said = await find_a_fix(fake, target, second)

    replies = public_replies(fake, target)
    assert len(replies) == 2 and replies[1].message is not None
    assert said == f"Answered: {jump_url(fake, replies[1].message)}"


# -- one public answer per person per cooldown ------------------------------------------------------------------


async def test_ten_uses_by_one_person_post_one_reply_and_say_when_to_try_again(env: Env) -> None:
    fake = env.fake
    author, spammer = fake.user("jade"), fake.user("kurt")
    targets = [
        await fake.post_message(fake.unwatched_channel, pasted(before=f"crash number {n}"), author) for n in range(10)
    ]

    said = [await find_a_fix(fake, target, spammer) for target in targets]

    assert said[0].startswith("Answered: ")
    waits = [COOLING_DOWN.format(seconds=s) for s in range(COOLDOWN_SECONDS - 15, COOLDOWN_SECONDS + 1)]
    assert all(line in waits for line in said[1:]), said[1:]
    assert [len(public_replies(fake, t)) for t in targets] == [1] + [0] * 9


async def test_no_match_and_repeat_links_do_not_use_up_the_cooldown(env: Env) -> None:
    fake = env.fake
    author, helper, other = fake.user("lena"), fake.user("milo"), fake.user("nell")
    chat = await fake.post_message(fake.unwatched_channel, "what a lovely day it is", author)
    answered = await fake.post_message(fake.unwatched_channel, pasted(), author)
    await find_a_fix(fake, answered, other)
    await prompted_reply(fake, answered)
    fresh = await fake.post_message(fake.unwatched_channel, pasted(), author)

    assert await find_a_fix(fake, chat, helper) == NO_MATCH
    assert (await find_a_fix(fake, answered, helper)).startswith("That message already has an answer: ")
    assert (await find_a_fix(fake, fresh, helper)).startswith("Answered: ")


# -- failures end with one private line -------------------------------------------------------------------------


@pytest.fixture
def votes_missing(env: Env) -> Iterator[None]:
    """Break the bot's real database under it for one test: every read of the votes (ranking a reply's
    workarounds by their fix rates, /stats) then raises sqlite3.OperationalError inside the bot."""
    with contextlib.closing(sqlite3.connect(env.database, timeout=10, isolation_level=None)) as db:
        db.execute("ALTER TABLE votes RENAME TO votes_moved_away")
        try:
            yield
        finally:
            db.execute("ALTER TABLE votes_moved_away RENAME TO votes")


def handler_errors(bot: BotProcess, since: int) -> list[str]:
    return [line for line in bot.problems(since) if HANDLER_LOG in line]


def private_answer(call: Call) -> str:
    assert call.ok and call.body["type"] == 4 and call.body["data"]["flags"] & p.EPHEMERAL, call.body
    return str(call.body["data"]["content"])


async def test_fix_text_failing_inside_matching_says_so_privately(env: Env, votes_missing: None) -> None:
    fake, log_mark = env.fake, env.bot.log_size()
    used = await fake.slash_command(
        "fix", fake.user("olaf"), fake.general_channel, [{"name": "text", "type": 3, "value": TRACEBACK}]
    )
    assert private_answer(await fake.wait_for_callback(used)) == FAILED
    assert len(handler_errors(env.bot, log_mark)) == 1


async def test_fix_modal_failing_inside_matching_says_so_privately(env: Env, votes_missing: None) -> None:
    fake, log_mark = env.fake, env.bot.log_size()
    pia = fake.user("pia")
    opened = await fake.slash_command("fix", pia, fake.general_channel)
    await fake.wait_for_callback(opened)
    assert opened.modal is not None
    field = opened.modal["components"][0]["components"][0]["custom_id"]
    submitted = await fake.submit_modal(opened, {field: TRACEBACK}, pia, fake.general_channel)
    assert private_answer(await fake.wait_for_callback(submitted)) == FAILED
    assert len(handler_errors(env.bot, log_mark)) == 1


async def test_find_a_fix_failing_inside_matching_replaces_the_thinking_privately(
    env: Env, votes_missing: None
) -> None:
    fake, log_mark = env.fake, env.bot.log_size()
    target = await fake.post_message(fake.unwatched_channel, pasted(), fake.user("quin"))
    assert await find_a_fix(fake, target, fake.user("rosa")) == FAILED
    assert public_replies(fake, target) == []
    assert len(handler_errors(env.bot, log_mark)) == 1


async def test_entry_failing_gets_an_answer_instead_of_none(env: Env, votes_missing: None) -> None:
    fake, log_mark = env.fake, env.bot.log_size()
    entry = [{"name": "id", "type": 3, "value": "pytorch/mat1-mat2-shape-mismatch"}]
    used = await fake.slash_command("entry", fake.user("saul"), fake.general_channel, entry)
    assert private_answer(await fake.wait_for_callback(used)) == FAILED
    assert len(handler_errors(env.bot, log_mark)) == 1


async def test_stats_failing_after_a_public_deferral_tells_only_the_asker(env: Env, votes_missing: None) -> None:
    fake, log_mark = env.fake, env.bot.log_size()
    used = await fake.slash_command("stats", fake.user("tara"), fake.general_channel)
    deferred = await fake.wait_for_callback(used)
    assert deferred.body["type"] == 5 and deferred.message is not None and not deferred.message["flags"] & p.EPHEMERAL
    assert await private_followup(fake, used) == FAILED
    assert fake.messages[int(deferred.message["id"])].deleted, "the public 'is thinking...' is still there"
    assert len(handler_errors(env.bot, log_mark)) == 1


async def test_the_bot_answers_normally_once_the_database_is_whole_again(env: Env) -> None:
    fake = env.fake
    target = await fake.post_message(fake.unwatched_channel, pasted(), fake.user("uli"))
    assert (await find_a_fix(fake, target, fake.user("vera"))).startswith("Answered: ")
    assert_entry_reply(public_replies(fake, target)[0])
