"""The vote vocabulary lives in bot/feedback/votes.py, and every way of voting reads it from there."""

from __future__ import annotations

import re
from pathlib import Path

from bot import metrics
from bot.chat.buttons import CUSTOM_ID_PREFIX, OPTION_PATTERN, VoteButton, vote_view
from bot.chat.cogs.feedback import vote_option
from bot.feedback import votes
from bot.feedback.votes import (
    NONE_FIXED,
    WRONG_MATCH,
    choices_for,
    option_for_emoji,
    vote_kind,
    vote_label,
    workaround_option,
)
from bot.store import StoredReply

BOT = Path(__file__).resolve().parent.parent / "bot"
SHOWN = ("set-device", "", "move-model")  # the second position's workaround is gone from the entry


def test_the_vocabulary_is_defined_in_one_module() -> None:
    """No other module of the bot defines a vote option, a vote emoji or a vote label of its own."""
    own = re.compile(
        r"^(NONE_FIXED|WRONG_MATCH|WORKAROUND_PREFIX|NUMBER_EMOJI|NONE_FIXED_EMOJI|WRONG_MATCH_EMOJI|DELETE_EMOJI"
        r"|WRONG_MATCH_ALIASES|NONE_WORKED_LABEL|WRONG_MATCH_LABEL)\s*="
        r"|^def (workaround_option|vote_kind|vote_label)\(",
        re.M,
    )
    defined = {
        str(path.relative_to(BOT)): own.findall(path.read_text(encoding="utf-8"))
        for path in BOT.rglob("*.py")
        if path != BOT / "feedback" / "votes.py"
    }
    assert {path: names for path, names in defined.items() if names} == {}


def test_each_choice_reads_the_same_as_button_reaction_label_and_metric() -> None:
    template = re.compile(CUSTOM_ID_PREFIX + OPTION_PATTERN)
    view = vote_view(SHOWN)
    reply = StoredReply(1, 2, None, None, None, "pytorch/device-mismatch", SHOWN, 0.9, "high")
    for choice, item in zip(choices_for(SHOWN), view.children, strict=True):
        assert isinstance(item, VoteButton)
        button = item.item
        custom_id = button.custom_id
        assert custom_id == CUSTOM_ID_PREFIX + choice.option
        found = template.fullmatch(custom_id or "")
        assert found is not None and found["option"] == choice.option
        assert button.label == choice.label == vote_label(choice.option, SHOWN)
        assert option_for_emoji(choice.emoji, SHOWN) == vote_option(choice.emoji, reply) == choice.option
        assert vote_kind(choice.option) == choice.kind and choice.kind in metrics.VOTE_KINDS


def test_the_choices_follow_the_positions_shown() -> None:
    labels = [c.label for c in choices_for(SHOWN)]
    assert labels == ["Fixed it: 1", "Fixed it: 3", "None worked", "Wrong match"]
    assert option_for_emoji(votes.NUMBER_EMOJI[1], SHOWN) is None  # the position no workaround holds now
    assert option_for_emoji(votes.NUMBER_EMOJI[4], SHOWN) is None  # past what the reply showed
    assert option_for_emoji("🤷‍♀️", SHOWN) == WRONG_MATCH and option_for_emoji("❌", SHOWN) == NONE_FIXED
    assert option_for_emoji("👍", SHOWN) is None
    assert vote_label(workaround_option("an-old-one"), SHOWN) == votes.NO_LONGER_SHOWN_LABEL


def test_delete_is_not_a_vote_with_or_without_its_variation_selector() -> None:
    assert votes.is_delete("🗑️") and votes.is_delete("🗑")
    assert option_for_emoji("🗑️", SHOWN) is None
