"""Asking on purpose: `/fix` (a modal for long tracebacks, or `text:` for one line) and the
"Find a fix" message context menu."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answer import NO_MENTIONS, Answer, gather_text, record_and_prompt, reply_with

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

NO_MATCH = (
    "No known fix matched that. Paste the whole traceback (the last lines matter most), "
    "or describe what you see in a sentence."
)
MESSAGE_GONE = "That message was deleted before I could answer it."
CANNOT_POST = "I can't post in that channel (missing permission), so I can't answer that message there."
FAILED = "Something went wrong while looking for a fix; the bot's log has the details."
# Interactions must be answered within 3 s; past this much matching time the bot defers first.
FAST_ANSWER_S = 1.5
MODAL_MAX = 4000


class FixModal(discord.ui.Modal, title="Find a fix"):
    paste: discord.ui.TextInput[FixModal] = discord.ui.TextInput(
        label="Traceback, error message or symptom",
        style=discord.TextStyle.paragraph,
        placeholder="Paste the full traceback here (the last lines matter most)",
        max_length=MODAL_MAX,
    )

    def __init__(self, cog: Asking) -> None:
        super().__init__()
        self.cog = cog

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.answer_interaction(interaction, self.paste.value)


class Asking(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Find a fix", callback=self.find_fix)
        bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def _answer_for(self, text: str) -> Answer | None:
        result = await self.bot.match(text)
        return await self.bot.answer(result) if result.matches else None

    async def _record(self, interaction: discord.Interaction, sent: discord.Message, answer: Answer) -> None:
        await record_and_prompt(
            sent, answer, self.bot.store, self.bot.settings.reaction_prompts, None, interaction.user.id
        )

    async def answer_interaction(self, interaction: discord.Interaction, text: str) -> None:
        """Answer publicly when something matched, privately when nothing did, inside the 3 s deadline."""
        task = asyncio.ensure_future(self._answer_for(text))
        done, _ = await asyncio.wait({task}, timeout=FAST_ANSWER_S)
        sent: discord.Message
        if done:
            if task.exception() is not None:
                await interaction.response.send_message(FAILED, ephemeral=True)
            answer = task.result()
            if answer is None:
                await interaction.response.send_message(NO_MATCH, ephemeral=True)
                return
            await interaction.response.send_message(
                embed=answer.rendered.embed, files=answer.files(), allowed_mentions=NO_MENTIONS
            )
            sent = await interaction.original_response()
        else:
            await interaction.response.defer(thinking=True)
            try:
                answer = await task
            except Exception:
                await interaction.followup.send(FAILED, ephemeral=True)
                raise
            if answer is None:
                # The public "thinking..." placeholder goes; the "no match" is for the asker's eyes only.
                await interaction.delete_original_response()
                await interaction.followup.send(NO_MATCH, ephemeral=True)
                return
            sent = await interaction.followup.send(
                embed=answer.rendered.embed, files=answer.files(), allowed_mentions=NO_MENTIONS, wait=True
            )
        await self._record(interaction, sent, answer)

    @app_commands.command(name="fix", description="Find a known fix for an error or a symptom")
    @app_commands.describe(text="A one-line error or symptom; leave empty to paste a long traceback")
    async def fix(self, interaction: discord.Interaction, text: str | None = None) -> None:
        if text and text.strip():
            await self.answer_interaction(interaction, text)
        else:
            await interaction.response.send_modal(FixModal(self))

    async def find_fix(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert self.bot.http_session is not None
        try:
            gathered = await gather_text(message, self.bot.http_session, self.bot.settings.max_attachment_bytes)
            answer = await self._answer_for(gathered.text) if gathered.text.strip() else None
            if answer is None:
                await interaction.followup.send(NO_MATCH, ephemeral=True)
                return
            sent = await reply_with(message, answer, self.bot.store, self.bot.settings.reaction_prompts, source_id=None)
        except discord.Forbidden:
            await interaction.followup.send(CANNOT_POST, ephemeral=True)
            return
        except Exception:
            await interaction.followup.send(FAILED, ephemeral=True)  # never leave "thinking..." hanging
            raise
        if sent is None:
            await interaction.followup.send(MESSAGE_GONE, ephemeral=True)
            return
        await interaction.followup.send(f"Answered: {sent.jump_url}", ephemeral=True)


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Asking(bot))
