"""Persistence: SQLite through aiosqlite, with a schema version and migrations."""

from bot.store.lock import DatabaseInUseError, DatabaseLock
from bot.store.store import (
    REMOVED_BY_EDIT,
    REMOVED_BY_PEOPLE,
    WRONG_MATCH_EXCLUDES_AT,
    EntryFeedback,
    NeedsKnowledgeError,
    SchemaTooNewError,
    Store,
    StoredReply,
    StoreError,
    StoreStats,
    StoreUnavailableError,
)

__all__ = [
    "REMOVED_BY_EDIT",
    "REMOVED_BY_PEOPLE",
    "WRONG_MATCH_EXCLUDES_AT",
    "DatabaseInUseError",
    "DatabaseLock",
    "EntryFeedback",
    "NeedsKnowledgeError",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "StoreStats",
    "StoreUnavailableError",
    "StoredReply",
]
