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

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.matching.text import CJK_LETTERS, CYRILLIC_LETTERS, cjk_pairs, fold_accents, is_cjk_run
from bot.values import is_number, read_json

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
# The speaker's problem is over and they say how, or they write it up for others: a resolution note quotes the
# error it was about, and is no report. Narrower than the thanks above ("resolved" alone is also "how can this
# be resolved?"): a first-person fix, "works now", or a write-up addressed to whoever hits the error next.
_RESOLVED = re.compile(
    # "how do I fixed it", "how can I resolved this" ask: a fix after "do", "to" or a modal is no report of one.
    r"\b(?:(?<!do )(?<!to )(?<!can )(?<!could )(?<!should )(?<!would )"
    r"(?:i|we) (?:have |'ve |had |finally |just |eventually )?(?:fixed|solved|resolved) "
    r"(?:it|this|that|the|my|by)|(?:i|we) figured (?:it )?out|"
    r"(?:i|we) (?:found|got) (?:the|a) (?:solution|fix|workaround)|"
    r"works now|now (?:it )?works|(?:is|it's) (?:now )?working (?:now|again|fine now)|"
    r"(?:problem|issue|error) (?:is |was |has been )?(?:gone|solved|fixed|resolved)(?! ?\?)|"
    r"managed to (?:fix|solve|get it (?:to )?work)|no longer (?:get|see|getting|seeing|occurs|happens)|"
    r"in case (?:others|someone|anyone|somebody)|(?:helpful|useful) (?:to|for) (?:someone|others|anyone)|"
    r"for (?:anyone|others|those) (?:who|that|facing|hitting|running into|wondering))\b"
    # Chinese: "solved", "it works now", "got it done"; not after "how" (怎么, 如何) nor before a question particle.
    r"|(?<!怎么)(?<!如何)(?:已解决|解决了|可以了|搞定了)(?![吗么?？])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TalkCues:
    """How many phrases of each kind the message's prose holds (each capped: a count, not a verdict), and what
    the fitted word model reads in it (`words`: its log-odds that the prose is talk, not a report)."""

    first_person: int
    advice: int
    explanation: int
    concept: int
    thanks: int
    resolved: int = 0
    words: float = 0.0


# Beyond a few, more cues of one kind say nothing new.
CUE_CAP = 3


def _count(pattern: re.Pattern[str], text: str) -> int:
    n = 0
    for _ in pattern.finditer(text):
        n += 1
        if n >= CUE_CAP:
            break
    return n


def talk_cues(prose: str, model: TalkWords | None = None) -> TalkCues:
    text = prose[:TALK_CHARS]
    return TalkCues(
        first_person=_count(_FIRST_PERSON, text),
        advice=_count(_ADVICE, text),
        explanation=_count(_EXPLANATION, text),
        concept=_count(_CONCEPT, text),
        thanks=_count(_THANKS, text),
        resolved=_count(_RESOLVED, text),
        words=model.logit(talk_tokens(text)) if model is not None else 0.0,
    )


# -- the word model ------------------------------------------------------------------------------------
#
# The phrase lists above name the cues a reader would think of; people have more ways to explain, answer and
# announce a fix than any list holds ("this PR ...", "the solution was ...", "downgrading worked"). A linear
# model over the prose's words and word pairs, fitted by `knownfix tune` on the corpus's chat against its
# problem reports (cross-validated there), reads all of them. It only ever sees the prose: the pasted error
# is the same whether someone reports it or explains it.

TALK_WORDS_FILE = Path(__file__).with_name("talk_words.json")
# A token seen this rarely in the corpus says more about one thread than about how people talk.
MIN_TOKEN_CASES = 3
# The log-odds are clipped: one message full of strong words is talk, not infinitely so.
LOGIT_CLIP = 6.0

# Latin words (apostrophes kept: "don't", "you're"; accents folded), Cyrillic words, and runs of CJK characters,
# read as character pairs.
_TALK_TOKEN = re.compile(rf"[a-z][a-z']*|[{CYRILLIC_LETTERS}]+|[{CJK_LETTERS}]+")
# What lies between two words when the second starts a sentence: a line break, or an end mark before a space
# ("model.eval()" is one name, not two sentences).
_SENTENCE_BREAK = re.compile(r"[.!?]\s|\n")
# Markers of where a word stands: the message's opening words, and the opening words of any sentence.
OPENING = "^"
SENTENCE = "."


def talk_tokens(prose: str) -> frozenset[str]:
    """Words and neighbouring word pairs of the prose, lower-cased; function words are kept on purpose
    ("you", "should", "this", "because" are what tells an answer from a report). Besides, the first word and the
    first two of the message (`^ you should`) and of each sentence (`. thanks`): how a message and its sentences
    open tells a report ("I get", "Hi, when I run") from an answer ("You need", "Try", "This PR", "Fixed by")
    better than the same words anywhere. Corpus 5-fold CV (8,283 cases), talk told from reports: AUC 0.893 with
    words and pairs alone, 0.900 with the opening words, 0.903 with the sentences' too."""
    text = fold_accents(prose[:TALK_CHARS].lower())  # "qué" is one word, as "que" typed without its accent
    tokens: set[str] = set()
    previous = ""
    markers: tuple[str, ...] = ()  # the markers whose first word the previous word was
    end = 0
    for match in _TALK_TOKEN.finditer(text):
        token, gap = match.group(), text[end : match.start()]
        starts = (OPENING, SENTENCE) if not end else (SENTENCE,) if _SENTENCE_BREAK.search(gap) else ()
        end = match.end()
        if is_cjk_run(token):
            tokens.update(cjk_pairs(token))
            previous, markers = "", ()
            continue
        token = token.rstrip("'")
        tokens.add(token)
        tokens.update(f"{marker} {token}" for marker in starts)
        if previous:
            tokens.add(f"{previous} {token}")
            if not starts:
                tokens.update(f"{marker} {previous} {token}" for marker in markers)
        previous, markers = token, starts
    return frozenset(tokens)


class TalkWordsError(ValueError):
    """The word model file is missing, malformed, or holds a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class TalkWords:
    """A fitted linear model: log-odds that prose is talk about an error rather than a report of one."""

    intercept: float
    weights: Mapping[str, float]

    def logit(self, tokens: frozenset[str]) -> float:
        # Summed exactly: a set's order changes with the hash seed, and every process must agree to the bit.
        z = math.fsum([self.intercept, *(self.weights.get(t, 0.0) for t in tokens)])
        return max(-LOGIT_CLIP, min(LOGIT_CLIP, z))

    def probability(self, prose: str) -> float:
        return 1.0 / (1.0 + math.exp(-self.logit(talk_tokens(prose))))


def parse_talk_words(raw: object) -> TalkWords:
    if not isinstance(raw, dict):
        raise TalkWordsError("talk words: expected a JSON object")
    intercept = raw.get("intercept")
    weights = raw.get("weights")
    if not is_number(intercept):
        raise TalkWordsError("talk words: intercept must be a number")
    if not isinstance(weights, dict):
        raise TalkWordsError("talk words: weights must be an object of token -> number")
    table: dict[str, float] = {}
    for token, value in weights.items():
        if not is_number(value) or not isinstance(token, str):
            raise TalkWordsError(f"talk words: weight of {token[:40]!r} must be a number")
        table[token] = float(value)
    return TalkWords(float(intercept), table)


def load_talk_words(path: Path = TALK_WORDS_FILE) -> TalkWords:
    return parse_talk_words(read_json(path, TalkWordsError, "talk words"))


@functools.cache
def default_talk_words() -> TalkWords:
    """The bundled model, read once per process."""
    return load_talk_words()


def dump_talk_words(model: TalkWords, path: Path = TALK_WORDS_FILE) -> None:
    """Write the model as `knownfix tune` fitted it: tokens sorted, weights rounded (diffs stay readable)."""
    body = {
        "about": (
            "Fitted by `knownfix tune` on evaluation/corpus: log-odds that a message's prose (its pasted errors "
            "left out) is talk about an error - an explanation, an answer, a fix announcement, thanks - rather "
            "than someone reporting their own problem. Words and word pairs seen in fewer than "
            f"{MIN_TOKEN_CASES} cases, and those holding a word the knowledge uses to name its errors (how "
            "people talk, not what about), are left out. See bot/matching/talk.py and bot/tune.py."
        ),
        "intercept": round(model.intercept, 5),
        "weights": {t: round(w, 5) for t, w in sorted(model.weights.items()) if abs(w) >= 1e-4},
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
