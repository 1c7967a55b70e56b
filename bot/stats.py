"""Figures about the knowledge base, for `knownfix kb stats`."""

from __future__ import annotations

from collections import Counter

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.model import EntryKind, Verification


def knowledge_stats(kb: KnowledgeBase) -> str:
    levels = list(Verification)
    by_domain: dict[str, Counter[Verification]] = {}
    for e in kb.entries:
        by_domain.setdefault(e.domain, Counter())[e.verification] += 1
    head = f"{'domain':<16}{'entries':>8}" + "".join(f"{v.value:>14}" for v in levels)
    lines = [head, "-" * len(head)]
    total: Counter[Verification] = Counter()
    for domain in sorted(by_domain):
        counts = by_domain[domain]
        total.update(counts)
        lines.append(f"{domain:<16}{sum(counts.values()):>8}" + "".join(f"{counts[v]:>14}" for v in levels))
    lines.append("-" * len(head))
    lines.append(f"{'all':<16}{len(kb):>8}" + "".join(f"{total[v]:>14}" for v in levels))
    kinds = Counter(e.kind for e in kb.entries)
    lines += [
        "",
        f"error entries {kinds[EntryKind.ERROR]}, symptom entries {kinds[EntryKind.SYMPTOM]}",
        f"signatures {sum(len(e.all_signatures) for e in kb.entries)}, "
        f"patterns {sum(len(e.patterns) for e in kb.entries)}, "
        f"symptoms {sum(len(e.symptoms) for e in kb.entries)}",
        f"workarounds {sum(len(e.workarounds) for e in kb.entries)}, "
        f"dead ends {sum(len(e.dead_ends) for e in kb.entries)}, "
        f"reproducers {sum(1 for e in kb.entries if e.reproducer)}",
        f"load problems {len(kb.problems)}",
    ]
    return "\n".join(lines) + "\n"
