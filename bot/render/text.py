"""Text helpers every renderer shares, Discord-free."""

from __future__ import annotations

# A cut falls back to the last space only when that keeps most of the text: past this share, a word boundary
# is worth the few characters it costs; before it, a long word would eat the whole line.
WORD_BOUNDARY_SHARE = 0.6


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary where one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * WORD_BOUNDARY_SHARE:
        cut = cut[:space]
    return cut.rstrip() + "…"
