"""Curators' tools: `/kb gaps` (the errors the bot could not answer, most frequent first) and the
"Save as fix" message context menu (a helper's answer in a help thread becomes a draft entry).

Curators are people with Manage Server, the bot's owners, and holders of a role in `curator_roles`.
The work is in the Discord-free core (bot.gaps, bot.drafts), shared with `knownfix kb gaps|drafts`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answer import NO_MENTIONS, gather_text
from bot.drafts import DraftError, save_draft
from bot.gaps import DEFAULT_SHOWN, FINGERPRINT_SCHEME, gaps_text
from bot.matching.extract import ErrorReport, extract
from bot.render.text import clip

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

NOT_CURATOR = "Only curators (Manage Server, or a curator role) can do that."
NOT_IN_THREAD = "Use Save as fix on a helper's answer inside a help thread or forum post."
NO_QUESTION = "I found no error in this thread's first messages, so there is nothing to file the fix under."
IS_QUESTION = "That message is the question; use Save as fix on the answer that fixed it."
NO_ANSWER_TEXT = "That answer has no text to save."
SAVED = (
    "Saved draft `{id}` as `{path}`; the bot does not load it. It holds people's words: rewrite the root "
    "cause and the workaround in our own words, check the rates, then run `knownfix kb drafts --promote {id}`."
)
GAPS_HEADER = "Errors I could not answer, most frequent first (count × masked error line):"
GAPS_OFF = "\nRecording is off in this server (/config record_gaps): these counts are from before, or from elsewhere."
# Messages of a thread read, oldest first, looking for the asker's error: a help thread states its problem
# near the top, and each page is one request.
HISTORY_SCAN = 50
MESSAGE_MAX = 2000  # Discord's limit on a message's text
FENCE_ROOM = 20  # the code fence around the gaps list and its header line's newline


class Curation(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Save as fix", callback=self.save_as_fix)
        bot.tree.add_command(self.menu)

        async def gaps(interaction: discord.Interaction) -> None:  # a closure: discord.py rejects a bound method
            await self.list_gaps(interaction)

        self.gaps_command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name="gaps", description="The errors I could not answer, most frequent first (curators)", callback=gaps
        )
        self._kb_group().add_command(self.gaps_command)

    def _kb_group(self) -> app_commands.Group:
        """`/kb`, which the admin cog (loaded first) defines; gaps joins its reload."""
        group = self.bot.tree.get_command("kb")
        if not isinstance(group, app_commands.Group):
            raise RuntimeError("the /kb group is missing: load bot.chat.cogs.admin before bot.chat.cogs.curation")
        return group

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        # At shutdown the admin cog, and /kb with it, may already be gone: then there is nothing to detach.
        group = self.bot.tree.get_command("kb")
        if isinstance(group, app_commands.Group):
            group.remove_command(self.gaps_command.name)

    async def is_curator(self, interaction: discord.Interaction) -> bool:
        if interaction.permissions.manage_guild or await self.bot.is_owner(interaction.user):
            return True
        roles = getattr(interaction.user, "roles", [])  # a Member in a guild; a User elsewhere has none
        curator_roles = self.bot.servers.get(interaction.guild_id).curator_roles  # the server's (/config)
        return any(role.id in curator_roles for role in roles)

    # -- /kb gaps -----------------------------------------------------------------------------------------

    async def list_gaps(self, interaction: discord.Interaction) -> None:
        if not await self.is_curator(interaction):
            await interaction.response.send_message(NOT_CURATOR, ephemeral=True)
            return
        found = await self.bot.store.top_gaps(FINGERPRINT_SCHEME, DEFAULT_SHOWN)
        # The lines are masked and stripped of punctuation (no backticks, no mention markup) by bot.gaps.
        listing = clip(gaps_text(found), MESSAGE_MAX - len(GAPS_HEADER) - len(GAPS_OFF) - FENCE_ROOM)
        text = f"{GAPS_HEADER}\n```\n{listing}\n```"
        if not self.bot.servers.get(interaction.guild_id).record_gaps:
            text += GAPS_OFF
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # -- Save as fix --------------------------------------------------------------------------------------

    async def _report_of(self, message: discord.Message) -> ErrorReport:
        assert self.bot.http_session is not None
        gathered = await gather_text(message, self.bot.http_session, self.bot.settings.max_attachment_bytes)
        return await asyncio.to_thread(extract, gathered.text)  # bounded, but a big paste is still CPU work

    async def _question_in(self, thread: discord.Thread) -> tuple[discord.Message, ErrorReport] | None:
        """The thread's first message from a person that holds an error line, with its extraction."""
        async for message in thread.history(limit=HISTORY_SCAN, oldest_first=True):
            if message.author.bot:
                continue
            report = await self._report_of(message)
            if report.error_lines:
                return message, report
        return None

    async def _save_outcome(self, message: discord.Message) -> str:
        """What to tell the curator: where the draft went, or why there is none."""
        thread = message.channel
        if not isinstance(thread, discord.Thread):
            return NOT_IN_THREAD
        found = await self._question_in(thread)
        if found is None:
            return NO_QUESTION
        question, report = found
        if question.id == message.id:
            return IS_QUESTION
        if not message.content.strip():
            return NO_ANSWER_TEXT
        kb = self.bot.require_engine().kb
        drafts = self.bot.settings.drafts_dir
        try:
            saved = await asyncio.to_thread(save_draft, drafts, report, message.content, message.jump_url, kb)
        except DraftError as exc:
            return f"No draft saved: {exc}"
        except OSError as exc:  # the drafts folder is not writable: the operator's to fix, said in one line
            log.error("draft not saved: %s: %s", exc.filename or drafts, exc)
            return f"No draft saved: cannot write to the drafts folder {drafts} ({exc.strerror or exc})."
        log.info("draft %s saved to %s", saved.id, saved.path)
        return SAVED.format(id=saved.id, path=saved.path)

    async def save_as_fix(self, interaction: discord.Interaction, message: discord.Message) -> None:
        if not await self.is_curator(interaction):
            await interaction.response.send_message(NOT_CURATOR, ephemeral=True)
            return
        # Reading the thread and its attachments may take a few requests: defer inside the 3 s deadline.
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self._save_outcome(message)
        await interaction.followup.send(clip(outcome, MESSAGE_MAX), ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Curation(bot))
