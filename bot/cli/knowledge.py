"""`knownfix kb`: check, show, import, verify and promote knowledge entries."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.cli.loading import entry_for, knowledge_dirs, knowledge_for
from bot.cli.mistakes import UserMistake, one_line, os_reason
from bot.knowledge.loader import dump_entry, load_knowledge
from bot.knowledge.markdown import MarkdownError, parse_markdown, render_markdown
from bot.knowledge.model import Entry
from bot.knowledge.validate import entry_from_mapping


def cmd_kb_lint(args: argparse.Namespace, out: TextIO) -> int:
    kb = knowledge_for(args)
    for problem in kb.problems:
        out.write(f"{problem}\n")
    out.write(f"{len(kb)} entries loaded, {len(kb.problems)} problems\n")
    return 1 if kb.problems else 0


def _print_entry(args: argparse.Namespace, out: TextIO, render: Callable[[Entry], str]) -> int:
    out.write(render(entry_for(knowledge_for(args), args.id)))
    return 0


def cmd_kb_show(args: argparse.Namespace, out: TextIO) -> int:
    return _print_entry(args, out, dump_entry)


def cmd_kb_export_md(args: argparse.Namespace, out: TextIO) -> int:
    return _print_entry(args, out, render_markdown)


def _entry_from_page(path: Path) -> Entry:
    """The entry a Markdown page describes; a page that cannot be read or is not one is a UserMistake."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserMistake(path, os_reason(exc)) from exc
    except UnicodeDecodeError:
        raise UserMistake(path, "not UTF-8 text") from None
    try:
        data = parse_markdown(text)
    except MarkdownError as exc:
        raise UserMistake(path, f"not an entry page: {exc}") from None
    entry, problems = entry_from_mapping(data, str(path))
    if entry is None or problems:
        listed = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems) or "rejected"
        raise UserMistake(path, f"not a valid entry: {listed}")
    return entry


def _require_directory_or_nothing(path: Path) -> None:
    """An output folder may be missing (it is created) but not a file."""
    if path.exists() and not path.is_dir():
        raise UserMistake(path, "not a directory; the output goes into a folder")


def cmd_kb_import_md(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.file)
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        _require_directory_or_nothing(out_dir)
    entry = _entry_from_page(path)
    if out_dir is None:
        out.write(dump_entry(entry))
        return 0
    target = out_dir / f"{entry.id}.yaml"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_entry(entry), encoding="utf-8")
    except OSError as exc:
        raise UserMistake(exc.filename or target, os_reason(exc, "write")) from exc
    out.write(f"wrote {target}\n")
    return 0


def cmd_kb_import_deadends(args: argparse.Namespace, out: TextIO) -> int:
    from bot.knowledge.deadends import import_deadends

    source, out_dir = Path(args.dir), Path(args.out)
    if not source.exists():
        raise UserMistake(source, "does not exist")
    if not source.is_dir():
        raise UserMistake(source, "not a directory; give the folder of canon JSON files")
    _require_directory_or_nothing(out_dir)
    report = import_deadends(source, out_dir, args.licence)
    out.write(report.summary(out_dir))
    return 0 if report.converted else 1


def cmd_kb_stats(args: argparse.Namespace, out: TextIO) -> int:
    from bot.stats import knowledge_stats

    out.write(knowledge_stats(knowledge_for(args)))
    return 0


def cmd_kb_verify(args: argparse.Namespace, out: TextIO) -> int:
    from bot.verify import verify_command

    dirs = knowledge_dirs(args)
    if args.only:
        kb = load_knowledge(dirs)
        for entry_id in args.only:
            entry_for(kb, entry_id)  # an unknown id is reported before any reproducer runs
    return verify_command(dirs, args.only, args.mark, args.timeout, out, trust_packs=args.trust_packs)


def cmd_kb_drafts(args: argparse.Namespace, out: TextIO) -> int:
    from bot.drafts import DraftError, list_drafts, promote

    drafts_dir = Path(args.drafts)
    if drafts_dir.exists() and not drafts_dir.is_dir():
        raise UserMistake(drafts_dir, "not a directory; drafts live in a folder (--drafts or KNOWNFIX_DRAFTS_DIR)")
    dirs = knowledge_dirs(args)
    kb = load_knowledge(dirs)
    if args.promote:
        try:
            target = promote(drafts_dir, args.promote, dirs[0], kb)
        except DraftError as exc:
            raise UserMistake(args.promote, str(exc)) from None
        out.write(f"promoted {args.promote} to {target}; run knownfix kb lint, then commit it\n")
        return 0
    drafts = list_drafts(drafts_dir, kb)
    for draft in drafts:
        state = "ready to promote" if not draft.problems else f"{len(draft.problems)} problem(s)"
        out.write(f"{draft.id}: {one_line(draft.title)[:100]} ({state})\n")
        out.write("".join(f"  - {one_line(problem)}\n" for problem in draft.problems))
    out.write(f"{len(drafts)} draft(s) in {drafts_dir}\n")
    return 1 if any(d.problems for d in drafts) else 0
