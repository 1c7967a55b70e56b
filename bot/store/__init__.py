"""Persistence: SQLite through aiosqlite, with a schema version and migrations."""

from bot.store.store import (
    NONE_FIXED,
    WRONG_MATCH,
    EntryFeedback,
    SchemaTooNewError,
    Store,
    StoredReply,
    StoreStats,
    workaround_option,
)

__all__ = [
    "NONE_FIXED",
    "WRONG_MATCH",
    "EntryFeedback",
    "SchemaTooNewError",
    "Store",
    "StoreStats",
    "StoredReply",
    "workaround_option",
]
