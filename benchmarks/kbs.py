"""The knowledge bases the benchmarks load: ours, ours plus the imported canons, ours plus a synthetic 20k.

The synthetic entries are the canons again and again, each copy under a new domain and slug, with
words in its signature, symptoms and root cause swapped for other words of the corpus or for new
made-up identifiers (a seeded RNG, so every run builds the same knowledge base). The vocabulary
therefore grows with the size, as it would in a real knowledge base, instead of repeating 1,900 texts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from bot.knowledge.deadends import convert_directory, write_entries
from bot.knowledge.model import Entry

_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")
_EXCEPTION_PREFIX = re.compile(r"^[\w.]+:\s*")
DOMAIN_VARIANTS = ("lts", "edge", "legacy", "cloud", "mobile", "embedded", "enterprise", "nightly")
SYLLABLES = ("ka", "lo", "mi", "nur", "pex", "qua", "ros", "ti", "vel", "zon", "bri", "dax", "fen", "gul")
REPLACE_WITH_CORPUS_WORD = 0.22
REPLACE_WITH_NEW_WORD = 0.06


@dataclass(frozen=True)
class KnowledgeSize:
    name: str
    directories: tuple[Path, ...]


def import_canons(canons: Path, out_dir: Path) -> list[Entry]:
    """The canons through the real importer, written to `out_dir`; returns the entries."""
    entries, _report = convert_directory(canons, out_dir)
    write_entries(entries, out_dir)
    return entries


class _Mutator:
    def __init__(self, corpus: list[Entry], seed: int) -> None:
        self.rng = random.Random(seed)
        words: dict[str, None] = {}
        for e in corpus:
            for text in (e.title, e.root_cause, *e.symptoms):
                words.update(dict.fromkeys(_WORD.findall(text)))
        self.vocabulary = list(words)

    def _new_word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def _swap(self, match: re.Match[str]) -> str:
        roll = self.rng.random()
        if roll < REPLACE_WITH_NEW_WORD:
            return self._new_word()
        if roll < REPLACE_WITH_NEW_WORD + REPLACE_WITH_CORPUS_WORD:
            return self.rng.choice(self.vocabulary)
        return match.group(0)

    def text(self, text: str, keep_prefix: bool = False) -> str:
        # The exception class before the colon stays, so `exception` still agrees with the title.
        prefix = ""
        if keep_prefix and (m := _EXCEPTION_PREFIX.match(text)):
            prefix, text = m.group(0), text[m.end() :]
        return prefix + _WORD.sub(self._swap, text)

    def entry(self, base: Entry, number: int) -> Entry:
        domain = f"{base.domain}-{self.rng.choice(DOMAIN_VARIANTS)}"
        slug = f"{base.id.split('/', 1)[1]}-s{number}"
        title = self.text(base.title, keep_prefix=True)
        return replace(
            base,
            id=f"{domain}/{slug}",
            domain=domain,
            title=title,
            signatures=(title,),
            symptoms=tuple(self.text(s) for s in base.symptoms),
            root_cause=self.text(base.root_cause),
            related=(),
        )


def synthetic_entries(corpus: list[Entry], count: int, seed: int = 20_000) -> list[Entry]:
    """`count` entries: the corpus once as it is, then mutated copies until the count is reached."""
    if not corpus:
        return []
    mutator = _Mutator(corpus, seed)
    out = list(corpus[:count])
    for number in range(len(out), count):
        out.append(mutator.entry(corpus[number % len(corpus)], number))
    return out


def build_sizes(ours: Path, canons: Path | None, work: Path, synthetic: int) -> tuple[list[KnowledgeSize], list[str]]:
    """The knowledge sizes to measure, built under `work`, and notes on anything that could not be built."""
    sizes = [KnowledgeSize("ours", (ours,))]
    if canons is None or not canons.is_dir():
        return sizes, [f"deadends canons not found at {canons}: measured our knowledge only"]
    imported = import_canons(canons, work / "canons")
    sizes.append(KnowledgeSize("ours+canons", (ours, work / "canons")))
    write_entries(synthetic_entries(imported, synthetic), work / "synthetic")
    sizes.append(KnowledgeSize(f"ours+{synthetic:,} synthetic", (ours, work / "synthetic")))
    return sizes, []
