"""The reply as a person reads it in a terminal."""

from __future__ import annotations

import textwrap

from bot.feedback.rates import rate_basis
from bot.knowledge.markdown import percent
from bot.reply import Reply

WIDTH = 100


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_reply(reply: Reply) -> str:
    e = reply.entry
    out = [
        f"{e.title}",
        f"  match: {e.id}  ({reply.confidence.value} confidence, score {reply.score:.2f})  "
        f"[{e.verification.value}{' on ' + e.verified_on if e.verified_on else ''}]",
        "",
        "Root cause",
        _wrap(e.root_cause),
    ]
    if reply.workarounds:
        out += ["", "Workarounds (ranked by fix rate)"]
        for rank, r in enumerate(reply.workarounds, 1):
            basis = rate_basis(r.rate)
            out.append(f"  {rank}. {r.workaround.title}  — fixes {percent(r.rate.observed)}% ({basis})")
            if r.workaround.condition:
                out.append(_wrap(f"when: {r.workaround.condition}", "     "))
            if r.workaround.code:
                out += [f"       {line}" for line in r.workaround.code.split("\n")]
    if reply.dead_ends:
        out += ["", "Dead ends (what people try that does not work)"]
        for d in reply.dead_ends:
            out.append(f"  - {d.action}  — fails {percent(d.fail_rate)}%")
            out.append(_wrap(d.why, "      "))
    if reply.alternatives:
        out += ["", "Other possible matches"]
        out += [f"  - {m.entry.id}  ({m.score:.2f}): {m.entry.title[:80]}" for m in reply.alternatives]
    if e.sources:
        out += ["", "Sources"] + [f"  - {s}" for s in e.sources]
    return "\n".join(out) + "\n"


NO_MATCH = "No known fix matched. Paste the full traceback (the last lines matter most), or describe the symptom.\n"
