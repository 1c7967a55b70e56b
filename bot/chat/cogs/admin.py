"""`/stats` for everyone; `/kb reload` for the bot's owners."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answer import NO_MENTIONS
from bot.feedback.report import rate_changes
from bot.knowledge.markdown import percent
from bot.render.text import clip

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot


class Admin(commands.Cog):
    kb = app_commands.Group(name="kb", description="Knowledge base maintenance (bot owners)")

    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="Replies, feedback, and the fix rates that moved most")
    async def stats(self, interaction: discord.Interaction) -> None:
        engine = self.bot.require_engine()
        await interaction.response.defer(thinking=True)  # one query per voted entry: may take a moment
        figures = await self.bot.store.stats()
        feedback = await self.bot.store.all_feedback()
        changes = rate_changes(engine.kb, {k: v.tallies for k, v in feedback.items()})
        embed = discord.Embed(title="knownfix stats", colour=0x3498DB)
        if not self.bot.store.healthy:
            # Votes and replies are no longer recorded: the people running the bot must see it here first.
            embed.description = clip(f"⚠️ Store problem: {self.bot.store.problem}", 1000)
            embed.colour = discord.Colour.red()
        embed.add_field(name="Knowledge", value=f"{len(engine.kb)} entries", inline=True)
        embed.add_field(name="Replies", value=str(figures.replies), inline=True)
        embed.add_field(name="Votes", value=str(figures.votes), inline=True)
        if figures.top_entries:
            embed.add_field(
                name="Most matched",
                value=clip("\n".join(f"`{e}` × {n}" for e, n in figures.top_entries), 1024),
                inline=False,
            )
        if changes:
            lines = [
                f"`{c.entry_id}` `{c.workaround_id}`: curated {percent(c.curated)}% → observed {percent(c.observed)}% "
                f"({c.reports} reports)"
                for c in changes[:5]
            ]
            embed.add_field(name="Fix rates that moved most", value=clip("\n".join(lines), 1024), inline=False)
        if figures.wrong_matches:
            embed.add_field(
                name="Reported as wrong matches",
                value=clip("\n".join(f"`{e}` × {n}" for e, n in figures.wrong_matches), 1024),
                inline=False,
            )
        await interaction.followup.send(embed=embed, allowed_mentions=NO_MENTIONS)

    @kb.command(name="reload", description="Re-read the knowledge base from disk")
    async def reload(self, interaction: discord.Interaction) -> None:
        if not await self.bot.is_owner(interaction.user):
            await interaction.response.send_message("Only the bot's owners can reload knowledge.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        engine = await self.bot.reload_knowledge()
        problems = "\n".join(str(p) for p in engine.kb.problems[:10])
        more = len(engine.kb.problems) - 10
        text = f"Reloaded {len(engine.kb)} entries, {len(engine.kb.problems)} problem(s)."
        if problems:
            text += f"\n```\n{clip(problems, 1500)}\n```" + (f"\n…and {more} more" if more > 0 else "")
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Admin(bot))
