"""One place that answers a failed interaction: whatever a command, context menu or modal raised, the
person who used it sees one short private line, and no "is thinking..." placeholder is left behind.

The command tree's `on_error` comes here (the bot is built with `ReportingTree`), and so does the
modal's (`FixModal.on_error`), which discord.py does not route through the tree.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.chat.answer import NO_MENTIONS  # a refusal's reason may quote what the person typed
from bot.render.text import clip

log = logging.getLogger(__name__)

FAILED = "Something went wrong while answering that; the bot's log has the details."
MESSAGE_MAX = 2000  # Discord's limit on a message's text


async def _still_thinking_in_public(interaction: discord.Interaction) -> bool:
    """Whether the deferred answer is still a public "is thinking..." placeholder: the first follow-up
    would replace it and show the failure to the whole channel."""
    if interaction.response.type is not discord.InteractionResponseType.deferred_channel_message:
        return False
    original = await interaction.original_response()
    return original.flags.loading and not original.flags.ephemeral


async def tell_privately(interaction: discord.Interaction, text: str) -> None:
    """Say `text` to the person who used the interaction only, however far it had got."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if await _still_thinking_in_public(interaction):
            await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:  # too late (the 3 s or 15 min window passed), or Discord is down
        log.warning("could not tell %s about interaction %s: %s", interaction.user.id, interaction.id, exc)


def _what(interaction: discord.Interaction) -> str:
    command = interaction.command
    return f"command {command.name!r}" if command is not None else f"interaction {interaction.type.name}"


async def report_failure(interaction: discord.Interaction, error: BaseException) -> None:
    """The bot's own code raised: log it with its traceback, then tell the person who asked."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    log.error("%s failed for user %s", _what(interaction), interaction.user.id, exc_info=original)
    await tell_privately(interaction, FAILED)


class ReportingTree(app_commands.CommandTree[discord.Client]):
    """The command tree, with every unhandled command error answered: failures of the bot's own code by
    `report_failure`; refusals (a check failed, an option did not convert) with discord.py's one-line
    reason, unless the command's own error handler already answered (discord.py calls this after it)."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        if isinstance(error, app_commands.CommandInvokeError):
            await report_failure(interaction, error)
        elif not interaction.response.is_done():
            log.info("%s refused for user %s: %s", _what(interaction), interaction.user.id, error)
            await tell_privately(interaction, clip(str(error), MESSAGE_MAX))
