"""`/watch`: choose the channels (text, forum, or a thread's parent) where the bot answers unprompted, and how:
answer in full, suggest in one line with a "Show fix" button, or stay off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answer import NO_MENTIONS

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

WatchableChannel = discord.TextChannel | discord.ForumChannel | discord.Thread
WatchMode = Literal["answer", "suggest", "off"]  # bot.settings.WATCH_MODES, as slash-command choices
MODE_SAID = {
    "answer": "I'll answer pasted errors there when I'm confident.",
    "suggest": "I'll suggest the fix in one line there, with a Show fix button, when I'm confident.",
    "off": "I'll stay silent there, whatever the settings list.",
}


class Watch(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot

    @app_commands.command(name="watch", description="Answer pasted errors unprompted in a channel (or stop)")
    @app_commands.describe(
        channel="The channel or forum (default: this one)",
        enabled="Watch it (default) or stop",
        mode="answer: reply in full (default); suggest: one line with a Show fix button; off: stay silent",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def watch(
        self,
        interaction: discord.Interaction,
        channel: WatchableChannel | None = None,
        enabled: bool = True,
        mode: WatchMode = "answer",
    ) -> None:
        assert interaction.guild_id is not None
        target = channel or interaction.channel
        if target is None:
            await interaction.response.send_message("Name a channel to watch.", ephemeral=True)
            return
        if isinstance(target, discord.Thread) and target.parent_id is not None:
            target_id = target.parent_id  # watching a thread means watching where its threads live
        else:
            target_id = target.id
        if enabled:
            await self.bot.store.watch(target_id, interaction.guild_id, interaction.user.id, mode)
            self.bot.watched[target_id] = mode
            text = f"Watching <#{target_id}> ({mode}): {MODE_SAID[mode]}"
        else:
            await self.bot.store.unwatch(target_id)
            self.bot.watched.pop(target_id, None)
            text = f"Stopped watching <#{target_id}>."
            if target_id in self.bot.settings.watch_channels:
                text += " It is also listed in KNOWNFIX_WATCH_CHANNELS, so it is watched again after a restart."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @watch.error
    async def watch_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.MissingPermissions):
            await interaction.response.send_message("You need the Manage Server permission for that.", ephemeral=True)
            return
        raise error


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Watch(bot))
