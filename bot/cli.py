"""The `knownfix` command line: match text in a terminal, curate the knowledge base, evaluate, run the bot."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from bot import __version__
from bot.engine import Engine, default_knowledge_dirs
from bot.knowledge.loader import dump_entry, load_knowledge
from bot.knowledge.markdown import MarkdownError, parse_markdown, render_markdown
from bot.knowledge.model import Entry
from bot.knowledge.validate import entry_from_mapping
from bot.matching.matcher import MatchResult
from bot.render.terminal import NO_MATCH, render_reply
from bot.reply import reply_for

# A pasted file bigger than this is read only in part (extraction keeps its head and tail).
MAX_INPUT_BYTES = 8 * 1024 * 1024


def _knowledge_dirs(args: argparse.Namespace) -> list[Path]:
    return [Path(d) for d in args.knowledge] if args.knowledge else default_knowledge_dirs()


def _read_input(source: str | None) -> str:
    if source in (None, "-"):
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES)
    else:
        with open(source, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES)
    return data.decode("utf-8", errors="replace")


def result_json(result: MatchResult) -> dict[str, Any]:
    return {
        "matches": [
            {"id": m.entry.id, "score": m.score, "confidence": m.confidence.value, "via": m.via} for m in result.matches
        ],
        "reply": result.reply,
    }


def reply_json(result: MatchResult) -> dict[str, Any]:
    out = result_json(result)
    reply = reply_for(result)
    if reply is not None:
        e = reply.entry
        out["entry"] = {
            "id": e.id,
            "title": e.title,
            "root_cause": e.root_cause,
            "verification": e.verification.value,
            "workarounds": [
                {
                    "number": r.number,
                    "title": r.workaround.title,
                    "fix_rate": round(r.rate.observed, 4),
                    "reports": r.rate.reports,
                    "condition": r.workaround.condition,
                    "code": r.workaround.code,
                }
                for r in reply.workarounds
            ],
            "dead_ends": [{"action": d.action, "why": d.why, "fail_rate": d.fail_rate} for d in reply.dead_ends],
        }
    return out


def cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    engine = Engine.load(_knowledge_dirs(args))
    if args.jsonl:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                payload = json.loads(line)
                text = payload["text"] if isinstance(payload, dict) else None
                if not isinstance(text, str):
                    raise ValueError('each line must be an object with a string "text"')
                record = result_json(engine.match(text, top=args.top))
            except (ValueError, KeyError) as exc:
                record = {"matches": [], "reply": False, "error": str(exc)}
            out.write(json.dumps(record) + "\n")
        return 0
    result = engine.match(_read_input(args.file), top=args.top)
    if args.json:
        out.write(json.dumps(reply_json(result), indent=2) + "\n")
        return 0
    reply = reply_for(result)
    out.write(render_reply(reply) if reply else NO_MATCH)
    return 0 if reply else 1


def cmd_kb_lint(args: argparse.Namespace, out: TextIO) -> int:
    kb = load_knowledge(_knowledge_dirs(args))
    for problem in kb.problems:
        out.write(f"{problem}\n")
    out.write(f"{len(kb)} entries loaded, {len(kb.problems)} problems\n")
    return 1 if kb.problems else 0


def _print_entry(args: argparse.Namespace, out: TextIO, render: Callable[[Entry], str]) -> int:
    entry = load_knowledge(_knowledge_dirs(args)).get(args.id)
    if entry is None:
        out.write(f"no entry {args.id!r}\n")
        return 1
    out.write(render(entry))
    return 0


def cmd_kb_show(args: argparse.Namespace, out: TextIO) -> int:
    return _print_entry(args, out, dump_entry)


def cmd_kb_export_md(args: argparse.Namespace, out: TextIO) -> int:
    return _print_entry(args, out, render_markdown)


def cmd_kb_import_md(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.file)
    try:
        data = parse_markdown(path.read_text(encoding="utf-8"))
    except (OSError, MarkdownError) as exc:
        out.write(f"{path}: {exc}\n")
        return 1
    entry, problems = entry_from_mapping(data, str(path))
    for problem in problems:
        out.write(f"{problem}\n")
    if entry is None or problems:
        return 1
    if args.out:
        target = Path(args.out) / f"{entry.id}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_entry(entry), encoding="utf-8")
        out.write(f"wrote {target}\n")
    else:
        out.write(dump_entry(entry))
    return 0


def cmd_kb_import_deadends(args: argparse.Namespace, out: TextIO) -> int:
    from bot.knowledge.deadends import import_deadends

    source, out_dir = Path(args.dir), Path(args.out)
    if not source.is_dir():
        out.write(f"{source}: not a directory\n")
        return 1
    report = import_deadends(source, out_dir, args.licence)
    out.write(report.summary(out_dir))
    return 0 if report.converted else 1


def cmd_kb_stats(args: argparse.Namespace, out: TextIO) -> int:
    from bot.stats import knowledge_stats

    kb = load_knowledge(_knowledge_dirs(args))
    out.write(knowledge_stats(kb))
    return 0


def cmd_kb_verify(args: argparse.Namespace, out: TextIO) -> int:
    from bot.verify import verify_command

    return verify_command(_knowledge_dirs(args), args.only, args.mark, args.timeout, out, trust_packs=args.trust_packs)


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.chat.app import run_bot
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        sys.stderr.write(f"knownfix: {exc}\n")
        return 2
    logging.getLogger().setLevel(settings.log_level)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLogger().level))
    try:
        asyncio.run(run_bot(settings))
    except Exception as exc:  # one clear line for the operator; the log above has the details
        logging.getLogger("knownfix").debug("bot stopped", exc_info=True)
        sys.stderr.write(f"knownfix: the bot stopped: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


async def _feedback_changes(database: str, dirs: list[Path]) -> tuple[Any, Any, Any]:
    from bot.feedback.report import rate_changes
    from bot.store import Store

    kb = load_knowledge(dirs)
    async with Store(database) as store:
        feedback = await store.all_feedback()
        figures = await store.stats()
    return kb, rate_changes(kb, {k: v.tallies for k, v in feedback.items()}), figures


def cmd_stats(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.knowledge.markdown import percent

    if not Path(args.database).exists():
        out.write(f"no database at {args.database}\n")
        return 1
    kb, changes, figures = asyncio.run(_feedback_changes(args.database, _knowledge_dirs(args)))
    out.write(
        f"entries {len(kb)}, replies {figures.replies}, votes {figures.votes}, "
        f"watched channels {figures.watched_channels}\n"
    )
    if figures.top_entries:
        out.write("\nmost matched\n" + "".join(f"  {e:<55} {n}\n" for e, n in figures.top_entries))
    if changes:
        out.write(f"\n{'workaround':<60} {'curated':>8} {'observed':>9} {'reports':>8}\n")
        for c in changes:
            out.write(
                f"{c.entry_id + ' #' + str(c.number):<60} {percent(c.curated):>7}% {percent(c.observed):>8}% "
                f"{c.reports:>8}\n"
            )
    if figures.wrong_matches:
        out.write("\nreported as wrong matches\n" + "".join(f"  {e:<55} {n}\n" for e, n in figures.wrong_matches))
    return 0


def cmd_kb_apply_feedback(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.feedback.apply import apply_feedback

    if not Path(args.database).exists():
        out.write(f"no database at {args.database}\n")
        return 1
    kb, changes, _ = asyncio.run(_feedback_changes(args.database, _knowledge_dirs(args)))
    paths = {e.id: Path(e.path) for e in kb.entries if e.path}
    written = apply_feedback(changes, paths)
    for path in written:
        out.write(f"updated {path}\n")
    out.write(f"{len(written)} file(s) updated from {len(changes)} voted workaround(s); review with git diff\n")
    return 0


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    from bot.evaluate import evaluate_file

    engine = Engine.load(_knowledge_dirs(args))
    out.write(evaluate_file(engine, Path(args.cases)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="knownfix", description=__doc__)
    parser.add_argument("--version", action="version", version=f"knownfix {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    parser.add_argument(
        "--knowledge", action="append", metavar="DIR", help="knowledge directory (repeatable; default: bundled)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    match = sub.add_parser("match", help="match a traceback or symptom from a file or stdin")
    match.add_argument("file", nargs="?", help="a file to read, or - for stdin (the default)")
    match.add_argument("--top", type=int, default=5, help="how many candidates to rank")
    mode = match.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print the reply as JSON")
    mode.add_argument("--jsonl", action="store_true", help='batch: one {"text": ...} a line on stdin')
    match.set_defaults(func=cmd_match)

    kb = sub.add_parser("kb", help="curate the knowledge base").add_subparsers(dest="kb_command", required=True)
    kb.add_parser("lint", help="check every entry; exit 1 on any problem").set_defaults(func=cmd_kb_lint)
    show = kb.add_parser("show", help="print one entry as YAML")
    show.add_argument("id")
    show.set_defaults(func=cmd_kb_show)
    export = kb.add_parser("export-md", help="print one entry as a Markdown page")
    export.add_argument("id")
    export.set_defaults(func=cmd_kb_export_md)
    imp = kb.add_parser("import-md", help="turn a Markdown page into a YAML entry")
    imp.add_argument("file")
    imp.add_argument("--out", metavar="DIR", help="write <DIR>/<id>.yaml instead of printing")
    imp.set_defaults(func=cmd_kb_import_md)
    dead = kb.add_parser("import-deadends", help="turn a folder of deadends.dev canons (JSON) into YAML entries")
    dead.add_argument("dir", help="the canons folder (searched recursively for *.json)")
    dead.add_argument("out", help="writes <OUT>/<domain>/<slug>.yaml")
    dead.add_argument("--licence", help="licence named in source_note (default: from DIR/LICENSE, else MIT)")
    dead.set_defaults(func=cmd_kb_import_deadends)
    kb.add_parser("stats", help="entries by domain and verification level").set_defaults(func=cmd_kb_stats)
    verify = kb.add_parser("verify", help="run the reproducers and check the matcher finds each entry")
    verify.add_argument("--only", action="append", metavar="ID", help="verify only these ids (repeatable)")
    verify.add_argument("--mark", action="store_true", help="mark passing entries `reproduced` in their files")
    verify.add_argument("--timeout", type=float, default=60.0, help="seconds per reproducer")
    verify.add_argument(
        "--trust-packs", action="store_true", help="also run reproducers from packs (code from other sources)"
    )
    verify.set_defaults(func=cmd_kb_verify)

    run = sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument("--config", metavar="FILE", help="a TOML settings file (default: $KNOWNFIX_CONFIG)")
    run.set_defaults(func=cmd_run)

    default_db = os.environ.get("KNOWNFIX_DATABASE", "data/knownfix.sqlite3")
    stats = sub.add_parser("stats", help="replies, votes, and curated against observed fix rates")
    stats.add_argument("--database", default=default_db, help="the bot's SQLite file (default: %(default)s)")
    stats.set_defaults(func=cmd_stats)
    apply = kb.add_parser("apply-feedback", help="write observed fix rates back into the entry files")
    apply.add_argument("--database", default=default_db, help="the bot's SQLite file (default: %(default)s)")
    apply.set_defaults(func=cmd_kb_apply_feedback)

    ev = sub.add_parser("eval", help="top-1, top-3, MRR and passive figures on labelled cases")
    ev.add_argument("cases", help="a JSONL file of {text, expected} cases")
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    code: int = args.func(args, sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
