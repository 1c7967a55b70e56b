"""The vote vocabulary, in one place: what a person can say about a reply, how each option is stored, the
button label and the reaction emoji that cast it, and the kind it is counted under.

Three things can be said about a reply: "this workaround fixed it" (one option per workaround, keyed by the
workaround's stable id, so reordering an entry's workarounds never moves their votes), "none of these fixed
it", and "this is the wrong match". The store keeps the option strings; the Discord layer shows the labels
and reads the emoji; the metrics count the kinds. Nothing here knows about Discord or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE_FIXED = "none"  # stored option: none of the workarounds shown fixed it
WRONG_MATCH = "wrong"  # stored option: the reply answered a different error
WORKAROUND_PREFIX = "w:"  # 'w:<workaround id>': that workaround fixed it

# The kinds votes are counted under (bot.metrics): every workaround option is one kind.
WORKAROUND_KIND = "workaround"

# Reaction emoji: the position shown is what a number means, so a reply can take at most this many votable
# workarounds; the number emoji are also the prefix of each workaround's heading in the embed.
NUMBER_EMOJI = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")
NONE_FIXED_EMOJI = "❌"
WRONG_MATCH_EMOJI = "🤷"
# People reach for the gendered shrugs and the question mark too; each means "wrong match".
WRONG_MATCH_ALIASES = frozenset({WRONG_MATCH_EMOJI, "🤷‍♂️", "🤷‍♀️", "❓"})
DELETE_EMOJI = "🗑️"  # not a vote: the asker or a moderator removes the reply with it

MAX_VOTABLE_WORKAROUNDS = len(NUMBER_EMOJI)

NONE_WORKED_LABEL = "None worked"
WRONG_MATCH_LABEL = "Wrong match"
FIXED_IT_LABEL = "Fixed it: {number}"
NO_LONGER_SHOWN_LABEL = "Fixed it (a workaround no longer shown)"


@dataclass(frozen=True, slots=True)
class VoteChoice:
    """One thing a person can say about a reply, in every form it takes."""

    option: str  # as stored
    label: str  # on its button
    emoji: str  # the reaction that casts it
    kind: str  # counted under (bot.metrics)


NONE_WORKED = VoteChoice(NONE_FIXED, NONE_WORKED_LABEL, NONE_FIXED_EMOJI, NONE_FIXED)
WRONG = VoteChoice(WRONG_MATCH, WRONG_MATCH_LABEL, WRONG_MATCH_EMOJI, WRONG_MATCH)


def workaround_option(workaround_id: str) -> str:
    """The vote option for 'this workaround fixed it', keyed by the workaround's id: reordering an entry's
    workarounds does not move their votes."""
    return f"{WORKAROUND_PREFIX}{workaround_id}"


def is_workaround_option(option: str) -> bool:
    return option.startswith(WORKAROUND_PREFIX)


def fixed_it(number: int, workaround_id: str) -> VoteChoice:
    """'Fixed it: N' for the workaround shown N-th (1-based) on a reply."""
    return VoteChoice(
        workaround_option(workaround_id),
        FIXED_IT_LABEL.format(number=number),
        NUMBER_EMOJI[number - 1],
        WORKAROUND_KIND,
    )


def choices_for(shown: tuple[str, ...]) -> tuple[VoteChoice, ...]:
    """Every vote a reply showing these workaround ids (in order; "" for a position no workaround holds)
    offers: 'Fixed it: N' for each votable one, then 'None worked' and 'Wrong match'."""
    fixes = [fixed_it(n, w) for n, w in enumerate(shown[:MAX_VOTABLE_WORKAROUNDS], 1) if w]
    return (*fixes, NONE_WORKED, WRONG)


def vote_kind(option: str) -> str:
    """The kind a stored option is counted under: 'w:<id>' is a workaround, 'none' and 'wrong' themselves."""
    return WORKAROUND_KIND if is_workaround_option(option) else option


def vote_label(option: str, shown: tuple[str, ...]) -> str:
    """How a vote reads back to the voter: 'Fixed it: 2' names the workaround by the number shown."""
    if option == NONE_FIXED:
        return NONE_WORKED_LABEL
    if option == WRONG_MATCH:
        return WRONG_MATCH_LABEL
    options = [workaround_option(w) for w in shown]
    return FIXED_IT_LABEL.format(number=options.index(option) + 1) if option in options else NO_LONGER_SHOWN_LABEL


def plain(emoji: str) -> str:
    """The emoji without variation selectors: clients send 🗑 and 🗑️ (with U+FE0F) alike."""
    return emoji.replace("\ufe0f", "")


_NUMBERS = tuple(plain(e) for e in NUMBER_EMOJI)
_WRONG = frozenset(plain(e) for e in WRONG_MATCH_ALIASES)


def option_for_emoji(emoji: str, shown: tuple[str, ...]) -> str | None:
    """The stored vote a reaction means on a reply showing these workaround ids, or None when it is not one."""
    emoji = plain(emoji)
    if emoji in _NUMBERS:
        position = _NUMBERS.index(emoji)
        workaround_id = shown[position] if position < len(shown) else ""
        return workaround_option(workaround_id) if workaround_id else None  # "": a position no workaround has now
    if emoji == plain(NONE_FIXED_EMOJI):
        return NONE_FIXED
    if emoji in _WRONG:
        return WRONG_MATCH
    return None


def is_delete(emoji: str) -> bool:
    return plain(emoji) == plain(DELETE_EMOJI)
