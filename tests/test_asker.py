"""Passive mode answers the asker, not the helpers (issue 11, item 1): the rule on plain facts."""

from __future__ import annotations

from bot.chat.asker import UNKNOWN_AUTHOR, MessageFacts, is_from_asker

ASKER, HELPER, BOT = 1, 2, 99
HELPER_ROLE = 500


def facts(
    author: int = ASKER, roles: tuple[int, ...] = (), owner: int | None = None, replied_to: int | None = None
) -> MessageFacts:
    return MessageFacts(author, frozenset(roles), owner, replied_to)


def answered(f: MessageFacts) -> bool:
    return is_from_asker(f, frozenset({HELPER_ROLE}), BOT)


def test_a_plain_message_in_a_channel_is_the_askers() -> None:
    assert answered(facts())


def test_a_member_with_a_helper_role_is_never_answered() -> None:
    assert not answered(facts(HELPER, roles=(HELPER_ROLE,)))
    assert not answered(facts(ASKER, roles=(7, HELPER_ROLE), owner=ASKER))  # not even in their own thread


def test_in_a_thread_only_its_starter_is_answered() -> None:
    assert answered(facts(ASKER, owner=ASKER))
    assert not answered(facts(HELPER, owner=ASKER))  # someone else pasting the error into the asker's thread


def test_a_reply_to_another_persons_message_is_an_explanation_not_a_question() -> None:
    assert not answered(facts(HELPER, replied_to=ASKER))
    assert not answered(facts(HELPER, replied_to=UNKNOWN_AUTHOR))  # the original is gone: not sure, so silent


def test_replying_to_oneself_or_to_the_bot_is_still_asking() -> None:
    assert answered(facts(ASKER, replied_to=ASKER))
    assert answered(facts(ASKER, replied_to=BOT))
