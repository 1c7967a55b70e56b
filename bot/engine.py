"""The engine: a loaded knowledge base with its index and matcher, built once and reused."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.environment import parse_environment
from bot.knowledge.loader import KnowledgeBase
from bot.matching.index import MatchIndex, build_indexes
from bot.matching.matcher import Matcher, MatchResult, Thresholds
from bot.settings import default_knowledge_dirs


@dataclass(frozen=True)
class Engine:
    kb: KnowledgeBase
    indexes: tuple[MatchIndex, ...]  # the curated tier first, then imported packs
    matcher: Matcher

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase, thresholds: Thresholds | None = None) -> Engine:
        indexes = build_indexes(kb)
        return cls(kb, indexes, Matcher(indexes, thresholds))

    @classmethod
    def load(cls, directories: Sequence[Path | str] | None = None, thresholds: Thresholds | None = None) -> Engine:
        """Load and index the knowledge directories, reusing the cached index while their files are unchanged."""
        from bot.cache import load_indexed

        dirs = [Path(d) for d in directories] if directories else default_knowledge_dirs()
        kb, indexes = load_indexed(dirs)
        return cls(kb, indexes, Matcher(indexes, thresholds))

    def match(self, text: str, top: int = 5, thresholds: Thresholds | None = None) -> MatchResult:
        """Rank the knowledge for a message, with the versions it pastes (collect_env, pip list, ...) read
        first: the result carries them, and entries whose `applies_to` excludes them rank lower. `thresholds`
        decide instead of the engine's own (a server's /config settings); the ranking is the same."""
        matcher = self.matcher
        if thresholds is not None and thresholds != matcher.thresholds:
            # Shares the index and the models: costs nothing.
            matcher = Matcher(
                self.indexes, thresholds, matcher.weights, matcher.talk, matcher.examples, matcher.records
            )
        return matcher.rank(text, top=top, environment=parse_environment(text))

    @functools.cached_property
    def entry_labels(self) -> list[str]:
        """`<id> <title>` for every entry, in knowledge-base order: what autocomplete searches."""
        return [f"{e.id} {e.title}" for e in self.kb.entries]

    def may_answer(self, text: str, packs_answer: bool | None = None) -> bool:
        """The passive pre-filter: False clears a message without matching it (see matching.prefilter).
        `packs_answer` overrides the engine's own choice (a server's /config settings)."""
        if packs_answer is None:
            packs_answer = self.matcher.thresholds.packs_answer
        answering = self.indexes if packs_answer else self.indexes[:1]
        return any(ix.prefilter.may_answer(text) for ix in answering)
