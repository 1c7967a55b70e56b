"""Persistence: SQLite through aiosqlite, with a schema version and migrations."""

from bot.store.lock import DatabaseInUseError, DatabaseLock
from bot.store.store import (
    NONE_FIXED,
    REMOVED_BY_EDIT,
    REMOVED_BY_PEOPLE,
    WORKAROUND_PREFIX,
    WRONG_MATCH,
    WRONG_MATCH_EXCLUDES_AT,
    EntryFeedback,
    NeedsKnowledgeError,
    SchemaTooNewError,
    Store,
    StoredReply,
    StoreError,
    StoreStats,
    StoreUnavailableError,
    workaround_option,
)

__all__ = [
    "NONE_FIXED",
    "REMOVED_BY_EDIT",
    "REMOVED_BY_PEOPLE",
    "WORKAROUND_PREFIX",
    "WRONG_MATCH",
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
    "workaround_option",
]
