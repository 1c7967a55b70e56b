"""The service both faces call: the Discord bot's cogs and the command line ask it, never the core directly.

It sits between the core (the engine, the reply model, the store, the fix rates) and the faces, and knows
nothing of Discord or of a terminal: a cog translates a Discord event into a call and the result into a
message; the command line does the same with arguments and text. What it offers:

- assess a message nobody asked the bot about (the passive decision);
- answer a question put to the bot (the asked decision: the full reply, or "no confident match" and the
  closest entries);
- search the entries, and show one entry as a reply (no match behind it);
- record a vote, take one back, read a voter's votes;
- the effective settings (a server's, or the deployment's).
"""

from __future__ import annotations

import asyncio
import difflib
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot import metrics
from bot.engine import Engine
from bot.feedback.votes import is_workaround_option, vote_kind, workaround_option
from bot.gaps import unanswered_gap
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.model import Entry
from bot.matching.matcher import Confidence, Match, MatchResult, Thresholds
from bot.reply import Reply, build_reply, entry_reply, reply_for
from bot.server_settings import ServerSettings
from bot.store import EntryFeedback, Store, StoredReply

EngineSource = Callable[[], Engine]  # the engine now: the bot swaps it on /kb reload
ServerSettingsSource = Callable[[int | None], ServerSettings]  # a server's effective settings (None: no server)

# Candidates offered when no match is confident enough to answer: enough to pick from, not a page.
NO_CONFIDENT_CANDIDATES = 3
# Entries offered for a few typed letters (Discord's autocomplete takes at most 25 choices).
FIND_ENTRIES_MAX = 25
# rapidfuzz WRatio below this is noise for a typed fragment of an entry's id or title.
FIND_ENTRIES_CUTOFF = 40
# Close ids named when an id matches no entry: a typo usually has one or two near neighbours.
CLOSE_IDS = 2
SEARCH_RESULTS = 5  # /search lists the ranking the matcher makes for the query, its usual five


class UnknownEntryError(LookupError):
    """No entry has this id; `close` names the ids it is probably a typo of."""

    def __init__(self, entry_id: str, close: Sequence[str]) -> None:
        super().__init__(entry_id)
        self.entry_id = entry_id
        self.close = tuple(close)


def find_entry(kb: KnowledgeBase, entry_id: str) -> Entry:
    """The entry with this id; UnknownEntryError names the closest ids (a typo more often than not). Also for
    the commands that read the knowledge without indexing it (`knownfix kb show`, `kb export-md`)."""
    entry = kb.get(entry_id)
    if entry is None:
        close = difflib.get_close_matches(entry_id, [e.id for e in kb.entries], CLOSE_IDS)
        raise UnknownEntryError(entry_id, close)
    return entry


@dataclass(frozen=True)
class Assessment:
    """The passive decision on a message nobody asked the bot about."""

    result: MatchResult
    reply: Reply | None  # what to post unprompted; None: stay silent


@dataclass(frozen=True)
class Asked:
    """The answer to a question put to the bot."""

    result: MatchResult
    reply: Reply | None  # the full reply; None: no confident match (see `candidates`)

    @property
    def candidates(self) -> tuple[Match, ...]:
        """The closest entries, offered when there is no reply to show and the matcher says they are worth
        offering (a problem report with a likely enough best match: bot.matching, `offer`)."""
        if self.reply is not None or not self.result.offer:
            return ()
        return self.result.matches[:NO_CONFIDENT_CANDIDATES]


@dataclass(frozen=True)
class SearchHit:
    entry: Entry
    score: float | None  # how well it matched the query; None when the query named the entry's id


@dataclass(frozen=True)
class VoteState:
    """What a voter has on a reply after pressing a vote."""

    reply: StoredReply
    votes: tuple[str, ...]  # the voter's votes on the reply now
    taken_back: str | None  # the vote this press took back, if it took one back


class Service:
    def __init__(
        self,
        engine: EngineSource,
        store: Store | None = None,
        server_settings: ServerSettingsSource | None = None,
        matching: Executor | None = None,
    ) -> None:
        """`store` None: no fix rates from votes, no gaps, no votes (the command line's `match`).
        `server_settings` None: no per-server settings, the engine's own thresholds decide.
        `matching` runs matching off the event loop (the bot's one worker thread); None matches inline."""
        self._engine = engine
        self.store = store
        self._server_settings = server_settings
        self._matching = matching

    @classmethod
    def over(cls, engine: Engine, store: Store | None = None) -> Service:
        """A service over one engine that never changes (the command line, tests)."""
        return cls(lambda: engine, store)

    @property
    def engine(self) -> Engine:
        return self._engine()

    # -- settings -------------------------------------------------------------------------------------------

    def settings_for(self, guild_id: int | None = None) -> ServerSettings | None:
        """A server's effective settings (its /config over the deployment's defaults); None without settings."""
        return self._server_settings(guild_id) if self._server_settings is not None else None

    def _thresholds(self, guild_id: int | None) -> Thresholds | None:
        settings = self.settings_for(guild_id)
        return settings.thresholds if settings is not None else None

    def _records_gaps(self, guild_id: int | None) -> bool:
        settings = self.settings_for(guild_id)
        return self.store is not None and (settings is None or settings.record_gaps)

    # -- matching -------------------------------------------------------------------------------------------

    def may_answer(self, text: str, guild_id: int | None = None) -> bool:
        """The passive pre-filter: False clears chat without matching it (the server's packs_answer applies)."""
        settings = self.settings_for(guild_id)
        return self.engine.may_answer(text, settings.packs_answer if settings is not None else None)

    async def match(self, text: str, thresholds: Thresholds | None = None, top: int = 5) -> MatchResult:
        """Rank the knowledge for a text; `thresholds` decide instead of the engine's own (a server's)."""
        work = functools.partial(self.engine.match, text, top=top, thresholds=thresholds)
        metrics.MATCHES.inc()
        if self._matching is None:
            return work()
        loop = asyncio.get_running_loop()
        return await metrics.MATCH_SECONDS.timed(loop.run_in_executor(self._matching, work))

    async def _feedback(self, entry_id: str) -> EntryFeedback | None:
        if self.store is None:
            return None
        return await metrics.STORE_SECONDS.timed(self.store.feedback(entry_id), operation="feedback")

    async def reply_for(self, result: MatchResult) -> Reply | None:
        """The reply for a match's best entry, its workarounds ranked by the fix rates the votes so far give."""
        if result.best is None:
            return None
        feedback = await self._feedback(result.best.entry.id)
        if feedback is None:
            return reply_for(result)
        return reply_for(result, feedback.tallies, feedback.wrong_match)

    async def note_gap(self, result: MatchResult, guild_id: int | None = None) -> None:
        """Count an error report that got no answer (bot.gaps), unless recording is off (in that server)."""
        gap = unanswered_gap(result) if self._records_gaps(guild_id) else None
        if gap is not None and self.store is not None:
            await metrics.STORE_SECONDS.timed(self.store.record_gap(gap), operation="record_gap")
            metrics.GAPS_RECORDED.inc()

    async def assess(self, text: str, guild_id: int | None = None, *, note_gap: bool = True) -> Assessment:
        """The passive decision on a message (the server's thresholds decide); `note_gap` counts an error report
        left unanswered among the gaps (a new message only: an edit is the same report again)."""
        result = await self.match(text, self._thresholds(guild_id))
        if note_gap:
            await self.note_gap(result, guild_id)
        return Assessment(result, await self.reply_for(result) if result.reply else None)

    async def answer(self, text: str, guild_id: int | None = None, *, top: int = 5) -> Asked:
        """The answer to a question put to the bot: the full reply when the asked-mode decision says the match
        is sure enough, else none and the closest entries. An error report left without a confident answer is
        counted among the gaps."""
        result = await self.match(text, top=top)
        await self.note_gap(result, guild_id)
        return Asked(result, await self.reply_for(result) if result.answer else None)

    # -- entries --------------------------------------------------------------------------------------------

    def entry(self, entry_id: str) -> Entry:
        """The entry with this id; UnknownEntryError names the closest ids (a typo more often than not)."""
        return find_entry(self.engine.kb, entry_id)

    async def show_entry(self, entry_id: str) -> Reply:
        """One entry as a reply (no match behind it), its workarounds ranked by their live fix rates."""
        entry = self.entry(entry_id)
        feedback = await self._feedback(entry.id)
        return entry_reply(entry, feedback.tallies if feedback else None, feedback.wrong_match if feedback else 0)

    async def expand_suggestion(self, entry_id: str, score: float, confidence: str) -> Reply:
        """The full reply a one-line suggestion stands for: the match as it was when suggested (its score and
        confidence are stored with the suggestion), ranked with today's fix rates."""
        entry = self.entry(entry_id)
        feedback = await self._feedback(entry.id)
        suggested = Match(entry, score, Confidence(confidence), "suggested")
        tallies = feedback.tallies if feedback else None
        return build_reply(suggested, (), tallies, feedback.wrong_match if feedback else 0)

    def find_entries(self, typed: str, limit: int = FIND_ENTRIES_MAX) -> list[Entry]:
        """Entries whose id or title is like what someone typed (autocomplete); by id when nothing is typed."""
        entries = self.engine.kb.entries
        if not typed.strip():
            return sorted(entries, key=lambda e: e.id)[:limit]
        labels = self.engine.entry_labels
        found = process.extract(typed, labels, scorer=fuzz.WRatio, limit=limit, score_cutoff=FIND_ENTRIES_CUTOFF)
        return [entries[index] for _, _, index in found]

    async def search(self, query: str) -> list[SearchHit]:
        """The entries for a query: the one it names by id (picked from autocomplete), else the matcher's ranking."""
        named = self.engine.kb.get(query)
        if named is not None:
            return [SearchHit(named, None)]
        result = await self.match(query, top=SEARCH_RESULTS)
        return [SearchHit(m.entry, m.score) for m in result.matches]

    # -- votes ----------------------------------------------------------------------------------------------

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("votes need a store")
        return self.store

    async def tracked_reply(self, message_id: int) -> StoredReply | None:
        """The bot's reply recorded for this message id, or None when the message is not one (any longer)."""
        return await self._store().reply(message_id)

    @staticmethod
    def counts_on(reply: StoredReply, option: str) -> bool:
        """Whether a vote means something on this reply: a workaround vote only for a workaround it shows
        (an edit may have replaced it, a suggestion shows none)."""
        if is_workaround_option(option):
            return option in {workaround_option(w) for w in reply.shown_workarounds if w}
        return True

    async def cast_vote(self, reply: StoredReply, user_id: int, option: str, via: str) -> bool:
        """Record a vote (`via`: how it was cast, for the metrics); False when it was already there."""
        store = self._store()
        added = await metrics.STORE_SECONDS.timed(store.add_vote(reply.message_id, user_id, option), operation="vote")
        if added:
            metrics.VOTES.inc(kind=vote_kind(option), via=via)
        return added

    async def take_back_vote(self, reply: StoredReply, user_id: int, option: str) -> bool:
        return await self._store().remove_vote(reply.message_id, user_id, option)

    async def votes_of(self, reply: StoredReply, user_id: int) -> tuple[str, ...]:
        """The voter's current votes on the reply."""
        return await self._store().votes_of(reply.message_id, user_id)

    async def toggle_vote(self, message_id: int, user_id: int, option: str, via: str) -> VoteState | None:
        """A press of a vote button: the same vote again takes it back, another one is cast (the store retracts
        what it contradicts). None when the message is no reply the bot tracks or the vote means nothing on it."""
        reply = await self.tracked_reply(message_id)
        if reply is None or not self.counts_on(reply, option):
            return None
        taken_back: str | None = None
        if option in await self.votes_of(reply, user_id):
            await self.take_back_vote(reply, user_id, option)
            taken_back = option
        else:
            await self.cast_vote(reply, user_id, option, via)
        return VoteState(reply, await self.votes_of(reply, user_id), taken_back)
