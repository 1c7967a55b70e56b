"""Draft entries: a helper's answer in a help thread, saved for curators to rewrite, review and promote.

"Save as fix" (a message context menu) turns the asker's error and a helper's answer into a draft YAML
entry under the drafts directory, which nothing loads. The draft holds people's words, so a comment at
its top records a hash of each sentence copied from the thread; `knownfix kb drafts` lists drafts with
their lint problems, counting a copied sentence that is still unchanged as one, and `--promote ID` moves a
draft into the knowledge directory only when it has none.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.knowledge.loader import KnowledgeBase, dump_entry, entry_files, expected_id, parse_yaml_file
from bot.knowledge.validate import CATEGORY_RE, ID_RE, entry_from_mapping
from bot.matching.extract import ErrorLine, ErrorReport
from bot.matching.normalize import normalize

# Where a library seen in the asker's error files the draft (the knowledge folders); first match wins,
# so the more specific library comes before the one it is built on.
DOMAIN_BY_LIBRARY = (
    ("transformers", "transformers"),
    ("lightning", "lightning"),
    ("cv2", "opencv"),
    ("matplotlib", "matplotlib"),
    ("sklearn", "sklearn"),
    ("pandas", "pandas"),
    ("cuda", "cuda"),
    ("torch", "pytorch"),
    ("torchvision", "pytorch"),
    ("numpy", "numpy"),
    ("jupyter", "jupyter"),
    ("conda", "conda"),
    ("pip", "pip"),
)
DEFAULT_DOMAIN = "python"
CONSOLE_CATEGORY = "environment"  # an error line with no exception class: pip, conda, the shell
# One helper's answer that worked once says nothing about how often it works: the middle, until votes
# (which move an ai_generated rate after a handful of reports) say more.
UNKNOWN_RATE = 0.5
ANSWER_CHARS = 6000  # a helper's message is read up to this; Discord allows 4000
TITLE_CHARS = 300
ROOT_CAUSE_CHARS = 1500
WORKAROUND_TITLE_CHARS = 120
CODE_CHARS = 4000
SLUG_WORDS = 6  # words of the error message in a draft's slug: enough to tell drafts apart
SLUG_CHARS = 60
COPY_HASH_DIGITS = 12  # enough to notice an unchanged sentence; the text itself is not kept twice
NO_PROSE = "(The helper answered with code only: say here, in our own words, why the error happens.)"
NO_TITLE = "The fix from the help thread"

_FENCE = re.compile(r"```([\w+-]{0,20})[ \t]*\n?(.{0,8000}?)```", re.DOTALL)
_MENTION = re.compile(r"<(?:@[!&]?|#)\d{1,25}>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_SLUG_WORD = re.compile(r"[a-z0-9]+")
_PLACEHOLDER = re.compile(r"^_[a-z]+_$")
_COPIED = re.compile(r"^# copied: (.*)$", re.MULTILINE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class DraftError(Exception):
    """A draft cannot be saved or promoted as asked; the message says why, in one line."""


@dataclass(frozen=True)
class SavedDraft:
    id: str
    path: Path


@dataclass(frozen=True)
class DraftStatus:
    id: str
    path: Path
    title: str
    problems: tuple[str, ...]


def _copy_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:COPY_HASH_DIGITS]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_answer(text: str) -> tuple[str, str, str | None]:
    """A helper's message as (prose, code, language of the first code block); mentions are dropped, so no
    user or channel id ends up in a file."""
    text = _MENTION.sub("", text[:ANSWER_CHARS])
    blocks = list(_FENCE.finditer(text))
    code = "\n\n".join(m.group(2).strip("\n") for m in blocks if m.group(2).strip())
    prose = " ".join(_FENCE.sub(" ", text).split())
    lang = next((m.group(1).lower() for m in blocks if m.group(1)), None)
    return prose, _clip(code, CODE_CHARS), lang


def domain_for(report: ErrorReport) -> str:
    return next((domain for library, domain in DOMAIN_BY_LIBRARY if library in report.libraries), DEFAULT_DOMAIN)


def category_for(line: ErrorLine) -> str:
    """`RuntimeError` -> `runtime_error`; a console error line (no exception class) -> environment."""
    name = line.exception_name
    if not name:
        return CONSOLE_CATEGORY
    category = _CAMEL.sub("_", name).lower()
    return category if CATEGORY_RE.match(category) else CONSOLE_CATEGORY


def slug_for(line: ErrorLine) -> str:
    words = [w for w in _SLUG_WORD.findall(normalize(line.message or line.text)) if not _PLACEHOLDER.match(w)]
    slug = "-".join(words[:SLUG_WORDS])[:SLUG_CHARS].strip("-")
    return slug or category_for(line).replace("_", "-")


def _unique_id(domain: str, slug: str, taken: Collection[str]) -> str:
    candidate, n = f"{domain}/{slug}", 2
    while candidate in taken:
        candidate, n = f"{domain}/{slug}-{n}", n + 1
    return candidate


def draft_mapping(report: ErrorReport, answer: str, entry_id: str, source: str) -> dict[str, Any]:
    """The draft entry: the asker's last error line as title and signature, the helper's words as root
    cause and first workaround, rates in the middle, verification at the lowest level."""
    line = report.error_lines[-1]
    prose, code, lang = split_answer(answer)
    first_sentence = _SENTENCE_END.split(prose, maxsplit=1)[0] if prose else ""
    workaround: dict[str, Any] = {
        "title": _clip(first_sentence, WORKAROUND_TITLE_CHARS) or NO_TITLE,
        "success_rate": UNKNOWN_RATE,
    }
    if code:
        workaround["code"] = code
        if lang:
            workaround["lang"] = lang
    data: dict[str, Any] = {
        "id": entry_id,
        "title": _clip(line.text, TITLE_CHARS),
        "domain": entry_id.split("/")[0],
        "category": category_for(line),
        "kind": "error",
        "signatures": [_clip(line.text, TITLE_CHARS)],
        "verification": "ai_generated",
        "fix_rate": UNKNOWN_RATE,
        "root_cause": _clip(prose, ROOT_CAUSE_CHARS) or NO_PROSE,
        "workarounds": [workaround],
        "dead_ends": [],
        "source_note": f"From a Discord help thread: {source}",
    }
    if line.exception:
        data["exception"] = line.exception
    if report.libraries:
        data["context"] = {"libraries": sorted(report.libraries)}
    return data


def _copied_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """The sentences taken from people's messages, by field: what must be rewritten before promotion."""
    fields = {"root_cause": str(data["root_cause"])}
    title = data["workarounds"][0]["title"]
    if title != NO_TITLE:
        fields["workarounds[0].title"] = str(title)
    if data["root_cause"] == NO_PROSE:
        del fields["root_cause"]
    return fields


def _header(entry_id: str, copied: Mapping[str, str], now: datetime) -> str:
    pairs = " ".join(f"{field}={_copy_hash(text)}" for field, text in copied.items())
    return (
        f"# knownfix draft, saved {now.date().isoformat()} from a Discord help thread; not loaded by the bot.\n"
        "# It holds people's words: rewrite the root cause and the workaround in our own words, check the\n"
        f"# rates and the signature, then: knownfix kb drafts --promote {entry_id}\n"
        f"# copied: {pairs}\n"
    )


def save_draft(
    drafts_dir: Path, question: ErrorReport, answer: str, source: str, kb: KnowledgeBase, now: datetime | None = None
) -> SavedDraft:
    """Write `<drafts_dir>/<domain>/<slug>.yaml` for the asker's error and the helper's answer."""
    if not question.error_lines:
        raise DraftError("the question has no error line to file the fix under")
    line = question.error_lines[-1]
    domain = domain_for(question)
    drafted = entry_files(drafts_dir) if drafts_dir.is_dir() else iter(())
    taken = set(kb.by_id) | {expected_id(drafts_dir, path) for path in drafted}
    entry_id = _unique_id(domain, slug_for(line), taken)
    data = draft_mapping(question, answer, entry_id, source)
    entry, problems = entry_from_mapping(data, entry_id, entry_id)
    if entry is None:  # the mapping is built to be valid: a problem here is a bug, said in one line
        raise DraftError(f"the draft would not be a valid entry: {problems[0] if problems else 'rejected'}")
    path = drafts_dir / f"{entry_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as fh:  # "x": a draft saved at the same moment is never overwritten
        fh.write(_header(entry_id, _copied_fields(data), now or datetime.now(UTC)) + dump_entry(entry))
    return SavedDraft(entry_id, path)


def _field_value(data: Mapping[str, Any], field: str) -> Any:
    """`root_cause` or `workarounds[0].title` looked up in a parsed draft; None when it is gone."""
    if field == "root_cause":
        return data.get("root_cause")
    match = re.fullmatch(r"workarounds\[(\d+)\]\.(\w+)", field)
    items = data.get("workarounds")
    if match is None or not isinstance(items, list) or int(match.group(1)) >= len(items):
        return None
    item = items[int(match.group(1))]
    return item.get(match.group(2)) if isinstance(item, dict) else None


def unchanged_copies(text: str, data: Any) -> list[str]:
    """The copied sentences (recorded in the draft's header) still unchanged: each a lint problem."""
    found = _COPIED.search(text)
    if found is None or not isinstance(data, dict):
        return []
    problems = []
    for pair in found.group(1).split():
        field, _, digest = pair.partition("=")
        value = _field_value(data, field)
        if isinstance(value, str) and _copy_hash(value) == digest:
            problems.append(f"{field}: still the words copied from the thread; rewrite it in our own words")
    return problems


def _draft_problems(directory: Path, path: Path, kb: KnowledgeBase) -> tuple[str, str, list[str]]:
    """The draft's id, title and every reason it may not be promoted yet."""
    draft_id = expected_id(directory, path)
    data, problem = parse_yaml_file(path)
    if problem is not None:
        return draft_id, "", [f"{problem.field}: {problem.message}" if problem.field else problem.message]
    entry, found = entry_from_mapping(data, str(path), draft_id)
    problems = [f"{p.field}: {p.message}" if p.field else p.message for p in found]
    problems += unchanged_copies(path.read_text(encoding="utf-8"), data)
    if draft_id in kb.by_id:
        problems.append(f"id: the knowledge base already has {draft_id} ({kb.by_id[draft_id].path})")
    if entry is not None:
        problems += [f"related: no entry has id {rid!r}" for rid in entry.related if rid not in kb.by_id]
    return draft_id, entry.title if entry else "", problems


def list_drafts(drafts_dir: Path, kb: KnowledgeBase) -> list[DraftStatus]:
    if not drafts_dir.is_dir():
        return []
    statuses = []
    for path in entry_files(drafts_dir):
        draft_id, title, problems = _draft_problems(drafts_dir, path, kb)
        statuses.append(DraftStatus(draft_id, path, title, tuple(problems)))
    return statuses


def _without_header(text: str) -> str:
    """The draft's YAML without the comment lines at its top, which speak of the draft only."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[start:])


def promote(drafts_dir: Path, draft_id: str, knowledge_dir: Path, kb: KnowledgeBase) -> Path:
    """Move a draft that lints clean into the knowledge directory; DraftError says why not otherwise."""
    if not ID_RE.match(draft_id):
        raise DraftError(f"{draft_id!r} is not an entry id (domain/slug)")
    path = drafts_dir / f"{draft_id}.yaml"
    if not path.is_file():
        raise DraftError(f"no draft {draft_id} in {drafts_dir} (list them with knownfix kb drafts)")
    _, _, problems = _draft_problems(drafts_dir, path, kb)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DraftError(f"draft {draft_id} is not ready: {problems[0]}{more}")
    target = knowledge_dir / f"{draft_id}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8") as fh:
            fh.write(_without_header(path.read_text(encoding="utf-8")))
    except FileExistsError:
        raise DraftError(f"{target} already exists") from None
    path.unlink()
    return target
