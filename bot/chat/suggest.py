"""Suggest mode: in a busy channel the bot offers its answer in one line with a "Show fix" button, and
helpers stay in charge. Pressing the button turns that line into the full answer, in place, with its vote
buttons. The button is persistent (a DynamicItem whose custom id names the entry), so it works after a
restart too; the line is recorded as the message's one reply, so edits, 🗑️ and "one reply per message"
treat it like a full answer.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.chat.answer import NO_MENTIONS, Answer, render_answer, source_gone
from bot.chat.buttons import NOT_TRACKED
from bot.service import UnknownEntryError
from bot.store import Store, StoredReply

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

SHOW_PREFIX = "kf:show:"
# Entry ids are `<domain>/<slug>`; 92 characters keep the custom id inside Discord's 100.
SHOW_PATTERN = r"(?P<entry>[a-z0-9][a-z0-9._/-]{0,91})"
SHOW_LABEL = "Show fix"


def suggestion_line(answer: Answer) -> str:
    title = discord.utils.escape_markdown(answer.reply.entry.title)
    return f"This looks like **{title}**. Press *{SHOW_LABEL}* for the fix."


def show_fix_view(entry_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ShowFixButton(entry_id))
    return view


def suggestion_kwargs(answer: Answer) -> dict[str, Any]:
    """What a suggestion message holds (for a new one and for an edit that changes the entry)."""
    return {"content": suggestion_line(answer), "embed": None, "view": show_fix_view(answer.reply.entry.id)}


def as_suggestion(stored: StoredReply) -> StoredReply:
    """A suggestion shows no workarounds yet, so number votes mean nothing on it until it is expanded."""
    return dataclasses.replace(stored, shown_workarounds=())


async def suggest_with(message: discord.Message, answer: Answer, store: Store) -> discord.Message | None:
    """Reply to `message` with the one-line suggestion; None when the message was deleted meanwhile."""
    try:
        sent = await message.reply(
            suggestion_line(answer),
            view=show_fix_view(answer.reply.entry.id),
            allowed_mentions=NO_MENTIONS,
            mention_author=False,
        )
    except discord.HTTPException as exc:
        if not source_gone(exc):
            raise
        return None
    await store.record_reply(as_suggestion(answer.stored(sent, message.id, message.author.id)))
    return sent


class ShowFixButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SHOW_PREFIX + SHOW_PATTERN):
    def __init__(self, entry_id: str) -> None:
        super().__init__(
            discord.ui.Button(label=SHOW_LABEL, style=discord.ButtonStyle.primary, custom_id=SHOW_PREFIX + entry_id)
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ShowFixButton:
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: KnownfixBot = interaction.client
        message = interaction.message
        stored = await bot.service.tracked_reply(message.id) if message is not None else None
        if message is None or stored is None or stored.entry_id != self.entry_id:
            await interaction.response.send_message(NOT_TRACKED, ephemeral=True)
            return
        try:
            reply = await bot.service.expand_suggestion(self.entry_id, stored.score, stored.confidence)
        except UnknownEntryError:  # the entry left the knowledge since (a /kb reload)
            await interaction.response.send_message(NOT_TRACKED, ephemeral=True)
            return
        answer = render_answer(reply)
        await interaction.response.edit_message(**answer.edit())
        await bot.store.record_reply(answer.stored(message, stored.source_message_id, stored.asker_id))
        log.info("suggestion %s expanded (%s)", message.id, self.entry_id)
