"""Telling a problem report from talk about problems.

A help channel is full of messages that name an error without reporting one: a helper explaining what
an error means, an answer to someone else ("you need to call model.eval()"), a conceptual question, a
thank-you. Passive mode must stay silent on those. This module reads only the prose around the error
(never the pasted error itself) and counts the cues of each kind; the calibration in
`bot/matching/calibration.py` weighs them against the match's own evidence, with weights fitted on the
corpus (`knownfix tune`), so no single cue decides on its own.

Every pattern is an alternation of fixed phrases between word boundaries: linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Prose beyond this is a long log's chatter; the cues that matter are in what the person wrote.
TALK_CHARS = 4_000

# Someone reporting their own problem: first person with a verb of trouble, or a plea for help.
_FIRST_PERSON = re.compile(
    r"\b(?:i(?:'m| am)? (?:get|got|getting|have|had|see|saw|keep|kept|tried|trying|ran|run|running|"
    r"installed|can't|cannot|couldn't|don't|am unable|receive|received|encounter\w*|face|faced|facing|hit)|"
    r"i've (?:tried|got|been)|my (?:code|model|training|script|notebook|loss|gpu|job|program|env\w*|install\w*|"
    r"data\w*|kernel|output|run)|we (?:get|got|are getting|see|have)|help me|any (?:idea|help|suggestion)s?|"
    r"please help|how (?:can|do) i fix|how to fix|what am i doing wrong|what (?:should|can) i do|stuck)\b",
    re.IGNORECASE,
)
# Advice addressed to someone else: the speaker already knows the fix.
_ADVICE = re.compile(
    r"\b(?:you (?:should|need to|have to|must|can|could|might want to|'ll need|probably)|you're (?:using|calling|"
    r"passing|missing)|your (?:code|model|tensor|input|data|error|issue|problem|loss|gpu)|try (?:to|using|adding|"
    r"setting|calling|running|installing|upgrading|downgrading)|make sure|just (?:use|add|call|set|run|install|"
    r"pass|move|wrap|change)|have you tried|did you (?:try|call|set|install|check)|instead of|"
    r"the (?:fix|solution|workaround) (?:is|was)|(?:you|one) can (?:check|use|set|fix)|"
    r"fix(?:es|ed)? (?:for|the error|this error|error)|this (?:patch|pr|pull request|commit|change) |"
    r"if you (?:encounter|get|see|run into|hit|have)|change (?:it )?to|replace (?:it )?with)\b"
    # The same in Chinese, common in ML repositories' threads: "this is because", "change it to", "if you meet".
    r"|这是因为|原因是|一般是|改成|改为|如果你遇到|如果遇到|可以通过",
    re.IGNORECASE,
)
# Explanation shape: a statement of how something works, not of what went wrong.
_EXPLANATION = re.compile(
    r"\b(?:this (?:is because|happens (?:when|because|if)|means)|that(?:'s| is) because|the reason (?:is|why)|"
    r"is caused by|it(?:'s| is) because|which means|this error (?:means|occurs|happens|is raised)|"
    r"(?:switches|means|refers to|is used (?:to|for)|is equivalent to|stands for|works by)|"
    r"in other words|for example|by default|(?:will|would|should|might|can) (?:throw|raise|give you|cause)|"
    r"(?:throws|raises) (?:an? |the )?(?:error|exception)?|usually|typically|in general|generally|"
    r"(?:has|have) (?:now )?been (?:replaced|renamed|removed|deprecated)|(?:occurs|is raised|appears) when)\b",
    re.IGNORECASE,
)
# A question about a concept or a how-to: a tutorial request, not a failure.
_CONCEPT = re.compile(
    r"\b(?:what(?:'s| is) the difference|difference between|what does \w+ (?:do|mean)|how does|"
    r"is it possible to|is there a way to|when should (?:i|you|we)|why do (?:we|you) need|"
    r"can (?:someone|anyone) explain|best practice|what is the (?:best|recommended|right) way|"
    r"should i use|which (?:one|is better))\b",
    re.IGNORECASE,
)
# Thanks and resolution: the problem is over.
_THANKS = re.compile(
    r"\b(?:thanks?|thank you|thx|ty|cheers|that (?:fixed|solved|worked)|(?:it|this) (?:works|worked) now|"
    r"works now|(?:solved|fixed) (?:it|this|that|the (?:issue|problem|error))|problem solved|resolved|"
    r"never ?mind|nvm|my bad|for anyone (?:else|who|facing|wondering))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TalkCues:
    """How many phrases of each kind the message's prose holds (each capped: a count, not a verdict)."""

    first_person: int
    advice: int
    explanation: int
    concept: int
    thanks: int

    @property
    def talk(self) -> int:
        """Cues that the speaker is not reporting a problem of their own."""
        return self.advice + self.explanation + self.concept + self.thanks


# Beyond a few, more cues of one kind say nothing new.
CUE_CAP = 3


def _count(pattern: re.Pattern[str], text: str) -> int:
    n = 0
    for _ in pattern.finditer(text):
        n += 1
        if n >= CUE_CAP:
            break
    return n


def talk_cues(prose: str) -> TalkCues:
    text = prose[:TALK_CHARS]
    return TalkCues(
        first_person=_count(_FIRST_PERSON, text),
        advice=_count(_ADVICE, text),
        explanation=_count(_EXPLANATION, text),
        concept=_count(_CONCEPT, text),
        thanks=_count(_THANKS, text),
    )
