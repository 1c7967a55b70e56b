"""Vote buttons under a reply that keep working after the bot restarts.

Each button is a `discord.ui.DynamicItem`: its custom id carries the vote it stands for (`kf:vote:<option>`,
the same option strings the store keeps, so a workaround's button names its stable id, not its position),
and the reply it votes on is the message it sits on, which Discord sends with every press. Nothing about
a reply lives in process memory, so a button on a reply posted a month and three restarts ago still counts.
Reactions stay a second way to vote (bot.chat.cogs.feedback); both write the same votes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot import metrics
from bot.render.embed import MAX_WORKAROUNDS_SHOWN
from bot.store import NONE_FIXED, WORKAROUND_PREFIX, WRONG_MATCH, StoredReply, workaround_option

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

CUSTOM_ID_PREFIX = "kf:vote:"
# Workaround ids are slugs of at most 48 characters (bot.knowledge.ids): the whole id stays far inside
# Discord's 100-character limit on custom ids.
OPTION_PATTERN = r"(?P<option>none|wrong|w:[a-z0-9-]{1,48})"
NONE_WORKED_LABEL = "None worked"
WRONG_MATCH_LABEL = "Wrong match"
NOT_TRACKED = "This reply is no longer tracked (it was removed or replaced), so the vote was not recorded."
CHANGE_HINT = "Press the same button again to take your vote back, or another one to change it."


def vote_label(option: str, reply: StoredReply) -> str:
    """How a vote reads back to the voter: 'Fixed it: 2' names the workaround by the number shown."""
    if option == NONE_FIXED:
        return NONE_WORKED_LABEL
    if option == WRONG_MATCH:
        return WRONG_MATCH_LABEL
    shown = [workaround_option(w) for w in reply.shown_workarounds]
    return f"Fixed it: {shown.index(option) + 1}" if option in shown else "Fixed it (a workaround no longer shown)"


def acknowledgement(reply: StoredReply, votes: tuple[str, ...], *, taken_back: str | None) -> str:
    """The private line a voter sees after pressing: what they have on this reply now, and how to change it."""
    lines = [f"Took back your vote: **{vote_label(taken_back, reply)}**."] if taken_back else []
    if votes:
        lines.append("Your vote on this reply: " + ", ".join(f"**{vote_label(v, reply)}**" for v in votes) + ".")
    else:
        lines.append("You have no vote on this reply now.")
    lines.append(CHANGE_HINT)
    return "\n".join(lines)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID_PREFIX + OPTION_PATTERN):
    def __init__(self, option: str, label: str, style: discord.ButtonStyle, row: int) -> None:
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=CUSTOM_ID_PREFIX + option, row=row))
        self.option = option

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else match["option"]
        return cls(match["option"], label, discord.ButtonStyle.secondary, 0)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: KnownfixBot = interaction.client
        message = interaction.message
        reply = await bot.store.reply(message.id) if message is not None else None
        if reply is None or not self._applies_to(reply):
            await interaction.response.send_message(NOT_TRACKED, ephemeral=True)
            return
        user_id = interaction.user.id
        taken_back: str | None = None
        if self.option in await bot.store.votes_of(reply.message_id, user_id):
            await bot.store.remove_vote(reply.message_id, user_id, self.option)
            taken_back = self.option
        else:
            await metrics.STORE_SECONDS.timed(
                bot.store.add_vote(reply.message_id, user_id, self.option), operation="vote"
            )
            metrics.VOTES.inc(kind=metrics.vote_kind(self.option), via="button")
        votes = await bot.store.votes_of(reply.message_id, user_id)
        await interaction.response.send_message(acknowledgement(reply, votes, taken_back=taken_back), ephemeral=True)

    def _applies_to(self, reply: StoredReply) -> bool:
        """A workaround button counts only for a workaround that reply shows (an edit may have replaced it)."""
        if self.option.startswith(WORKAROUND_PREFIX):
            return self.option in {workaround_option(w) for w in reply.shown_workarounds if w}
        return True


def vote_view(shown: tuple[str, ...]) -> discord.ui.View:
    """The buttons under a reply showing these workaround ids: 'Fixed it: N' for each, then the other two."""
    view = discord.ui.View(timeout=None)
    for number, workaround_id in enumerate(shown[:MAX_WORKAROUNDS_SHOWN], 1):
        if workaround_id:
            view.add_item(
                VoteButton(workaround_option(workaround_id), f"Fixed it: {number}", discord.ButtonStyle.success, 0)
            )
    view.add_item(VoteButton(NONE_FIXED, NONE_WORKED_LABEL, discord.ButtonStyle.secondary, 1))
    view.add_item(VoteButton(WRONG_MATCH, WRONG_MATCH_LABEL, discord.ButtonStyle.secondary, 1))
    return view
