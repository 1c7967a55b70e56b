"""The knowledge model: entries, their validation, loading and Markdown form. Knows nothing of Discord."""

from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.knowledge.model import Entry, EntryKind, Verification

__all__ = ["Entry", "EntryKind", "KnowledgeBase", "Verification", "load_knowledge"]
