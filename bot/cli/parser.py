"""The `knownfix` command line: its parser, and `main`, which runs a command and turns a mistake into one line."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from bot import __version__
from bot.cli.database import (
    cmd_db_copy,
    cmd_db_migrate,
    cmd_forget,
    cmd_kb_apply_feedback,
    cmd_kb_gaps,
    cmd_stats,
)
from bot.cli.evaluation import cmd_eval, cmd_tune
from bot.cli.knowledge import (
    cmd_kb_drafts,
    cmd_kb_export_md,
    cmd_kb_import_deadends,
    cmd_kb_import_md,
    cmd_kb_lint,
    cmd_kb_show,
    cmd_kb_stats,
    cmd_kb_verify,
)
from bot.cli.matching import cmd_match
from bot.cli.mistakes import USAGE_EXIT, UserMistake, one_line, os_reason
from bot.cli.running import cmd_run
from bot.gaps import DEFAULT_SHOWN as DEFAULT_GAPS_SHOWN
from bot.matching.matcher import DECISION_MODES, PASSIVE_LEVELS
from bot.settings import Settings, env_setting

DESCRIPTION = "The `knownfix` command line: match text in a terminal, curate the knowledge base, evaluate, run the bot."


class _Parser(argparse.ArgumentParser):
    """argparse with its complaint on one line; the usage it would print first is one --help away."""

    def error(self, message: str) -> NoReturn:
        what, _, why = message.partition(": ")
        said = f"{what} — {why}" if why else message
        self.exit(USAGE_EXIT, f"{self.prog}: {one_line(said)} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 up, not {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
    return value


def _default(name: str) -> Any:
    """An option's default: the setting as the environment gives it (bot.settings reads it), else the bot's own.
    The TOML file stays the bot's (`run --config`): these commands read the environment only, as they did."""
    configured = env_setting(name)
    return configured if configured is not None else getattr(Settings, name)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="knownfix", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"knownfix {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    parser.add_argument(
        "--knowledge", action="append", metavar="DIR", help="knowledge directory (repeatable; default: bundled)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    match = sub.add_parser("match", help="match a traceback or symptom from a file or stdin")
    match.add_argument("file", nargs="?", help="a file to read, or - for stdin (the default)")
    match.add_argument("--top", type=_positive_int, default=5, help="how many candidates to rank")
    match.add_argument(
        "--decisions",
        choices=DECISION_MODES,
        help="passive mode: the hand-set score rules with the normal level's sure answers (score, the default), or "
        "the calibrated probability of one level (calibrated)",
    )
    match.add_argument("--passive-level", choices=PASSIVE_LEVELS, help="how sure the passive decision must be")
    mode = match.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print the reply as JSON")
    mode.add_argument("--short", action="store_true", help="print only what matched and the best fix")
    mode.add_argument("--jsonl", action="store_true", help='batch: one {"text": ...} a line in FILE or stdin')
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
    dead.add_argument("--licence", help="licence named in source_note (default: the canons' data licence, CC BY 4.0)")
    dead.set_defaults(func=cmd_kb_import_deadends)
    kb.add_parser("stats", help="entries by domain and verification level").set_defaults(func=cmd_kb_stats)
    verify = kb.add_parser("verify", help="run the reproducers and check the matcher finds each entry")
    verify.add_argument("--only", action="append", metavar="ID", help="verify only these ids (repeatable)")
    verify.add_argument("--mark", action="store_true", help="record `reproduced` (or `stale`) in the files")
    verify.add_argument("--timeout", type=_positive_seconds, default=60.0, help="seconds per reproducer")
    verify.add_argument(
        "--trust-packs", action="store_true", help="also run reproducers from packs (code from other sources)"
    )
    verify.set_defaults(func=cmd_kb_verify)

    run = sub.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument("--config", metavar="FILE", help="a TOML settings file (default: $KNOWNFIX_CONFIG)")
    run.add_argument("--shard-count", metavar="N", help="shards in all, across every process ($KNOWNFIX_SHARD_COUNT)")
    run.add_argument(
        "--shard-ids", metavar="A,B", help="the shards this process runs (default: all; $KNOWNFIX_SHARD_IDS)"
    )
    run.set_defaults(func=cmd_run)

    default_db = str(_default("database"))
    stats = sub.add_parser("stats", help="replies, votes, and curated against observed fix rates")
    stats.add_argument("--database", default=default_db, help="the bot's SQLite file (default: %(default)s)")
    stats.set_defaults(func=cmd_stats)
    forget = sub.add_parser("forget", help="delete what the database holds about one person or one server")
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", type=int, metavar="ID", help="a Discord user id: their votes, and their id elsewhere")
    who.add_argument("--guild", type=int, metavar="ID", help="a Discord server id: everything recorded there")
    forget.add_argument("--database", default=default_db, help="the bot's SQLite file (default: %(default)s)")
    forget.set_defaults(func=cmd_forget)
    apply = kb.add_parser("apply-feedback", help="write observed fix rates back into the entry files")
    apply.add_argument("--database", default=default_db, help="the bot's SQLite file (default: %(default)s)")
    apply.set_defaults(func=cmd_kb_apply_feedback)
    gaps = kb.add_parser("gaps", help="the most frequent errors the bot could not answer")
    gaps.add_argument("--database", default=default_db, help="the bot's SQLite file (default: %(default)s)")
    gaps.add_argument("--top", type=_positive_int, default=DEFAULT_GAPS_SHOWN, help="how many to list")
    gaps.set_defaults(func=cmd_kb_gaps)
    drafts = kb.add_parser("drafts", help='list the drafts "Save as fix" wrote, or promote one into knowledge')
    drafts.add_argument(
        "--drafts",
        default=str(_default("drafts_dir")),
        help="the drafts folder (default: %(default)s)",
    )
    drafts.add_argument("--promote", metavar="ID", help="move this draft into the first knowledge directory")
    drafts.set_defaults(func=cmd_kb_drafts)

    db = sub.add_parser("db", help="the bot's database: migrate it, or copy it into another")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_migrate = db_sub.add_parser("migrate", help="bring the database to this knownfix's schema version")
    db_migrate.add_argument(
        "--database", default=default_db, help="a SQLite file or a postgresql:// URL (default: $KNOWNFIX_DATABASE)"
    )
    db_migrate.set_defaults(func=cmd_db_migrate)
    db_copy = db_sub.add_parser("copy", help="copy every table into another database, e.g. SQLite to PostgreSQL")
    db_copy.add_argument("--from", dest="source", required=True, metavar="DATABASE", help="sqlite:PATH or a URL")
    db_copy.add_argument(
        "--to", dest="target", required=True, metavar="DATABASE", help="postgresql://... or sqlite:PATH"
    )
    db_copy.add_argument("--force", action="store_true", help="replace the rows the target already holds")
    db_copy.set_defaults(func=cmd_db_copy)

    tune = sub.add_parser("tune", help="fit the calibration (and optionally the scoring weights) on the corpus")
    tune.add_argument("--corpus", metavar="DIR", help="labelled JSONL cases (default: evaluation/corpus)")
    tune.add_argument("--folds", type=_positive_int, default=5, help="cross-validation folds")
    tune.add_argument("--seed", type=int, default=20261202, help="seed of the fold assignment")
    tune.add_argument("--fit-scoring", action="store_true", help="refit the [scoring] weights too")
    tune.add_argument("--dry-run", action="store_true", help="print the figures, leave the table as it is")
    tune.set_defaults(func=cmd_tune)

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
    try:
        code: int = args.func(args, sys.stdout)
    except UserMistake as exc:
        return _say_mistake(str(exc))
    except BrokenPipeError:
        # The reader went away (`knownfix match log | head -3`): nothing more to say, and nothing to flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        if exc.filename is None:
            raise
        # A file the command needed and could not use, in a path not guarded above: still one line.
        logging.getLogger("knownfix").debug("file error", exc_info=True)
        return _say_mistake(f"{exc.filename} — {os_reason(exc, 'use it')}")
    except KeyboardInterrupt:
        return 130  # what a shell reports for Ctrl-C; the traceback would say nothing new
    return code


def _say_mistake(message: str) -> int:
    sys.stderr.write(f"knownfix: {one_line(message)}\n")
    return USAGE_EXIT
