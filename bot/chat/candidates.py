"""When a question put to the bot (/fix, Find a fix, a mention) has no confident answer: a short "No confident
match" that names the closest entries, with a button per entry that opens it for whoever presses.

The full page is kept for answers that are likely right (the asked-mode decision, bot.matching); a person who
recognises their error among the candidates is one press from its fix. The buttons are DynamicItems whose custom
id names the entry, so they work on messages from before a restart too, and what they open is the entry itself
(the service's entry view), privately: no match is claimed, so there is nothing to record or vote on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.chat.answer import NO_MENTIONS, render_answer
from bot.matching.matcher import Match
from bot.render.text import clip
from bot.service import UnknownEntryError

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

OPEN_PREFIX = "kf:open:"
# Entry ids are `<domain>/<slug>`; 92 characters keep the custom id inside Discord's 100.
OPEN_PATTERN = r"(?P<entry>[a-z0-9][a-z0-9._/-]{0,91})"
BUTTON_LABEL_MAX = 80  # Discord refuses a button label longer than this
NOT_SURE_HEADER = "No confident match. The closest known errors (press one to open it):"
ENTRY_GONE = "That entry is no longer in the knowledge base (it was removed in a reload)."


def not_sure_message(candidates: Sequence[Match]) -> dict[str, Any]:
    """The message a person gets instead of a full answer: the candidates named, one button each."""
    lines = [NOT_SURE_HEADER]
    view = discord.ui.View(timeout=None)
    for number, match in enumerate(candidates, 1):
        title = discord.utils.escape_markdown(match.entry.title)
        lines.append(f"{number}. **{title}** (`{match.entry.id}`)")
        view.add_item(OpenEntryButton(match.entry.id, number, match.entry.title))
    return {"content": "\n".join(lines), "view": view, "allowed_mentions": NO_MENTIONS}


class OpenEntryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=OPEN_PREFIX + OPEN_PATTERN):
    def __init__(self, entry_id: str, number: int | None = None, title: str | None = None) -> None:
        label = clip(f"{number}. {title}", BUTTON_LABEL_MAX) if number is not None and title else entry_id
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=OPEN_PREFIX + entry_id)
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> OpenEntryButton:
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: KnownfixBot = interaction.client
        try:
            reply = await bot.service.show_entry(self.entry_id)
        except UnknownEntryError:
            await interaction.response.send_message(ENTRY_GONE, ephemeral=True)
            return
        answer = render_answer(reply)
        await interaction.response.send_message(
            embed=answer.rendered.embed, files=answer.files(), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
