"""Entries as Markdown pages in the seed format, both ways.

`render_markdown` writes the page a curator reads; `parse_markdown` reads such a page back into an entry
mapping (which `validate.entry_from_mapping` then checks like any YAML file). The seed format has no
place for matching fields (signatures, symptoms, ...), so those get sections of their own that are
written only when the entry has them: a page in the plain seed format round-trips to the same text.
Workaround ids follow the same rule: a page lists them (`*Id:*`) only when they differ from the ids
derived from the titles, which is what a page without them gets when it is read.
"""

from __future__ import annotations

import re
from typing import Any

from bot.knowledge.ids import assign_ids
from bot.knowledge.model import Entry, EntryKind
from bot.knowledge.placeholders import fill

DASH = "—"
_HEADER_FIELDS = {
    "ID": "id",
    "Domain": "domain",
    "Category": "category",
    "Kind": "kind",
    "Summary": "summary",
    "Exception": "exception",
    "Verification": "verification",
    "Verified on": "verified_on",
    "Fix Rate": "fix_rate",
}
_LIST_SECTIONS = {"Signatures": "signatures", "Patterns": "patterns", "Symptoms": "symptoms", "Sources": "sources"}


def percent(rate: float) -> str:
    value = rate * 100
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def _fence(code: str, lang: str | None, indent: str) -> list[str]:
    # A fence longer than any backtick run inside the code keeps the block intact.
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    lines = [f"{indent}{ticks}{lang or ''}"]
    lines += [f"{indent}{line}" if line else "" for line in code.split("\n")]
    lines.append(f"{indent}{ticks}")
    return lines


def render_markdown(entry: Entry) -> str:
    out = [f"# {entry.title}", ""]
    out.append(f"- **ID:** `{entry.id}`")
    out.append(f"- **Domain:** {entry.domain}")
    out.append(f"- **Category:** {entry.category}")
    if entry.kind is not EntryKind.ERROR:
        out.append(f"- **Kind:** {entry.kind.value}")
    if entry.summary:
        out.append("- **Summary:** yes")
    if entry.exception:
        out.append(f"- **Exception:** `{entry.exception}`")
    out.append(f"- **Verification:** {entry.verification.value}")
    if entry.verified_on:
        out.append(f"- **Verified on:** {entry.verified_on}")
    out.append(f"- **Fix Rate:** {percent(entry.fix_rate)}%")
    out += ["", "## Root Cause", "", entry.root_cause]

    for heading, attr in (("Signatures", "signatures"), ("Patterns", "patterns"), ("Symptoms", "symptoms")):
        items = getattr(entry, attr)
        if items:
            out += ["", f"## {heading}", ""] + [f"- {item}" for item in items]
    if entry.context.libraries or entry.context.paths:
        out += ["", "## Context", ""]
        if entry.context.libraries:
            out.append(f"- Libraries: {', '.join(entry.context.libraries)}")
        if entry.context.paths:
            out.append(f"- Paths: {', '.join(entry.context.paths)}")

    if entry.versions:
        out += ["", "## Version Compatibility", ""]
        out.append("| Version | Status | Introduced | Deprecated |")
        out.append("|---------|--------|------------|------------|")
        for v in entry.versions:
            out.append(f"| {v.version} | {v.status} | {v.introduced or DASH} | {v.deprecated or DASH} |")

    out += ["", "## Workarounds", ""]
    derived = assign_ids((w.title for w in entry.workarounds), (None for _ in entry.workarounds))
    ids_implicit = derived == [w.id for w in entry.workarounds]
    for i, w in enumerate(entry.workarounds, 1):
        out.append(f"{i}. **{w.title}** ({percent(w.success_rate)}% success)")
        if not ids_implicit:
            out.append(f"   *Id:* {w.id}")
        if w.condition:
            out.append(f"   *When:* {w.condition}")
        if w.applied_fixed or w.applied_failed:
            out.append(f"   *Votes applied:* {w.applied_fixed} fixed, {w.applied_failed} failed")
        if w.code:  # placeholders shown with their examples: a page is read, not filled in
            out += _fence(fill(w.code, {}), w.lang, "   ")

    out += ["", "## Dead Ends", ""]
    for d in entry.dead_ends:
        out.append(f"- **{d.action}** {DASH} {d.why} ({percent(d.fail_rate)}% fail)")

    if entry.sources:
        out += ["", "## Sources", ""] + [f"- {s}" for s in entry.sources]
    if entry.related:
        out += ["", "## Related", ""] + [f"- `{r}`" for r in entry.related]
    if entry.reproducer:
        out += ["", "## Reproducer", ""]
        if entry.reproducer.requires:
            out.append(f"Requires: {', '.join(entry.reproducer.requires)}")
            out.append("")
        if entry.reproducer.stand_in:
            out.append(f"Stand-in: {entry.reproducer.stand_in}")
            out.append("")
        out += _fence(entry.reproducer.code, "python", "")
    if entry.source_note:
        out += ["", "## Source Note", "", entry.source_note]
    return "\n".join(out) + "\n"


class MarkdownError(ValueError):
    """The page is not in the seed format; the message names the line."""


_SECTION_RE = re.compile(r"^## (.+?)\s*$")
_HEADER_RE = re.compile(r"^- \*\*(.+?):\*\* (.*)$")
_WORKAROUND_RE = re.compile(r"^(\d+)\. \*\*(.+)\*\* \((\d+(?:\.\d+)?)% success\)\s*$")
_DEAD_END_RE = re.compile(r"^- \*\*(.+?)\*\* — (.+) \((\d+(?:\.\d+)?)% fail\)\s*$")
_FENCE_RE = re.compile(r"^(\s*)(`{3,})(\S*)\s*$")
_ID_PREFIX = "*Id:* "
_APPLIED_RE = re.compile(r"^\*Votes applied:\* (\d+) fixed, (\d+) failed$")


def _rate(text: str) -> float:
    return round(float(text) / 100, 6)


def _split_sections(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    head: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = head
    fence: str | None = None
    for line in lines:
        fence_match = _FENCE_RE.match(line)
        if fence_match:
            ticks = fence_match.group(2)
            if fence is None:
                fence = ticks
            elif ticks == fence:
                fence = None
        section = _SECTION_RE.match(line) if fence is None else None
        if section:
            current = sections.setdefault(section.group(1), [])
            continue
        current.append(line)
    return head, sections


def _read_fence(lines: list[str], start: int) -> tuple[str, str | None, int]:
    """The code inside the fence opening at lines[start], its language, and the index after the fence."""
    opening = _FENCE_RE.match(lines[start])
    assert opening is not None
    indent, ticks, lang = opening.group(1), opening.group(2), opening.group(3) or None
    body: list[str] = []
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if line.strip() == ticks:
            return "\n".join(body), lang, i + 1
        body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
        i += 1
    raise MarkdownError(f"line {start + 1}: code block is not closed")


def _text(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def parse_markdown(text: str) -> dict[str, Any]:
    """An entry mapping from a page in the seed format (validate it with entry_from_mapping)."""
    lines = text.replace("\r\n", "\n").split("\n")
    head, sections = _split_sections(lines)
    data: dict[str, Any] = {}
    title_lines = [line for line in head if line.startswith("# ")]
    if not title_lines:
        raise MarkdownError("line 1: the page must start with '# <error line>'")
    data["title"] = title_lines[0][2:].strip()
    for line in head:
        m = _HEADER_RE.match(line)
        if not m:
            continue
        key = _HEADER_FIELDS.get(m.group(1))
        if key is None:
            raise MarkdownError(f"unknown header field {m.group(1)!r}")
        value = m.group(2).strip().strip("`")
        if key == "fix_rate":
            data[key] = _rate(value.rstrip("%"))
        elif key == "summary":
            # yes / no, as a page says it; anything else goes on as written, for validation to name
            data[key] = {"yes": True, "no": False}.get(value.lower(), value)
        else:
            data[key] = value

    for heading, body in sections.items():
        if heading == "Root Cause":
            data["root_cause"] = _text(body)
        elif heading in _LIST_SECTIONS:
            data[_LIST_SECTIONS[heading]] = [line[2:] for line in body if line.startswith("- ")]
        elif heading == "Related":
            data["related"] = [line[2:].strip().strip("`") for line in body if line.startswith("- ")]
        elif heading == "Context":
            ctx: dict[str, list[str]] = {}
            for line in body:
                if line.startswith("- Libraries: "):
                    ctx["libraries"] = [x.strip() for x in line[len("- Libraries: ") :].split(",")]
                elif line.startswith("- Paths: "):
                    ctx["paths"] = [x.strip() for x in line[len("- Paths: ") :].split(",")]
            data["context"] = ctx
        elif heading == "Version Compatibility":
            rows = [line for line in body if line.startswith("|")][2:]
            data["versions"] = []
            for row in rows:
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                if len(cells) != 4:
                    raise MarkdownError(f"version row {row!r} must have 4 cells")
                data["versions"].append(
                    {
                        "version": cells[0],
                        "status": cells[1],
                        "introduced": None if cells[2] == DASH else cells[2],
                        "deprecated": None if cells[3] == DASH else cells[3],
                    }
                )
        elif heading == "Workarounds":
            data["workarounds"] = _parse_workarounds(body)
        elif heading == "Dead Ends":
            data["dead_ends"] = []
            for line in body:
                if not line.strip():
                    continue
                m = _DEAD_END_RE.match(line)
                if not m:
                    raise MarkdownError(f"dead end line {line!r} is not '- **action** — why (N% fail)'")
                data["dead_ends"].append({"action": m.group(1), "why": m.group(2), "fail_rate": _rate(m.group(3))})
        elif heading == "Reproducer":
            requires: list[str] = []
            stand_in: str | None = None
            code = ""
            i = 0
            while i < len(body):
                if body[i].startswith("Requires: "):
                    requires = [x.strip() for x in body[i][len("Requires: ") :].split(",")]
                elif body[i].startswith("Stand-in: "):
                    stand_in = body[i][len("Stand-in: ") :].strip()
                elif _FENCE_RE.match(body[i]):
                    code, _, i = _read_fence(body, i)
                    continue
                i += 1
            data["reproducer"] = {"requires": requires, "code": code}
            if stand_in:
                data["reproducer"]["stand_in"] = stand_in
        elif heading == "Source Note":
            data["source_note"] = _text(body)
        else:
            raise MarkdownError(f"unknown section '## {heading}'")
    return data


def _parse_workarounds(body: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(body):
        line = body[i]
        m = _WORKAROUND_RE.match(line)
        if m:
            out.append({"title": m.group(2), "success_rate": _rate(m.group(3))})
        elif line.strip().startswith(_ID_PREFIX) and out:
            out[-1]["id"] = line.strip()[len(_ID_PREFIX) :].strip()
        elif line.strip().startswith("*When:* ") and out:
            out[-1]["condition"] = line.strip()[len("*When:* ") :]
        elif (applied := _APPLIED_RE.match(line.strip())) and out:
            out[-1]["applied_votes"] = {"fixed": int(applied.group(1)), "failed": int(applied.group(2))}
        elif _FENCE_RE.match(line) and out:
            code, lang, i = _read_fence(body, i)
            out[-1]["code"] = code
            if lang:
                out[-1]["lang"] = lang
            continue
        elif line.strip():
            raise MarkdownError(f"workaround line {line!r} is not '1. **title** (N% success)' or a code block")
        i += 1
    # A page without ids gets the ones derived from the titles (see render_markdown).
    ids = assign_ids((str(w["title"]) for w in out), (w.get("id") for w in out))
    for w, workaround_id in zip(out, ids, strict=True):
        w.setdefault("id", workaround_id)  # a bad id given on the page is left for validation to report
    return out
