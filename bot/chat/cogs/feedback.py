"""Votes on the bot's replies by reaction (buttons: bot.chat.buttons), recorded through the service, that move
fix rates; and 🗑️ to remove a reply."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.chat.buttons import VoteButton
from bot.feedback.votes import is_delete, option_for_emoji
from bot.store import REMOVED_BY_PEOPLE, StoredReply

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)


def vote_option(emoji: str, reply: StoredReply) -> str | None:
    """The stored vote an emoji means on this reply, or None when it is not a vote (bot.feedback.votes)."""
    return option_for_emoji(emoji, reply.shown_workarounds)


class Feedback(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot

    def _is_own(self, user_id: int) -> bool:
        return self.bot.user is not None and user_id == self.bot.user.id

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if self._is_own(payload.user_id) or (payload.member is not None and payload.member.bot):
            return
        reply = await self.bot.service.tracked_reply(payload.message_id)
        if reply is None:  # not one of our replies
            return
        emoji = str(payload.emoji)
        if is_delete(emoji):
            await self._delete_if_allowed(payload, reply)
            return
        option = vote_option(emoji, reply)
        if option is not None and await self.bot.service.cast_vote(reply, payload.user_id, option, via="reaction"):
            log.info("vote %s on reply %s (%s)", option, reply.message_id, reply.entry_id)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if self._is_own(payload.user_id):
            return
        user = self.bot.get_user(payload.user_id)
        if user is not None and user.bot:
            return
        reply = await self.bot.service.tracked_reply(payload.message_id)
        if reply is None:
            return
        option = vote_option(str(payload.emoji), reply)
        if option is not None and await self.bot.service.take_back_vote(reply, payload.user_id, option):
            log.info("vote %s retracted on reply %s", option, reply.message_id)

    async def _delete_if_allowed(self, payload: discord.RawReactionActionEvent, reply: StoredReply) -> None:
        channel = self.bot.get_channel(payload.channel_id)
        allowed = payload.user_id == reply.asker_id
        # Threads and forum posts are not GuildChannels, but they have permissions too.
        if (
            not allowed
            and payload.member is not None
            and isinstance(channel, discord.abc.GuildChannel | discord.Thread)
        ):
            allowed = channel.permissions_for(payload.member).manage_messages
        if not allowed:
            return
        # An archived thread is not in the cache: a partial channel still deletes the message.
        target = self.bot.get_partial_messageable(payload.channel_id, guild_id=payload.guild_id)
        with contextlib.suppress(discord.NotFound):
            await target.get_partial_message(payload.message_id).delete()
        await self.bot.store.mark_deleted(reply.message_id, REMOVED_BY_PEOPLE)


async def setup(bot: KnownfixBot) -> None:
    # The buttons are found by their custom ids, so those on replies from before a restart work too.
    bot.add_dynamic_items(VoteButton)
    await bot.add_cog(Feedback(bot))


async def teardown(bot: KnownfixBot) -> None:
    bot.remove_dynamic_items(VoteButton)
