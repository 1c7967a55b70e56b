"""Whom passive mode answers: the person asking, never the helpers explaining.

In a help thread or forum post the asker is whoever started it; in a plain channel, anyone who is not
replying to somebody else (a reply to another person's message is usually an explanation of their error,
quoting it). Members with a configured helper role are never answered unprompted. The rule reads plain
facts about a message (`MessageFacts`), so it is tested without Discord.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

UNKNOWN_AUTHOR = -1  # a reply whose original Discord did not send (deleted): treated as someone else's


@dataclass(frozen=True, slots=True)
class MessageFacts:
    author_id: int
    author_role_ids: frozenset[int]
    thread_owner_id: int | None  # the starter of the thread or forum post the message is in, if any
    replied_to_author_id: int | None  # the author of the message it replies to, if it is a reply


def is_from_asker(facts: MessageFacts, helper_roles: frozenset[int], bot_id: int | None) -> bool:
    """Whether passive mode may answer this message: it comes from the person asking for help."""
    if facts.author_role_ids & helper_roles:
        return False
    if facts.thread_owner_id is not None:
        return facts.author_id == facts.thread_owner_id
    replied_to = facts.replied_to_author_id
    return replied_to is None or replied_to in (facts.author_id, bot_id)


def message_facts(message: discord.Message) -> MessageFacts:
    """The facts `is_from_asker` needs, read from a discord.py message."""
    roles = frozenset(r.id for r in getattr(message.author, "roles", ()))
    owner = message.channel.owner_id if isinstance(message.channel, discord.Thread) else None
    replied_to: int | None = None
    if message.reference is not None and message.type is discord.MessageType.reply:
        resolved = message.reference.resolved
        replied_to = resolved.author.id if isinstance(resolved, discord.Message) else UNKNOWN_AUTHOR
    return MessageFacts(message.author.id, roles, owner, replied_to)
