"""Words that carry meaning: tokenising, light stemming, synonyms and word pairs for the lexical stage.

People describe one problem many ways ("loss is nan", "loss explodes to inf", "training diverges").
Whole-string similarity misses that; the lexical stage instead compares sets of meaningful features:
stemmed content words, concept tokens for common synonyms, and pairs of neighbouring content words
(so "not updating" means more than "not" and "updating" apart).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import snowballstemmer

# Latin words, and runs of Chinese, Japanese or Korean characters: error messages printed in a CJK locale
# (Windows' "拒绝访问", "系统找不到指定的路径") have no spaces, so a run stands for its character pairs.
# The talk word model (bot/matching/talk.py) reads the same scripts with these ranges.
CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
# Cyrillic words too (Russian, Ukrainian: "не хватает памяти"), stemmed by the Russian stemmer.
CYRILLIC_LETTERS = "\u0430-\u045f"
_TOKEN = re.compile(rf"[a-z][a-z0-9_]*|[{CYRILLIC_LETTERS}][{CYRILLIC_LETTERS}0-9_]*|[{CJK_LETTERS}]+")
_CJK_START = re.compile(rf"[{CJK_LETTERS}]")


# Where a CJK character touches a Latin letter or digit (`用gpu训练`, `loss变成nan`): Python's `\b` sees no word
# boundary there, since CJK characters are word characters, so the concept patterns' `\bgpu` never matched.
_CJK_LATIN_SEAM = re.compile(rf"(?<=[{CJK_LETTERS}])(?=[a-z0-9])|(?<=[a-z0-9])(?=[{CJK_LETTERS}])")


def spaced(lowered: str) -> str:
    """Lower-cased text with a space wherever CJK and Latin writing meet, as the concept patterns read it."""
    return _CJK_LATIN_SEAM.sub(" ", lowered) if _CJK_START.search(lowered) else lowered


def is_cjk_run(token: str) -> bool:
    """Whether a token is a run of CJK characters (read as its character pairs), not a word."""
    return _CJK_START.match(token) is not None


def cjk_pairs(run: str) -> list[str]:
    """A CJK run's neighbouring character pairs (a run of one character is itself): CJK writes no spaces."""
    return [run[i : i + 2] for i in range(max(1, len(run) - 1))]


def _accent_folds() -> dict[int, str | None]:
    """Latin letters with accents to their plain letters (é -> e, ñ -> n, ß -> ss, ı -> i), and combining marks
    to nothing. Without it a word split at its accent ("importación" read as "importaci" and "n") and no longer
    met the same word typed without accents, as people often type it."""
    special = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "ð": "d", "ŀ": "l"}
    special |= {k.upper(): v.upper() for k, v in special.items() if len(k.upper()) == 1 and k != "ı"}
    folds: dict[int, str | None] = {code: None for code in range(0x300, 0x370)}  # combining diacritical marks
    for code in range(0xC0, 0x250):  # Latin-1 Supplement, Latin Extended-A and -B
        char = chr(code)
        if not unicodedata.category(char).startswith("L"):
            continue  # × and ÷ stay what they are
        plain = special.get(char) or "".join(c for c in unicodedata.normalize("NFKD", char) if c.isascii())
        if plain.isalpha() and plain.isascii():
            folds[code] = plain
    return folds


_ACCENT_FOLDS = _accent_folds()


def fold_accents(text: str) -> str:
    """`text` with accented Latin letters as plain ones, in their case; ASCII text as it is."""
    return text if text.isascii() else text.translate(_ACCENT_FOLDS)


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


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    r"""One pattern for any of `phrases`, for lower-cased text, that stays fast on long text.

    Each phrase is one small regex (no top-level `|`) starting with a letter, or with `\b` and a letter
    (a word start). `re` scans for the possible first characters in C when every alternative starts with
    a literal, but tries every alternative at every position when one starts with `\b` or a group (100 KB
    of blank lines cost 50 ms a pattern). So `\bnan` becomes `n(?<!\w\w)an`: the same test, that the
    character before the `n` is not a word character, made after the letter. Phrases sharing a first
    letter share one alternative, so a position costs one test per distinct first letter, not per phrase.
    """
    groups: dict[tuple[str, bool], list[str]] = {}
    for phrase in phrases:
        body = phrase.removeprefix(r"\b")
        if not body[:1].isalpha() or body[1:2] in ("?", "*", "+", "{"):
            raise ValueError(f"a phrase must start with a letter: {phrase!r}")
        groups.setdefault((body[0], body != phrase), []).append(body[1:])
    alternatives = [
        f"{letter}{WORD_START_BEHIND if word_start else ''}(?:{'|'.join(rests)})"
        for (letter, word_start), rests in groups.items()
    ]
    return re.compile("|".join(alternatives))


WORD_START_BEHIND = r"(?<!\w\w)"  # after a word's first letter: the character before that letter is no word's


# Concept tokens added next to the words that evoke them. General help-channel vocabulary: each group
# is one idea people phrase many ways.
_SAME = "(?:the same|constant|flat|at)"
CONCEPTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (phrase_pattern(phrases), concept)
    for phrases, concept in (
        ((r"\bnan\b", r"\bnans\b", r"\binf\b", "infinit", "diverg", "explod", "blows? up", "blew up", "goes? to inf"),
         "c_nan"),
        ((r"\bnot (?:learn|decreas|improv|converg|chang|train|go(?:ing)? down|drop|reduc|mov)", r"\bstuck\b",
          "plateau", r"\bflat\b", "stagnat", "does(?:n't| not) (?:learn|decrease|improve|converge|change)",
          f"stays? {_SAME}", f"remains? {_SAME}", f"constant {_SAME}"),
         "c_stagnant"),
        (("out of memory", r"\boom\b", "ran out of (?:ram|memory|vram)", "memoryerror", "not enough memory"), "c_oom"),
        ((r"\bkilled\b", "sigkill", "exit code 137", "oom.?killer", r"signal 9\b"), "c_killed"),
        ((r"\bslow", "takes? forever", "taking forever", "bottleneck", "utiliz", "utilis", r"\bidle\b", "sluggish"),
         "c_slow"),
        ((r"\bhang", r"\bhung\b", "freez", "frozen", "stuck", "never finish", "no progress", "forever",
          "not respond"),
         "c_hang"),
        (("reproduc", "determinis", "same seed", "different results", "results? (?:differ|vary|change)"),
         "c_nondeterministic"),
        ((r"\bgpus?\b", "graphics card", "nvidia", r"\bvram\b"), "c_gpu"),
        (("leak", "memory (?:keeps? )?(?:grow|increas|climb|rising|goes up)"), "c_memory_growth"),
        ((r"\bcrash", r"\bdie[sd]?\b", r"\bdead\b", "restart"), "c_crash"),
        ((r"\bweights?\b", r"\bparam(?:eter)?s?\b"), "c_weights"),
        ((r"\bupdat", r"\bchang"), "c_update"),
        ((r"\binstall", r"\bsetup\b", r"\bbuild(?:ing)?\b", r"\bwheel"), "c_install"),
        ((r"\binference\b", r"\bpredict", r"\beval\b", r"\bevaluat", r"\bvalidation\b", r"\btest(?:ing)? (?:set|time)"),
         "c_inference"),
    )
)  # fmt: skip


_STEMMER = snowballstemmer.stemmer("english")
_RUSSIAN_STEMMER = snowballstemmer.stemmer("russian")


CONCEPT_PATTERNS = tuple(pattern for pattern, _ in CONCEPTS)


@lru_cache(maxsize=131_072)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem, so "certificate" and "certification" meet at one key."""
    if len(word) <= 3:
        return word
    if not word.isascii():  # a Cyrillic word: `words` reads CJK runs as pairs before they get here
        return str(_RUSSIAN_STEMMER.stemWord(word))
    if word.endswith("pus"):  # gpus, cpus, tpus: plural of an acronym, not a Latin "-us"
        word = word[:-1]
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """Content words of lower-cased text, stemmed; negations become `not` and stay."""
    text = _NEGATION.sub(" not ", text)
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if is_cjk_run(token):
            # Without this a CJK message is invisible to the words: a signature in one shrank to the Latin
            # names in it, which any message naming the tool then covered word for word.
            out.extend(cjk_pairs(token))
            continue
        if token in STOPWORDS or len(token) < 2:
            continue
        parts = [token] + ([p for p in token.split("_") if len(p) > 1] if "_" in token.strip("_") else [])
        out.extend(stem(p) for p in parts if p not in STOPWORDS)
    return out


def word_keys(text: str) -> Iterator[str]:
    """Every word `words` reads in lower-cased `text`, and more (negations and stop words are not taken out): a cheap
    superset for a check that must not miss one of them, as the passive pre-filter must not (a third of the cost)."""
    for token in _TOKEN.findall(text):
        if is_cjk_run(token):
            yield from cjk_pairs(token)
            continue
        yield stem(token)
        if "_" in token:
            yield from (stem(part) for part in token.split("_") if part)


def features(text: str) -> frozenset[str]:
    """The feature set of a text: stemmed words, neighbouring word pairs, and concept tokens."""
    lowered = fold_accents(text.lower())
    ws = words(lowered)
    feats = set(ws)
    feats.update(f"{a} {b}" for a, b in itertools.pairwise(ws) if a != b)
    seamed = spaced(lowered)
    feats.update(concept for pattern, concept in CONCEPTS if pattern.search(seamed))
    feats.discard("not")
    return frozenset(feats)
