"""Looking things up: `/search` over the knowledge base and `/entry` to show one entry, both autocompleted."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answer import NO_MENTIONS, record_and_prompt, render_answer
from bot.render.text import clip
from bot.service import SearchHit, Service, UnknownEntryError

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

CHOICE_NAME_MAX = 100  # Discord's limit on an autocomplete choice's name
UNKNOWN_ID = "No entry has that id; pick one from the list."
NOTHING_CLOSE = "Nothing in the knowledge base is close to that."


def entry_choices(service: Service, current: str) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=clip(f"{e.title} ({e.id})", CHOICE_NAME_MAX), value=e.id)
        for e in service.find_entries(current)
    ]


def hit_line(hit: SearchHit) -> str:
    found = f" ({hit.score:.0%})" if hit.score is not None else ""
    return f"`{hit.entry.id}`{found} — {clip(hit.entry.title, 150)}"


class Lookup(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot

    async def _autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # A fuzzy pass over every title per keystroke: off the event loop, like matching.
        self.bot.require_engine()  # before the knowledge is loaded, the one error handler says so
        return await asyncio.get_running_loop().run_in_executor(None, entry_choices, self.bot.service, current[:100])

    @app_commands.command(name="search", description="Search the knowledge base")
    @app_commands.describe(query="Words from the error or the symptom")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        self.bot.require_engine()
        # Matching waits its turn in the matching thread; defer first, so a queue never misses the deadline.
        await interaction.response.defer(ephemeral=True, thinking=True)
        lines = [hit_line(hit) for hit in await self.bot.service.search(query)]
        text = "\n".join(lines) if lines else NOTHING_CLOSE
        await interaction.followup.send(
            clip(text + "\n\nShow one with `/entry`.", 2000), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    search.autocomplete("query")(_autocomplete)

    @app_commands.command(name="entry", description="Show one knowledge entry with its ranked fixes")
    @app_commands.describe(id="The entry id, e.g. pytorch/device-mismatch")
    async def entry(self, interaction: discord.Interaction, id: str) -> None:
        self.bot.require_engine()
        try:
            answer = render_answer(await self.bot.service.show_entry(id))
        except UnknownEntryError:
            await interaction.response.send_message(UNKNOWN_ID, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.send_message(**answer.message())
        sent = await interaction.original_response()
        await record_and_prompt(
            sent, answer, self.bot.store, self.bot.settings.reaction_prompts, None, interaction.user.id
        )

    entry.autocomplete("id")(_autocomplete)


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Lookup(bot))
