"""Looking things up: `/search` over the knowledge base and `/entry` to show one entry, both autocompleted."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands
from rapidfuzz import fuzz, process

from bot.chat.answer import NO_MENTIONS, answer_from, record_and_prompt
from bot.chat.buttons import vote_view
from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.matcher import Confidence, Match, MatchResult
from bot.render.text import clip

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

CHOICES_MAX = 25  # Discord's limit on autocomplete choices
CHOICE_NAME_MAX = 100


def entry_choices(engine: Engine, current: str) -> list[app_commands.Choice[str]]:
    entries = engine.kb.entries
    if not current.strip():
        picked = sorted(entries, key=lambda e: e.id)[:CHOICES_MAX]
    else:
        found = process.extract(current, engine.entry_labels, scorer=fuzz.WRatio, limit=CHOICES_MAX, score_cutoff=40)
        picked = [entries[index] for _, _, index in found]
    return [app_commands.Choice(name=clip(f"{e.title} ({e.id})", CHOICE_NAME_MAX), value=e.id) for e in picked]


class Lookup(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot

    async def _autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # A fuzzy pass over every title per keystroke: off the event loop, like matching.
        engine = self.bot.require_engine()
        return await asyncio.get_running_loop().run_in_executor(None, entry_choices, engine, current[:100])

    @app_commands.command(name="search", description="Search the knowledge base")
    @app_commands.describe(query="Words from the error or the symptom")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        engine = self.bot.require_engine()
        # Matching waits its turn in the matching thread; defer first, so a queue never misses the deadline.
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen = engine.kb.get(query)  # picked from the autocomplete list
        if chosen is not None:
            lines = [f"`{chosen.id}` — {clip(chosen.title, 150)}"]
        else:
            result = await self.bot.match(query)
            lines = [f"`{m.entry.id}` ({m.score:.0%}) — {clip(m.entry.title, 150)}" for m in result.matches]
        text = "\n".join(lines) if lines else "Nothing in the knowledge base is close to that."
        await interaction.followup.send(
            clip(text + "\n\nShow one with `/entry`.", 2000), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    search.autocomplete("query")(_autocomplete)

    @app_commands.command(name="entry", description="Show one knowledge entry with its ranked fixes")
    @app_commands.describe(id="The entry id, e.g. pytorch/device-mismatch")
    async def entry(self, interaction: discord.Interaction, id: str) -> None:
        engine = self.bot.require_engine()
        entry = engine.kb.get(id)
        if entry is None:
            await interaction.response.send_message(
                "No entry has that id; pick one from the list.", ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        shown = MatchResult(extract(""), (Match(entry, 1.0, Confidence.HIGH, "id"),), False)
        answer = answer_from(shown, await self.bot.store.feedback(entry.id))
        assert answer is not None
        await interaction.response.send_message(
            embed=answer.rendered.embed,
            files=answer.files(),
            view=vote_view(answer.rendered.shown),
            allowed_mentions=NO_MENTIONS,
        )
        sent = await interaction.original_response()
        await record_and_prompt(
            sent, answer, self.bot.store, self.bot.settings.reaction_prompts, None, interaction.user.id
        )

    entry.autocomplete("id")(_autocomplete)


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Lookup(bot))
