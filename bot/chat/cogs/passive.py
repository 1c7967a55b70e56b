"""Passive mode: in watched channels, threads and forum posts, answer (or suggest, per channel mode) a confident
error report unprompted, from the person asking only."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot import metrics
from bot.chat.answer import NO_MENTIONS, Answer, gather_text, is_text_attachment, reply_with
from bot.chat.asker import is_from_asker, message_facts
from bot.chat.cogs.mention import addresses_bot
from bot.chat.suggest import ShowFixButton, as_suggestion, suggest_with, suggestion_kwargs
from bot.chat.threads import answer_in_thread, open_thread, suggest_in_thread
from bot.paste import PasteSources, has_paste_link
from bot.store import REMOVED_BY_EDIT
from bot.store.claims import CooldownSlot

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)


def watched_channel_id(channel: object) -> int | None:
    """The id that decides whether a message is watched: a thread's or forum post's parent, else the channel."""
    if isinstance(channel, discord.Thread):
        return channel.parent_id
    return getattr(channel, "id", None)


def edit_revision(message: discord.Message) -> str:
    """Names one edit of a message in its reply claim: every process that receives the edit sees the same time."""
    return message.edited_at.isoformat() if message.edited_at is not None else "edited"


class Passive(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot
        self.pastes = PasteSources(bot.settings.paste_base_urls)

    def _mode(self, message: discord.Message) -> str | None:
        """How to treat a message: its watched channel's mode ("answer" or "suggest"), or None to leave it:
        not watched, watched with mode "off", from a bot, or not from the person asking (bot.chat.asker)."""
        if message.guild is None or message.author.bot or message.webhook_id is not None:
            return None
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            return None
        if self.bot.user is not None and addresses_bot(message, self.bot.user.id):
            return None  # a question put to the bot: bot.chat.cogs.mention answers it, in any channel
        mode = self.bot.watched.get(message.channel.id) or self.bot.watched.get(
            watched_channel_id(message.channel) or 0
        )
        if mode is None or mode == "off":
            return None
        bot_id = self.bot.user.id if self.bot.user is not None else None
        if not is_from_asker(message_facts(message), self.bot.servers.get(message.guild.id).helper_roles, bot_id):
            return None
        return mode

    async def _passive_answer(self, message: discord.Message, note_gap: bool = False) -> Answer | None:
        """The reply the message deserves unprompted, if any; `note_gap` counts it among the unanswered
        errors when it is one (a new message only: an edit is the same report again)."""
        assert self.bot.http_session is not None
        server = self.bot.servers.get(message.guild.id if message.guild else None)
        # Most watched-channel traffic is chat: the pre-filter clears it without matching or downloads.
        if (
            not any(is_text_attachment(a) for a in message.attachments)
            and not self.bot.may_answer(message.content, server.packs_answer)
            and not has_paste_link(message.content)  # a bare paste link is an error report in waiting
        ):
            return None
        metrics.PREFILTER_PASSES.inc()
        gathered = await gather_text(
            message, self.bot.http_session, self.bot.settings.max_attachment_bytes, self.pastes
        )
        if not gathered.text.strip():
            return None
        result = await self.bot.match(gathered.text, server.thresholds)  # the server's passive level decides
        if note_gap:
            await self.bot.note_gap(result, message.guild.id if message.guild else None)
        if not result.reply:
            return None
        return await self.bot.answer(result)

    async def _send(self, message: discord.Message, answer: Answer, mode: str) -> None:
        server = self.bot.servers.get(message.guild.id if message.guild else None)
        thread = await open_thread(message, answer) if server.reply_in == "thread" else None
        if thread is not None and mode == "suggest":
            await suggest_in_thread(thread, message, answer, self.bot.store)
            return
        if thread is not None:
            await answer_in_thread(thread, message, answer, self.bot.store, self.bot.settings.reaction_prompts)
            return
        if mode == "suggest":
            await suggest_with(message, answer, self.bot.store)
            return
        await reply_with(message, answer, self.bot.store, self.bot.settings.reaction_prompts, source_id=message.id)

    def _slot(self, message: discord.Message) -> CooldownSlot:
        """The reply slots a message would take, with its server's current seconds: a /config change applies
        at once."""
        guild_id = message.guild.id if message.guild else 0
        server = self.bot.servers.get(guild_id or None)
        seconds = (server.channel_cooldown, server.user_cooldown)
        return CooldownSlot(guild_id, message.channel.id, message.author.id, *seconds)

    async def _may_post(self, message: discord.Message, revision: str = "") -> bool:
        """Whether this handler posts the reply: it claims the message (revision), then the cooldown slots.
        The claim first: a claim taken in vain costs only a duplicate, a slot taken in vain another reply."""
        coordination = self.bot.coordination
        return await coordination.claim(message.id, revision) and await coordination.take_cooldown(self._slot(message))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        mode = self._mode(message)
        if mode is None:
            return
        if not self.bot.coordination.cooldown_ready(self._slot(message)):
            return  # cheap early exit; the slot is taken for real below
        async with self.bot.coordination.message_lock(message.id) as ours:
            if not ours:
                return  # another process is on this message, and has this event too
            answer = await self._passive_answer(message, note_gap=True)
            if answer is None or await self.bot.store.reply_to(message.id) is not None:  # one reply a message
                return
            if await self._may_post(message):
                await self._send(message, answer, mode)
                metrics.REPLIES.inc(mode=mode)

    @commands.Cog.listener()
    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        if before.content != after.content:
            await self._handle_edit(after)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Edits of messages no longer in the cache (older ones, or from before a restart) arrive only
        here. Only those the bot answered matter: their reply must follow the edit."""
        if payload.cached_message is not None or "content" not in payload.data:
            return  # on_message_edit has it, or only an embed preview changed
        if await self.bot.store.reply_to(payload.message_id) is None:
            return
        channel = self.bot.get_channel(payload.channel_id) or self.bot.get_partial_messageable(
            payload.channel_id, guild_id=payload.guild_id
        )
        if not isinstance(channel, discord.abc.Messageable):
            return
        try:
            message = await channel.fetch_message(payload.message_id)
        except discord.HTTPException:
            return
        await self._handle_edit(message)

    async def _handle_edit(self, after: discord.Message) -> None:
        mode = self._mode(after)
        if mode is None:
            return
        async with self.bot.coordination.message_lock(after.id) as ours:
            if not ours:
                return  # another process is on this message, and has this edit too
            previous = await self.bot.store.reply_to(after.id)
            if previous is None and await self.bot.store.removed_by_people(after.id):
                return  # the asker or a moderator removed our answer: an edit does not bring it back
            answer = await self._passive_answer(after)
            if previous is None:
                if answer is not None and await self._may_post(after, edit_revision(after)):
                    await self._send(after, answer, mode)
                    metrics.REPLIES.inc(mode=mode)
                return
            if answer is not None and answer.reply.entry.id == previous.entry_id:
                return  # still the same answer: keep the reply, its reactions and their meaning
            # Where the reply is: beside the message, or in the thread the bot opened on it (reply_in thread).
            reply_message = self.bot.get_partial_messageable(
                previous.channel_id, guild_id=after.guild.id if after.guild else None
            ).get_partial_message(previous.message_id)
            try:
                if answer is None:
                    await reply_message.delete()
                    await self.bot.store.mark_deleted(previous.message_id, REMOVED_BY_EDIT)
                elif mode == "suggest":
                    edited = await reply_message.edit(**suggestion_kwargs(answer), allowed_mentions=NO_MENTIONS)
                    await self.bot.store.record_reply(as_suggestion(answer.stored(edited, after.id, after.author.id)))
                else:
                    edited = await reply_message.edit(**answer.edit())
                    await self.bot.store.record_reply(answer.stored(edited, after.id, after.author.id))
            except discord.NotFound:
                await self.bot.store.mark_deleted(previous.message_id)


async def setup(bot: KnownfixBot) -> None:
    bot.add_dynamic_items(ShowFixButton)  # found by custom id: suggestions from before a restart expand too
    await bot.add_cog(Passive(bot))


async def teardown(bot: KnownfixBot) -> None:
    bot.remove_dynamic_items(ShowFixButton)
