"""Asking on purpose: `/fix` (a modal for long tracebacks, or `text:` for one line) and the
"Find a fix" message context menu."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import metrics
from bot.chat.answer import NO_MENTIONS, Answer, gather_text, record_and_prompt, render_answer, reply_with
from bot.chat.candidates import OpenEntryButton, not_sure_message
from bot.chat.errors import report_failure
from bot.paste import PasteSources
from bot.store.coordination import MessageLocks

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

NO_MATCH = (
    "No known fix matched that. Paste the whole traceback (the last lines matter most), "
    "or describe what you see in a sentence."
)
MESSAGE_GONE = "That message was deleted before I could answer it."
CANNOT_POST = "I can't post in that channel (missing permission), so I can't answer that message there."
ALREADY_ANSWERED = "That message already has an answer: {url}"
COOLING_DOWN = "You can post another answer with Find a fix in {seconds} s."
# Interactions must be answered within 3 s; past this much matching time the bot defers first.
FAST_ANSWER_S = 1.5
MODAL_MAX = 4000


class UserCooldown:
    """At most one public answer per person every `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[int, float] = {}

    def wait_left(self, user_id: int, now: float | None = None) -> float:
        """Seconds until this person may post again; 0 when they may now."""
        now = time.monotonic() if now is None else now
        last = self._last.get(user_id)
        return 0.0 if last is None else max(0.0, last + self.seconds - now)

    def claim(self, user_id: int, now: float | None = None) -> bool:
        """Take the person's slot if it is free. Check and take happen with no await in between, so two
        uses finishing at the same time cannot both post."""
        now = time.monotonic() if now is None else now
        if self.wait_left(user_id, now) > 0:
            return False
        self._last[user_id] = now
        return True

    def release(self, user_id: int) -> None:
        """Give the slot back: the claim posted nothing."""
        self._last.pop(user_id, None)


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

    # discord.py calls a modal's on_error without the `item` its View base declares, and never routes
    # modal errors to the command tree's handler.
    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await report_failure(interaction, error)


class Asking(commands.Cog):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot
        # Also installable by a person, not only a server: then it works on messages anywhere that person can
        # use apps, and answers privately where the bot itself is not a member (see find_fix).
        self.menu = app_commands.ContextMenu(
            name="Find a fix",
            callback=self.find_fix,
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
        )
        self._cooldowns: dict[int, UserCooldown] = {}  # per server: each has its own seconds (/config)
        self.pastes = PasteSources(bot.settings.paste_base_urls)
        self._locks = MessageLocks()  # one use at a time per message
        bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    def _cooldown_for(self, message: discord.Message) -> UserCooldown:
        """The message's server's Find a fix cooldown, with its current seconds: a /config change applies at once."""
        guild_id = message.guild.id if message.guild else 0
        seconds = self.bot.servers.get(guild_id or None).find_fix_cooldown
        cooldown = self._cooldowns.setdefault(guild_id, UserCooldown(seconds))
        cooldown.seconds = seconds
        return cooldown

    async def _answer_for(self, text: str, guild_id: int | None = None) -> Answer | dict[str, Any]:
        """The full answer when the asked-mode decision says the best match is likely right; otherwise the
        private message to send instead: the closest entries to open, or "no match" when there are none."""
        asked = await self.bot.service.answer(text, guild_id)
        metrics.ASKED.inc(outcome="answer" if asked.reply is not None else "no_confident_match")
        if asked.reply is not None:
            return render_answer(asked.reply)
        return not_sure_message(asked.candidates) if asked.candidates else {"content": NO_MATCH}

    async def _record(self, interaction: discord.Interaction, sent: discord.Message, answer: Answer) -> None:
        await record_and_prompt(
            sent, answer, self.bot.store, self.bot.settings.reaction_prompts, None, interaction.user.id
        )

    async def answer_interaction(self, interaction: discord.Interaction, text: str) -> None:
        """Answer publicly when something matched, privately when nothing did, inside the 3 s deadline.
        A failure propagates to the one error handler (bot.chat.errors), which tells the asker privately."""
        task = asyncio.ensure_future(self._answer_for(text, interaction.guild_id))
        done, _ = await asyncio.wait({task}, timeout=FAST_ANSWER_S)
        sent: discord.Message
        if done:
            answer = task.result()
            if not isinstance(answer, Answer):
                await interaction.response.send_message(**answer, ephemeral=True)
                return
            await interaction.response.send_message(**answer.message())
            sent = await interaction.original_response()
        else:
            await interaction.response.defer(thinking=True)
            answer = await task
            if not isinstance(answer, Answer):
                # The public "thinking..." placeholder goes; the "no match" is for the asker's eyes only.
                await interaction.delete_original_response()
                await interaction.followup.send(**answer, ephemeral=True)
                return
            sent = await interaction.followup.send(**answer.message(), wait=True)
        await self._record(interaction, sent, answer)
        metrics.REPLIES.inc(mode="asked")

    @app_commands.command(name="fix", description="Find a known fix for an error or a symptom")
    @app_commands.describe(text="A one-line error or symptom; leave empty to paste a long traceback")
    async def fix(self, interaction: discord.Interaction, text: str | None = None) -> None:
        if text and text.strip():
            await self.answer_interaction(interaction, text)
        else:
            await interaction.response.send_modal(FixModal(self))

    # -- Find a fix: one public reply per message, however many people ask -----------------------------

    async def _live_reply_to(self, message: discord.Message) -> discord.Message | None:
        """The bot's reply to `message` that is still there (the store's one live reply per message).
        A moderator may have deleted it without 🗑️; then it no longer counts."""
        stored = await self.bot.store.reply_to(message.id)
        if stored is None:
            return None
        try:
            return await message.channel.fetch_message(stored.message_id)
        except discord.NotFound:
            await self.bot.store.mark_deleted(stored.message_id)
            return None

    async def _post_answer(self, user_id: int, message: discord.Message, answer: Answer) -> str:
        """Reply to `message` in public when the person's cooldown allows; what to tell them privately."""
        cooldown = self._cooldown_for(message)
        if not cooldown.claim(user_id):  # another use of theirs posted while this one matched
            return COOLING_DOWN.format(seconds=math.ceil(cooldown.wait_left(user_id)))
        try:
            sent = await reply_with(
                message, answer, self.bot.store, self.bot.settings.reaction_prompts, source_id=message.id
            )
        except discord.Forbidden:
            cooldown.release(user_id)
            return CANNOT_POST
        if sent is None:
            cooldown.release(user_id)
            return MESSAGE_GONE
        metrics.REPLIES.inc(mode="find-a-fix")
        return f"Answered: {sent.jump_url}"

    async def _find_fix_outcome(self, user_id: int, message: discord.Message) -> dict[str, Any]:
        """What the user who used Find a fix is told privately (the public answer, when there is one, is
        posted on the way)."""
        outcome = await self._find_fix(user_id, message)
        return {"content": outcome} if isinstance(outcome, str) else outcome

    async def _find_fix(self, user_id: int, message: discord.Message) -> str | dict[str, Any]:
        async with self._locks.lock(message.id):
            existing = await self._live_reply_to(message)
            if existing is not None:
                return ALREADY_ANSWERED.format(url=existing.jump_url)
            wait = self._cooldown_for(message).wait_left(user_id)
            if wait > 0:  # checked before matching too, so a flood of uses costs no matching
                return COOLING_DOWN.format(seconds=math.ceil(wait))
            assert self.bot.http_session is not None
            gathered = await gather_text(
                message, self.bot.http_session, self.bot.settings.max_attachment_bytes, self.pastes
            )
            guild_id = message.guild.id if message.guild else None
            if not gathered.text.strip():
                return NO_MATCH
            answer = await self._answer_for(gathered.text, guild_id)
            if not isinstance(answer, Answer):
                return answer
            return await self._post_answer(user_id, message, answer)

    async def find_fix(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Answer someone's message in public, once; everything else the user is told privately.
        A failure propagates to the one error handler (bot.chat.errors), which replaces the "thinking..."."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not self._bot_is_member_there(interaction):
            await self._answer_privately(interaction, message)
            return
        outcome = await self._find_fix_outcome(interaction.user.id, message)
        await interaction.followup.send(**outcome, ephemeral=True)

    def _bot_is_member_there(self, interaction: discord.Interaction) -> bool:
        """Whether the bot can post in the place the command was used: a server it is in. A person's own
        install works in servers without the bot and in DMs, where it can only answer the person."""
        return interaction.guild_id is not None and self.bot.get_guild(interaction.guild_id) is not None

    async def _answer_privately(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Find a fix through a person's own install: the answer is for their eyes only and not recorded
        (votes need a public reply that others can see and vote on)."""
        assert self.bot.http_session is not None
        gathered = await gather_text(
            message, self.bot.http_session, self.bot.settings.max_attachment_bytes, self.pastes
        )
        answer = await self._answer_for(gathered.text) if gathered.text.strip() else {"content": NO_MATCH}
        if not isinstance(answer, Answer):
            await interaction.followup.send(**answer, ephemeral=True)
            return
        await interaction.followup.send(
            embed=answer.rendered.embed, files=answer.files(), ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: KnownfixBot) -> None:
    bot.add_dynamic_items(OpenEntryButton)  # found by custom id: candidates offered before a restart still open
    await bot.add_cog(Asking(bot))


async def teardown(bot: KnownfixBot) -> None:
    bot.remove_dynamic_items(OpenEntryButton)
