"""What every way of asking shares on Discord: read a message's text and attachments, render the service's
reply (bot.service) as an embed, send it and record it.

Cogs translate Discord events into calls of the service and of these functions, and send what they return.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord

from bot.chat.buttons import vote_view
from bot.chat.embed import RenderedReply, render_embed
from bot.feedback.votes import NONE_FIXED_EMOJI, NUMBER_EMOJI
from bot.knowledge.markdown import render_markdown
from bot.matching.matcher import Confidence
from bot.paste import PasteError, PasteSources, find_paste_links, read_paste, read_tail
from bot.reply import Reply
from bot.store import Store, StoredReply

log = logging.getLogger(__name__)

TEXT_EXTENSIONS = (".txt", ".log", ".py", ".md", ".out", ".err", ".ipynb", ".json", ".yaml", ".yml", ".toml", ".cfg")
NO_MENTIONS = discord.AllowedMentions.none()
MAX_DOWNLOAD_FACTOR = 16  # a server that ignores Range is read for at most this many times the limit
# Pastes read per message: one traceback is usually one paste, a few cover "code + error + pip list";
# more would let one message make the bot fetch a wall of links.
MAX_PASTES_PER_MESSAGE = 3


def source_gone(exc: discord.HTTPException) -> bool:
    """Whether Discord refused a reply because the message it answers was deleted meanwhile
    (400, code 50035, "In message_reference: Unknown message")."""
    return isinstance(exc, discord.NotFound) or (exc.code == 50035 and "message_reference" in exc.text)


@dataclass(frozen=True)
class Gathered:
    text: str
    skipped: tuple[str, ...]  # attachments and pastes not read, with the reason, for the logs


def is_text_attachment(attachment: discord.Attachment) -> bool:
    content_type = (attachment.content_type or "").split(";")[0].strip()
    if content_type.startswith("text/") or content_type in ("application/json", "application/x-python"):
        return True
    return attachment.filename.lower().endswith(TEXT_EXTENSIONS)


def decode_text(data: bytes) -> str | None:
    """The attachment as text, or None when it is binary. UTF-16 with a byte-order mark (what Windows
    PowerShell's `>` writes) is text too, though it is full of NUL bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    sample = data[:8192]
    # The tail of a long UTF-16 log has no byte-order mark: ASCII text in UTF-16LE puts a NUL after
    # every character (before it, when the tail starts on an odd byte).
    odd, even = sample[1::2], sample[0::2]
    if len(sample) >= 64:
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return data[: len(data) // 2 * 2].decode("utf-16-le", errors="replace")
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return data[1 : 1 + (len(data) - 1) // 2 * 2].decode("utf-16-le", errors="replace")
    if b"\x00" in sample:
        return None
    text = sample.decode("utf-8", errors="replace")
    if text.count("\ufffd") > len(text) * 0.05:
        return None
    return data.decode("utf-8", errors="replace")


async def read_attachment_tail(session: aiohttp.ClientSession, url: str, limit: int) -> bytes:
    """At most `limit` bytes of the file, preferring its end: a log's error is at the bottom.

    The request asks for the last `limit` bytes; a server that ignores Range and sends the whole file is
    read through (up to MAX_DOWNLOAD_FACTOR times the limit) keeping only the most recent bytes."""
    async with session.get(url, headers={"Range": f"bytes=-{limit}"}) as response:
        response.raise_for_status()
        data, _cut = await read_tail(response, limit, MAX_DOWNLOAD_FACTOR * limit)
        return data


def download_failure(exc: aiohttp.ClientError | TimeoutError) -> str:
    """Why a download failed, in a few words: a timeout's own message is empty."""
    if isinstance(exc, TimeoutError):
        return "download failed (timed out)"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"download failed (HTTP {exc.status} {exc.message})"
    return f"download failed ({str(exc) or type(exc).__name__})"


async def read_attachments(
    message: discord.Message, session: aiohttp.ClientSession, limit: int, skipped: list[str]
) -> list[str]:
    """The text of the message's text attachments, each read up to `limit` bytes; what was not read goes
    to `skipped` with the reason."""
    texts: list[str] = []
    for attachment in message.attachments[:5]:
        if not is_text_attachment(attachment):
            skipped.append(f"{attachment.filename}: not a text file")
            continue
        try:
            data = await read_attachment_tail(session, attachment.url, limit)
        except (aiohttp.ClientError, TimeoutError) as exc:
            skipped.append(f"{attachment.filename}: {download_failure(exc)}")
            continue
        text = decode_text(data)
        if text is None:
            skipped.append(f"{attachment.filename}: binary content")
            continue
        texts.append(text)
    return texts


async def read_pastes(
    texts: list[str], session: aiohttp.ClientSession, limit: int, sources: PasteSources, skipped: list[str]
) -> list[str]:
    """The text of the pastes that `texts` link (the message and its attachments), at most
    MAX_PASTES_PER_MESSAGE of them, read at once; a paste that fails goes to `skipped` with the reason."""
    links = find_paste_links("\n".join(texts), MAX_PASTES_PER_MESSAGE)
    results = await asyncio.gather(
        *(read_paste(session, link, sources, limit) for link in links), return_exceptions=True
    )
    read: list[str] = []
    for link, result in zip(links, results, strict=True):
        if isinstance(result, PasteError):
            skipped.append(f"paste {link.label}: {result}")
        elif isinstance(result, BaseException):
            raise result
        else:
            read.append(result)
    return read


async def gather_text(
    message: discord.Message, session: aiohttp.ClientSession, limit: int, pastes: PasteSources | None = None
) -> Gathered:
    """The message's own text followed by its text attachments, each read up to `limit` bytes, and, with
    `pastes`, the pastes they link (read like attachments, from the providers `pastes` allows)."""
    parts = [message.content or ""]
    skipped: list[str] = []
    parts += await read_attachments(message, session, limit, skipped)
    if pastes is not None:
        parts += await read_pastes(parts, session, limit, pastes, skipped)
    if skipped:
        log.info("message %s: not read: %s", message.id, "; ".join(skipped))
    return Gathered("\n\n".join(p for p in parts if p), tuple(skipped))


# The store keeps a score and a confidence with every reply; an entry asked for by id (no match behind it) is
# kept as a certain one, as it always was, so stats and a later edit read it the same.
LOOKED_UP_SCORE = 1.0
LOOKED_UP_CONFIDENCE = Confidence.HIGH


@dataclass(frozen=True)
class Answer:
    """A reply from the service, rendered for Discord: the embed, and the full text as a file when it overflows."""

    reply: Reply
    rendered: RenderedReply

    def files(self) -> list[discord.File]:
        if not self.rendered.overflow:
            return []
        data = io.BytesIO(self.rendered.overflow.encode("utf-8"))
        return [discord.File(data, filename=f"{self.reply.entry.id.replace('/', '_')}.md")]

    def message(self) -> dict[str, Any]:
        """What a message showing this answer holds: the embed, the overflow file, the vote buttons, no pings."""
        view = vote_view(self.rendered.shown)
        return {"embed": self.rendered.embed, "files": self.files(), "view": view, "allowed_mentions": NO_MENTIONS}

    def edit(self) -> dict[str, Any]:
        """The same for an edit that turns a message into this answer (an edit's files are its attachments)."""
        shown = self.message()
        shown["attachments"] = shown.pop("files")
        return {"content": None, **shown}

    def stored(self, message: discord.Message, source_id: int | None, asker_id: int | None) -> StoredReply:
        return StoredReply(
            message_id=message.id,
            channel_id=message.channel.id,
            guild_id=message.guild.id if message.guild else None,
            source_message_id=source_id,
            asker_id=asker_id,
            entry_id=self.reply.entry.id,
            shown_workarounds=self.rendered.shown,
            score=LOOKED_UP_SCORE if self.reply.score is None else self.reply.score,
            confidence=(self.reply.confidence or LOOKED_UP_CONFIDENCE).value,
        )


def render_answer(reply: Reply) -> Answer:
    """The reply model as Discord shows it."""
    return Answer(reply, render_embed(reply, render_markdown(reply.entry)))


async def add_prompts(message: discord.Message, shown: int, prompts: int) -> None:
    """The vote reactions under a reply: one request each, so only as many as configured."""
    try:
        for emoji in NUMBER_EMOJI[: min(prompts, shown)]:
            await message.add_reaction(emoji)
        if prompts:
            await message.add_reaction(NONE_FIXED_EMOJI)
    except discord.HTTPException as exc:
        log.warning("could not add vote prompts to %s: %s", message.id, exc)


async def record_and_prompt(
    sent: discord.Message, answer: Answer, store: Store, prompts: int, source_id: int | None, asker_id: int | None
) -> None:
    """Remember a reply the bot posted (ids and entry only) and put the vote prompts under it."""
    await store.record_reply(answer.stored(sent, source_id, asker_id))
    await add_prompts(sent, len(answer.rendered.shown), prompts)


async def reply_with(
    message: discord.Message, answer: Answer, store: Store, prompts: int, *, source_id: int | None
) -> discord.Message | None:
    """Answer `message` with a reply, recorded and prompted; None when the message was deleted meanwhile."""
    try:
        sent = await message.reply(**answer.message(), mention_author=False)
    except discord.HTTPException as exc:
        if not source_gone(exc):
            raise
        log.info("message %s was deleted before the reply", message.id)
        return None
    await record_and_prompt(sent, answer, store, prompts, source_id, message.author.id)
    return sent
