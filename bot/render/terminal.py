"""The reply as a person reads it in a terminal."""

from __future__ import annotations

import textwrap

from bot.feedback.rates import rate_basis
from bot.knowledge.markdown import percent
from bot.reply import RankedWorkaround, Reply

WIDTH = 100


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_reply(reply: Reply) -> str:
    e = reply.entry
    out = [
        f"{e.title}",
        f"  match: {e.id}  ({reply.confidence.value} confidence, score {reply.score:.2f})  "
        f"[{e.verification.value}{' on ' + e.verified_on if e.verified_on else ''}]",
    ]
    out += _asker_lines(reply)
    out += [
        "",
        "Root cause",
        _wrap(e.root_cause),
    ]
    if reply.workarounds:
        out += ["", "Workarounds (ranked by fix rate)"]
        for rank, r in enumerate(reply.workarounds, 1):
            basis = rate_basis(r.rate)
            out.append(f"  {rank}. {r.workaround.title}  — fixes {percent(r.rate.observed)}% ({basis}){_mark(r)}")
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


def _mark(r: RankedWorkaround) -> str:
    """Whether a workaround is for the asker's pasted versions, with the versions it is for."""
    versions = ", ".join(map(str, r.workaround.applies_to))
    if r.for_asker is False:
        return f"  [not for your version: {versions}]"
    return f"  [for your version: {versions}]" if r.for_asker else ""


def _asker_lines(reply: Reply) -> list[str]:
    """`your torch 2.1.2 + CUDA 12.1, ...`, whether the entry is for those versions, and its version rows
    marked: shown only when the paste stated versions."""
    mine = reply.asker_versions
    if not mine:
        return []
    out = [_wrap(f"your {mine}")]
    ranges = ", ".join(map(str, reply.entry.applies_to))
    if reply.entry_for_asker is False:
        out.append(_wrap(f"note: this entry is for {ranges}, not the version you pasted"))
    elif reply.entry_for_asker:
        out.append(_wrap(f"this entry is for {ranges}: your version is in that range"))
    rows = reply.version_rows
    if any(m.for_asker is not None for m in rows):
        out += ["", "Versions (→ yours)"]
        out += [f"  {'→' if m.for_asker else ' '} {m.row.version} [{m.row.status}]" for m in rows]
    return out


NO_MATCH = "No known fix matched. Paste the full traceback (the last lines matter most), or describe the symptom.\n"
