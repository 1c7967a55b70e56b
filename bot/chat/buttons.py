"""Vote buttons under a reply that keep working after the bot restarts.

Each button is a `discord.ui.DynamicItem`: its custom id carries the vote it stands for (`kf:vote:<option>`,
the same option strings the store keeps, so a workaround's button names its stable id, not its position),
and the reply it votes on is the message it sits on, which Discord sends with every press. Nothing about
a reply lives in process memory, so a button on a reply posted a month and three restarts ago still counts.
Reactions stay a second way to vote (bot.chat.cogs.feedback); both write the same votes.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.feedback.votes import (
    NONE_FIXED,
    WORKAROUND_PREFIX,
    WRONG_MATCH,
    VoteChoice,
    choices_for,
    vote_label,
)
from bot.service import VoteState
from bot.store import StoreError

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "kf:vote:"
# Workaround ids are slugs of at most 48 characters (bot.knowledge.ids): the whole id stays far inside
# Discord's 100-character limit on custom ids.
OPTION_PATTERN = rf"(?P<option>{NONE_FIXED}|{WRONG_MATCH}|{re.escape(WORKAROUND_PREFIX)}[a-z0-9-]{{1,48}})"
NOT_TRACKED = "This reply is no longer tracked (it was removed or replaced), so the vote was not recorded."
NOT_RECORDED = "Your vote was not recorded: the bot could not write it down just now. Please press the button again."
CHANGE_HINT = "Press the same button again to take your vote back, or another one to change it."


def acknowledgement(state: VoteState) -> str:
    """The private line a voter sees after pressing: what they have on this reply now, and how to change it."""
    shown = state.reply.shown_workarounds
    lines = [f"Took back your vote: **{vote_label(state.taken_back, shown)}**."] if state.taken_back else []
    if state.votes:
        lines.append("Your vote on this reply: " + ", ".join(f"**{vote_label(v, shown)}**" for v in state.votes) + ".")
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
        # Answer first: Discord drops an interaction not answered within 3 s ("This interaction failed"), and
        # the write behind a vote takes several store round trips, queued behind every other press of a burst.
        # The voter sees a private "is thinking..." until the placeholder becomes what the vote did.
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.NotFound:  # too late: the voter saw "This interaction failed" and will press again
            log.warning(
                "vote %s by %s not recorded: the press came too late to answer", self.option, interaction.user.id
            )
            return  # recording it anyway would make their second press take it back
        said = await self._record(interaction)
        try:
            await interaction.edit_original_response(content=said)
        except discord.HTTPException as exc:  # the vote stands; only the voter's confirmation is lost
            log.warning("could not tell %s about their vote %s: %s", interaction.user.id, self.option, exc)

    async def _record(self, interaction: discord.Interaction[Any]) -> str:
        """Toggle the presser's vote; the line that tells them what they have on the reply now."""
        bot: KnownfixBot = interaction.client
        message = interaction.message
        try:
            state = (
                await bot.service.toggle_vote(message.id, interaction.user.id, self.option, via="button")
                if message is not None
                else None
            )
        except StoreError as exc:  # the database refused the write (locked, read-only, gone): one line says which
            log.error("vote %s by %s not recorded: %s", self.option, interaction.user.id, exc)
            return NOT_RECORDED
        except Exception:  # the bot's own fault: the traceback for the log, the same one line for the voter
            log.exception("vote %s by %s not recorded", self.option, interaction.user.id)
            return NOT_RECORDED
        if state is None:  # not a reply the bot tracks, or a workaround an edit replaced
            return NOT_TRACKED
        return acknowledgement(state)


# Button colours: a fix is good news; the other two are the same kind of "no".
_STYLES = {NONE_FIXED: discord.ButtonStyle.secondary, WRONG_MATCH: discord.ButtonStyle.secondary}


def vote_button(choice: VoteChoice) -> VoteButton:
    """The button for one vote: the fixes on the first row, 'None worked' and 'Wrong match' on the second."""
    row = 1 if choice.option in _STYLES else 0
    return VoteButton(choice.option, choice.label, _STYLES.get(choice.option, discord.ButtonStyle.success), row)


def vote_view(shown: tuple[str, ...]) -> discord.ui.View:
    """The buttons under a reply showing these workaround ids: 'Fixed it: N' for each, then the other two."""
    view = discord.ui.View(timeout=None)
    for choice in choices_for(shown):
        view.add_item(vote_button(choice))
    return view
