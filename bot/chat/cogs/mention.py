"""Asking by mention or reply: `@knownfix <traceback>`, or a reply to one of the bot's messages.

These are questions put to the bot, answered in any channel it can post in (watched or not), like /fix.
They also work without the privileged Message Content intent: Discord delivers a message's content to an
app that the message mentions, and a reply mentions the author it replies to unless the person turns the
ping off. One reply per message; one answer per person per Find a fix cooldown (the server's, see /config).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot import metrics
from bot.chat.answer import NO_MENTIONS, gather_text, render_answer, reply_with, source_gone
from bot.chat.candidates import not_sure_message
from bot.chat.cogs.asking import NO_MATCH, UserCooldown
from bot.paste import PasteSources
from bot.store.coordination import MessageLocks

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

MENTION_CLAIM = "mention"  # a mention's claim, apart from passive mode's on the same message (which leaves it)
_USER_MENTION = re.compile(r"<@!?([0-9]{1,20})>")


def addresses_bot(message: discord.Message, bot_id: int) -> bool:
    """Whether a person's message asks the bot: it mentions the bot by name (not @everyone or a role),
    or replies to one of the bot's messages."""
    if message.author.bot or message.webhook_id is not None:
        return False
    if any(user.id == bot_id for user in message.mentions):
        return True
    resolved = message.reference.resolved if message.reference is not None else None
    return isinstance(resolved, discord.Message) and resolved.author.id == bot_id


def without_bot_mention(text: str, bot_id: int) -> str:
    """The question without the `@knownfix` that put it to the bot."""
    return _USER_MENTION.sub(lambda m: "" if int(m[1]) == bot_id else m[0], text).strip()


class Mention(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot
        self._cooldowns: dict[int, UserCooldown] = {}  # per server: each has its own seconds (/config)
        self.pastes = PasteSources(bot.settings.paste_base_urls)
        self._locks = MessageLocks()  # one use at a time per message

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.guild is None or not addresses_bot(message, me.id):
            return
        cooldown = self._cooldown_for(message.guild.id)
        if not cooldown.claim(message.author.id):
            return  # asked again too soon: silence, rather than a reply per ping
        async with self._locks.lock(message.id):
            # Every process on the message's shard gets the mention (several during a deploy): the one whose
            # claim goes in answers (bot.store.coordination).
            if not await self.bot.coordination.claim(message.id, MENTION_CLAIM):
                cooldown.release(message.author.id)
                return
            if not await self._answer(message, me.id):
                cooldown.release(message.author.id)

    def _cooldown_for(self, guild_id: int) -> UserCooldown:
        """The server's Find a fix cooldown (mentions share its seconds), current after a /config change."""
        seconds = self.bot.servers.get(guild_id).find_fix_cooldown
        cooldown = self._cooldowns.setdefault(guild_id, UserCooldown(seconds))
        cooldown.seconds = seconds
        return cooldown

    async def _answer(self, message: discord.Message, bot_id: int) -> bool:
        """Answer the question; whether anything was posted."""
        if await self.bot.store.reply_to(message.id) is not None:
            return False
        assert self.bot.http_session is not None
        gathered = await gather_text(
            message, self.bot.http_session, self.bot.settings.max_attachment_bytes, self.pastes
        )
        text = without_bot_mention(gathered.text, bot_id)
        if not text:
            return False  # a bare ping, or content Discord did not deliver: nothing to answer
        asked = await self.bot.service.answer(text, message.guild.id if message.guild else None)
        if asked.reply is not None:
            answer = render_answer(asked.reply)
            metrics.ASKED.inc(outcome="answer")
            sent = await reply_with(
                message, answer, self.bot.store, self.bot.settings.reaction_prompts, source_id=message.id
            )
            if sent is not None:
                metrics.REPLIES.inc(mode="mention")
            return sent is not None
        if not asked.result.report.describes_problem:
            return False  # chat that happens to mention the bot ("thanks @knownfix")
        metrics.ASKED.inc(outcome="no_confident_match")
        not_sure = (
            not_sure_message(asked.candidates)
            if asked.candidates
            else {"content": NO_MATCH, "allowed_mentions": NO_MENTIONS}
        )
        try:
            await message.reply(**not_sure, mention_author=False)
        except discord.HTTPException as exc:
            if not source_gone(exc):
                raise
            return False
        return True


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Mention(bot))
