"""Words that carry meaning: tokenising, light stemming, synonyms and word pairs for the lexical stage.

People describe one problem many ways ("loss is nan", "loss explodes to inf", "training diverges").
Whole-string similarity misses that; the lexical stage instead compares sets of meaningful features:
stemmed content words, concept tokens for common synonyms, and pairs of neighbouring content words
(so "not updating" means more than "not" and "updating" apart).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[a-z][a-z0-9_]*")
_NEGATION = re.compile(r"\b(?:\w+n't|not|never|no|cannot|cant|dont|doesnt|didnt|isnt|wont|arent|wasnt)\b")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "anyone",
        "anything",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "else",
        "even",
        "ever",
        "every",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "me",
        "mine",
        "more",
        "most",
        "my",
        "myself",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "someone",
        "something",
        "such",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "use",
        "used",
        "using",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "hi",
        "hello",
        "hey",
        "guys",
        "everyone",
        "anybody",
        "help",
        "helps",
        "helped",
        "idea",
        "ideas",
        "question",
        "questions",
        "issue",
        "issues",
        "problem",
        "problems",
        "trying",
        "try",
        "tried",
        "tries",
        "want",
        "wanted",
        "need",
        "needed",
        "know",
        "knows",
        "seem",
        "seems",
        "seemed",
        "see",
        "saw",
        "one",
        "two",
        "three",
        "first",
        "second",
        "new",
        "old",
        "run",
        "runs",
        "running",
        "ran",
        "code",
        "script",
        "file",
        "thing",
        "things",
        "way",
        "ways",
        "getting",
        "really",
        "still",
        "already",
        "always",
        "sometimes",
        "since",
        "around",
        "etc",
        "e",
        "g",
        "ie",
        "eg",
        "im",
        "ive",
        "id",
        "dont",
        "here's",
        "lot",
        "lots",
        "bit",
        "much",
        "many",
        "work",
        "works",
        "worked",
        "working",
        "make",
        "makes",
        "made",
        "able",
        "unable",
        "via",
        "per",
        "day",
        "days",
        "time",
    ]
)

# Concept tokens added next to the words that evoke them. General help-channel vocabulary: each group
# is one idea people phrase many ways.
CONCEPTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), concept)
    for pattern, concept in (
        (r"\bnan\b|\bnans\b|\binf\b|infinit|diverg|explod|blows? up|blew up|goes? to inf", "c_nan"),
        (
            r"\bnot (?:learn|decreas|improv|converg|chang|train|go(?:ing)? down|drop|reduc|mov)"
            r"|\bstuck\b|plateau|\bflat\b|stagnat|does(?:n't| not) (?:learn|decrease|improve|converge|change)"
            r"|(?:stays?|remains?|constant|stay) (?:the same|constant|flat|at)",
            "c_stagnant",
        ),
        (r"out of memory|\boom\b|ran out of (?:ram|memory|vram)|memoryerror|not enough memory", "c_oom"),
        (r"\bkilled\b|sigkill|exit code 137|oom.?killer|signal 9\b", "c_killed"),
        (r"\bslow|takes? forever|taking forever|bottleneck|utiliz|utilis|\bidle\b|sluggish", "c_slow"),
        (r"\bhang|\bhung\b|freez|frozen|stuck|never finish|no progress|forever|not respond", "c_hang"),
        (r"reproduc|determinis|same seed|different results|results? (?:differ|vary|change)", "c_nondeterministic"),
        (r"\bgpus?\b|graphics card|nvidia|\bvram\b", "c_gpu"),
        (r"leak|memory (?:keeps? )?(?:grow|increas|climb|rising|goes up)", "c_memory_growth"),
        (r"\bcrash|\bdie[sd]?\b|\bdead\b|restart", "c_crash"),
        (r"\bweights?\b|\bparam(?:eter)?s?\b", "c_weights"),
        (r"\bupdat|\bchang", "c_update"),
        (r"\binstall|\bsetup\b|\bbuild(?:ing)?\b|\bwheel", "c_install"),
        (r"\binference\b|\bpredict|\beval\b|\bevaluat|\bvalidation\b|\btest(?:ing)? (?:set|time)", "c_inference"),
    )
)


_STEMMER = snowballstemmer.stemmer("english")


CONCEPT_PATTERNS = tuple(pattern for pattern, _ in CONCEPTS)


@lru_cache(maxsize=131_072)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem, so "certificate" and "certification" meet at one key."""
    if len(word) <= 3:
        return word
    if word.endswith("pus"):  # gpus, cpus, tpus: plural of an acronym, not a Latin "-us"
        word = word[:-1]
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """Content words of lower-cased text, stemmed; negations become `not` and stay."""
    text = _NEGATION.sub(" not ", text)
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token in STOPWORDS or len(token) < 2:
            continue
        parts = [token] + ([p for p in token.split("_") if len(p) > 1] if "_" in token.strip("_") else [])
        out.extend(stem(p) for p in parts if p not in STOPWORDS)
    return out


def features(text: str) -> frozenset[str]:
    """The feature set of a text: stemmed words, neighbouring word pairs, and concept tokens."""
    lowered = text.lower()
    ws = words(lowered)
    feats = set(ws)
    feats.update(f"{a} {b}" for a, b in itertools.pairwise(ws) if a != b)
    feats.update(concept for pattern, concept in CONCEPTS if pattern.search(lowered))
    feats.discard("not")
    return frozenset(feats)
