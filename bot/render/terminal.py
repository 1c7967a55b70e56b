"""The reply as a person reads it in a terminal: wrapped to the terminal's width, in colour on a tty
(never when NO_COLOR is set), in full or `--short` (what matched and the best fix, a few lines)."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from bot.feedback.rates import rate_basis
from bot.knowledge.markdown import percent
from bot.reply import RankedWorkaround, Reply

WIDTH = 100  # when the output is not a terminal (a file, a pipe): wide enough for a traceback line
MIN_WIDTH, MAX_WIDTH = 40, 160  # past these a terminal's width makes wrapped prose harder to read, not easier

# ANSI SGR codes: bold headings, the asker's error in red, rates in green, dead ends dimmed.
_STYLES = {"bold": "1", "error": "1;31", "good": "32", "dim": "2"}


@dataclass(frozen=True)
class Style:
    width: int = WIDTH
    colour: bool = False

    def paint(self, text: str, style: str) -> str:
        return f"\033[{_STYLES[style]}m{text}\033[0m" if self.colour else text


def style_for(out: TextIO, environ: Mapping[str, str] | None = None) -> Style:
    """Colour and width for this output: a tty gets its own width and colour unless NO_COLOR (no-color.org)
    is set to anything; anything else gets plain text at WIDTH."""
    environ = os.environ if environ is None else environ
    isatty = getattr(out, "isatty", None)
    if not (callable(isatty) and isatty()):
        return Style()
    width = min(MAX_WIDTH, max(MIN_WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))
    return Style(width, colour=not environ.get("NO_COLOR"))


_PLAIN = Style()


def _wrap(text: str, indent: str = "  ", style: Style = _PLAIN) -> str:
    return textwrap.fill(" ".join(text.split()), style.width, initial_indent=indent, subsequent_indent=indent)


def render_short(reply: Reply, style: Style = _PLAIN) -> str:
    """Three or four lines: the asker's error, the entry it matched, the best workaround and its rate."""
    e = reply.entry
    out = [style.paint(reply.asker_error, "error")] if reply.asker_error else []
    found = f", {reply.confidence.value} confidence" if reply.confidence is not None else ""
    out.append(_wrap(f"{style.paint(e.title, 'bold')}  [{e.id}{found}]", "", style))
    if reply.workarounds:
        best = reply.workarounds[0]
        rate = style.paint(f"fixes {percent(best.rate.observed)}%", "good")
        out.append(_wrap(f"best fix: {best.workaround.title} ({rate})", "  ", style))
    out.append(f"  full answer: knownfix kb show {e.id}")
    return "\n".join(out) + "\n"


def render_reply(reply: Reply, style: Style = _PLAIN) -> str:
    e = reply.entry

    def bold(text: str) -> str:
        return style.paint(text, "bold")

    out = (
        [style.paint(reply.asker_error, "error"), f"  known error: {bold(e.title)}"]
        if reply.asker_error
        else [bold(e.title)]
    )
    out.append(f"  {_how_found(reply)}  [{e.verification.value}{' on ' + e.verified_on if e.verified_on else ''}]")
    out += _asker_lines(reply)
    out += [
        "",
        bold("Root cause"),
        _wrap(e.root_cause, style=style),
    ]
    if reply.workarounds:
        out += ["", bold("Workarounds (ranked by fix rate)")]
        for rank, r in enumerate(reply.workarounds, 1):
            basis = rate_basis(r.rate)
            rate = style.paint(f"fixes {percent(r.rate.observed)}%", "good")
            out.append(f"  {rank}. {r.workaround.title}  — {rate} ({basis}){_mark(r)}")
            if r.workaround.condition:
                out.append(_wrap(f"when: {r.workaround.condition}", "     ", style))
            if r.shown_code:
                out += [f"       {line}" for line in r.shown_code.split("\n")]  # code is never re-wrapped
    if reply.dead_ends:
        out += ["", bold("Dead ends (what people try that does not work)")]
        for d in reply.dead_ends:
            out.append(style.paint(f"  - {d.action}  — fails {percent(d.fail_rate)}%", "dim"))
            out.append(_wrap(d.why, "      ", style))
    if reply.alternatives:
        out += ["", "Other possible matches"]
        out += [f"  - {m.entry.id}  ({m.score:.2f}): {m.entry.title[:80]}" for m in reply.alternatives]
    if e.sources:
        out += ["", "Sources"] + [f"  - {s}" for s in e.sources]
    return "\n".join(out) + "\n"


def _how_found(reply: Reply) -> str:
    """`match: <id>  (high confidence, score 0.93)`, or `entry: <id>` for an entry asked for by id."""
    if reply.confidence is None or reply.score is None:
        return f"entry: {reply.entry.id}"
    return f"match: {reply.entry.id}  ({reply.confidence.value} confidence, score {reply.score:.2f})"


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
