"""Answers in a thread (`/config set reply_in thread`): the bot opens a thread on the asker's message in a text
channel and answers there, so a busy help channel keeps one line per question. Where no thread can be opened
(the bot lacks Create Public Threads, someone already opened one, the message is itself in a thread or forum
post) the caller answers inline, as always: the setting changes where an answer goes, never whether it goes.
"""

from __future__ import annotations

import logging
from typing import Literal

import discord

from bot.chat.answer import NO_MENTIONS, Answer, record_and_prompt
from bot.chat.suggest import as_suggestion, suggestion_kwargs
from bot.store import Store

log = logging.getLogger(__name__)

THREAD_NAME_MAX = 100  # Discord's limit on a thread's name
# An hour without messages archives the thread: a help question is answered or abandoned by then, and an
# archived thread reopens when someone writes in it.
AUTO_ARCHIVE_MINUTES: Literal[60] = 60


def thread_name(answer: Answer) -> str:
    """The thread is named after the matched entry (the knowledge base's words, never the asker's)."""
    title = " ".join(answer.reply.entry.title.split())
    return title if len(title) <= THREAD_NAME_MAX else title[: THREAD_NAME_MAX - 1] + "…"


async def open_thread(message: discord.Message, answer: Answer) -> discord.Thread | None:
    """A new thread on `message` for its answer, or None where there cannot be one (the caller answers inline)."""
    if not isinstance(message.channel, discord.TextChannel):
        return None  # already in a thread or a forum post: the answer goes right there
    try:
        return await message.create_thread(name=thread_name(answer), auto_archive_duration=AUTO_ARCHIVE_MINUTES)
    except discord.HTTPException as exc:  # no permission, a thread already there, the message deleted
        log.info("no thread on message %s (answering inline): %s", message.id, exc)
        return None


async def answer_in_thread(
    thread: discord.Thread, message: discord.Message, answer: Answer, store: Store, prompts: int
) -> discord.Message:
    """The full answer in the thread opened on `message`, recorded as that message's one reply."""
    sent = await thread.send(**answer.message())
    await record_and_prompt(sent, answer, store, prompts, message.id, message.author.id)
    return sent


async def suggest_in_thread(
    thread: discord.Thread, message: discord.Message, answer: Answer, store: Store
) -> discord.Message:
    """The one-line suggestion (bot.chat.suggest) in the thread opened on `message`, recorded as its reply."""
    kwargs = suggestion_kwargs(answer)
    sent = await thread.send(content=kwargs["content"], view=kwargs["view"], allowed_mentions=NO_MENTIONS)
    await store.record_reply(as_suggestion(answer.stored(sent, message.id, message.author.id)))
    return sent
