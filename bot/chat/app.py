"""The Discord bot: a `commands.Bot` (an `AutoShardedBot` with shard settings) that owns the engine and the store;
cogs do the talking."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot import metrics
from bot.chat.answer import NO_MENTIONS, Answer, render_answer
from bot.chat.errors import ReportingTree
from bot.chat.health import serving_health
from bot.engine import Engine
from bot.feedback.report import workaround_ids
from bot.matching.matcher import MatchResult, Thresholds
from bot.server_settings import ServerSettingsCache
from bot.service import Service
from bot.settings import Settings
from bot.store import DatabaseLock, Store, events
from bot.store.coordination import coordination_for
from bot.store.store import StoreUnavailableError

log = logging.getLogger(__name__)

# A stopping bot waits for running handlers while they make progress: a backlog of votes that is
# still draining is let finish, a handler stuck for SHUTDOWN_STALL_S (a request that never answers) is
# not waited for. SHUTDOWN_MAX_S stays under deploy/compose.yaml's 20 s stop_grace_period, after which
# Docker kills the process.
SHUTDOWN_STALL_S = 5.0
SHUTDOWN_MAX_S = 15.0
# Tasks discord.py starts for events, application commands and persistent buttons (a vote press answered
# at once and written after): the handlers a shutdown lets finish.
HANDLER_TASK_PREFIXES = ("discord.py: on_", "CommandTree-invoker", "discord-ui-dynamic-item-")

EXTENSIONS = (
    "bot.chat.cogs.passive",
    "bot.chat.cogs.asking",
    "bot.chat.cogs.mention",
    "bot.chat.cogs.lookup",
    "bot.chat.cogs.feedback",
    "bot.chat.cogs.watch",
    "bot.chat.cogs.admin",
    "bot.chat.cogs.curation",  # after admin: adds `gaps` to its /kb group
    "bot.chat.cogs.config",
)


def intents(message_content: bool = True) -> discord.Intents:
    chosen = discord.Intents.default()  # guilds, guild messages, guild reactions, ...
    # Privileged: enable it in the developer portal too. Without it (KNOWNFIX_MESSAGE_CONTENT=false) the bot
    # still answers /fix, Find a fix, mentions and replies to it, whose content Discord always delivers.
    chosen.message_content = message_content
    return chosen


def shard_options(settings: Settings) -> dict[str, Any]:
    """What AutoShardedBot is told: the shards in all, and this process's (None: every one)."""
    if settings.shard_count is None:
        return {}
    ids = list(settings.shard_ids) if settings.shard_ids is not None else None
    return {"shard_count": settings.shard_count, "shard_ids": ids}


def syncs_commands(settings: Settings) -> bool:
    """Whether this process registers the slash commands at start (KNOWNFIX_SYNC_COMMANDS): with `auto`, the one
    holding shard 0, or the only process; every start of every process overwriting them is wasted requests."""
    if settings.sync_commands != "auto":
        return settings.sync_commands == "always"
    return settings.shard_ids is None or 0 in settings.shard_ids


class KnownfixBot(commands.Bot):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(settings.message_content),
            allowed_mentions=NO_MENTIONS,
            owner_ids=set(settings.owner_ids) or None,
            help_command=None,
            tree_cls=ReportingTree,  # every failed command ends with a private line, never a hanging "thinking..."
            **shard_options(settings),
        )
        self.settings = settings
        self.store = Store(settings.database)
        # One reply per message and the cooldowns: in memory (SQLite), or through the database (PostgreSQL).
        self.coordination = coordination_for(self.store)
        self._following: set[asyncio.Task[None]] = set()  # events from other processes being applied
        self.engine: Engine | None = None
        # Watched channel id -> its mode (bot.settings.WATCH_MODES); /watch's choices override the settings'.
        self.watched: dict[int, str] = dict.fromkeys(settings.watch_channels, settings.watch_mode)
        # Each server's settings (/config over the settings' defaults), in memory: read per message.
        self.servers = ServerSettingsCache(settings)
        self.http_session: aiohttp.ClientSession | None = None
        # Matching is CPU work: one big paste must not hold up heartbeats and other messages.
        self._matching = ThreadPoolExecutor(max_workers=1, thread_name_prefix="knownfix-match")
        # What the cogs ask (bot.service); the engine and the servers' settings are read at each call, since
        # /kb reload replaces the one and a resync the other.
        self.service = Service(
            self.require_engine, self.store, lambda guild_id: self.servers.get(guild_id), self._matching
        )

    async def setup_hook(self) -> None:
        self.engine = await asyncio.to_thread(Engine.load, self.settings.knowledge, self.settings.thresholds)
        log.info("knowledge: %d entries, %d problems", len(self.engine.kb), len(self.engine.kb.problems))
        # The knowledge first: an old database's position-keyed votes are moved to workaround ids by it.
        self.store.workaround_ids = workaround_ids(self.engine.kb)
        await self.store.open()
        await self.store.ensure_writable()  # a read-only database fails now, not at the first vote
        # Listening before reading: a change another process makes meanwhile is heard, not missed.
        await self.store.listen(self._heard)
        self.watched |= await self.store.watched_channels()
        self.servers.load(await self.store.server_settings())
        self.http_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if syncs_commands(self.settings):
            await self.sync_commands()
        else:
            log.info("slash commands left to another process (KNOWNFIX_SYNC_COMMANDS=%s)", self.settings.sync_commands)

    async def sync_commands(self) -> None:
        if self.settings.dev_guild:
            guild = discord.Object(id=self.settings.dev_guild)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    # -- what other processes on the same database change (bot.store.events) ----------------------------

    def _heard(self, event: events.Event) -> None:
        """Called by the store's listener: apply the event in a task of its own, off the listener's callback."""
        task = asyncio.create_task(self._follow(event), name=f"knownfix event {event.kind}")
        self._following.add(task)
        task.add_done_callback(self._following.discard)

    async def _follow(self, event: events.Event) -> None:
        try:
            if event.kind == events.SETTINGS and event.guild_id is not None:
                stored = await self.store.server_settings(event.guild_id)
                self.servers.put(event.guild_id, stored.get(event.guild_id, {}))
            elif event.kind == events.WATCH and event.channel_id is not None:
                if event.mode is None:
                    self.watched.pop(event.channel_id, None)
                else:
                    self.watched[event.channel_id] = event.mode
            elif event.kind == events.RELOAD:
                await self.reload_knowledge(announce=False)
            elif event.kind == events.RESYNC:
                await self._resync()
            log.info("applied a change from another process: %s", event.kind)
        except Exception:
            log.exception("could not apply a change from another process: %s", event)

    async def _resync(self) -> None:
        """Everything events would have told, read again (after the listener lost its connection)."""
        self.watched = dict.fromkeys(self.settings.watch_channels, self.settings.watch_mode)
        self.watched |= await self.store.watched_channels()
        stored = await self.store.server_settings()
        self.servers = ServerSettingsCache(self.settings)
        self.servers.load(stored)

    async def shut_down(self, gateway: asyncio.Task[None]) -> None:
        """The clean stop (SIGTERM): stop taking events, let running handlers finish, then close."""
        # Cancelling the task that reads the gateway stops new events at once; the connection stays
        # open (heartbeats go on) so that running handlers can still post, until close() ends it.
        gateway.cancel()
        await asyncio.wait({gateway})
        log.info("shutting down: no new events after gateway event %s", self.ws.sequence if self.ws else None)
        await self.close()

    async def _finish_handlers(self) -> None:
        """Wait for running event and command handlers while they finish (see SHUTDOWN_STALL_S and
        SHUTDOWN_MAX_S); cancel those left over, whose store writes still complete (Store._write)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_MAX_S
        while running := self._running_handlers():
            window = min(SHUTDOWN_STALL_S, deadline - loop.time())
            finished: set[asyncio.Task[object]] = set()
            if window > 0:
                finished, _ = await asyncio.wait(running, timeout=window)
            if not finished:
                log.warning("shutting down: %d handler(s) stopped making progress, cancelled", len(running))
                for task in running:
                    task.cancel()
                return
            # Then look again: the rest, and any a handler started meanwhile (a command's follow-up).

    def _running_handlers(self) -> list[asyncio.Task[object]]:
        current = asyncio.current_task()
        return [
            task
            for task in asyncio.all_tasks()
            if task is not current and not task.done() and task.get_name().startswith(HANDLER_TASK_PREFIXES)
        ]

    async def close(self) -> None:
        # Handlers already running (a reply being posted, a vote being written) finish first, so nothing
        # is sent without being recorded; the store closes only after them.
        await self._finish_handlers()
        await super().close()
        if self.http_session is not None:
            await self.http_session.close()
        await self.store.close()
        self._matching.shutdown(wait=False, cancel_futures=True)

    async def on_message(self, message: discord.Message, /) -> None:
        """No text commands: every command is an application command, and a message that mentions the bot
        is a question for bot.chat.cogs.mention, not a prefix command to look up."""
        metrics.MESSAGES_SEEN.inc()  # every message the gateway delivers passes here, once

    async def on_ready(self) -> None:
        log.info(
            "connected as %s to %d guild(s); watching %d channel(s)", self.user, len(self.guilds), len(self.watched)
        )

    # -- the core, off the event loop -----------------------------------------------------------------

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """A store that lost its database refuses every write: one line per event says what was not recorded;
        the traceback would repeat the same story for every vote."""
        exc = sys.exc_info()[1]
        metrics.ERRORS.inc(event=event_method)
        if isinstance(exc, StoreUnavailableError):
            log.error("%s: not recorded: %s", event_method, exc)
            return
        await super().on_error(event_method, *args, **kwargs)

    def require_engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("the knowledge base is not loaded yet")
        return self.engine

    def may_answer(self, text: str, packs_answer: bool | None = None) -> bool:
        return self.require_engine().may_answer(text, packs_answer)

    # The faces' shared work is the service's (bot.service); these keep the passive cog's calls as they were.

    async def match(self, text: str, thresholds: Thresholds | None = None) -> MatchResult:
        """Match off the event loop; `thresholds` (a server's) decide instead of the settings' defaults."""
        return await self.service.match(text, thresholds)

    async def answer(self, result: MatchResult) -> Answer | None:
        """The reply for a match, ranked with the fix rates the votes so far give, rendered for Discord."""
        reply = await self.service.reply_for(result)
        return render_answer(reply) if reply is not None else None

    async def note_gap(self, result: MatchResult, guild_id: int | None = None) -> None:
        """Count an error report the bot could not answer (bot.gaps), unless recording is off (in that server)."""
        await self.service.note_gap(result, guild_id)

    async def reload_knowledge(self, announce: bool = True) -> Engine:
        """Re-read the knowledge; `announce` tells the other processes on the database to do the same."""
        engine = await asyncio.to_thread(Engine.load, self.settings.knowledge, self.settings.thresholds)
        self.engine = engine
        if announce:
            await self.store.announce(events.Event(events.RELOAD))
        return engine


class ShardedKnownfixBot(KnownfixBot, commands.AutoShardedBot):
    """The same bot over discord.py's AutoShardedBot: the shards named by the settings, in this process."""

    async def shut_down(self, gateway: asyncio.Task[None]) -> None:
        # Each shard reads its own connection in a task of its own: stop them all before the handlers drain.
        for shard in self.shards.values():
            shard._parent._cancel_task()  # discord.py has no public way to stop reading and keep the connection
        await super().shut_down(gateway)


def make_bot(settings: Settings) -> KnownfixBot:
    return ShardedKnownfixBot(settings) if settings.shard_count is not None else KnownfixBot(settings)


async def run_bot(settings: Settings) -> None:
    # Before anything else: a second bot on this database stops here, in one line, having sent nothing.
    with DatabaseLock(settings.database):
        bot = make_bot(settings)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with bot, serving_health(bot):
            runner = asyncio.create_task(bot.start(settings.token))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if stopper in done:
                await bot.shut_down(runner)
            else:
                await runner  # the bot stopped by itself: its error, if any, is the command's
