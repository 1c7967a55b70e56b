"""The commands that read or change the bot's database: stats, forget, fix rates back into entries, gaps, db."""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
from pathlib import Path
from typing import Any, TextIO

from bot.cli.loading import knowledge_dirs
from bot.cli.mistakes import UserMistake, os_reason
from bot.knowledge.loader import load_knowledge

SQLITE_MAGIC = b"SQLite format 3\x00"  # the first bytes of every SQLite database file


async def _feedback_changes(database: str, dirs: list[Path]) -> tuple[Any, Any, Any]:
    from bot.feedback.report import rate_changes, workaround_ids
    from bot.store import Store

    kb = load_knowledge(dirs)
    async with Store(database, workaround_ids(kb)) as store:
        feedback = await store.all_feedback()
        figures = await store.stats()
    return kb, rate_changes(kb, {k: v.tallies for k, v in feedback.items()}), figures


def check_database(path: Path) -> None:
    """The bot's database, checked without writing to it: opening anything else through the store would
    add the bot's tables to it."""
    from bot.store.schema import SCHEMA_VERSION

    where = "the bot's SQLite file; --database or KNOWNFIX_DATABASE"
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise UserMistake(path, f"no such file ({where})") from None
    except OSError as exc:
        raise UserMistake(path, os_reason(exc)) from exc
    if header != SQLITE_MAGIC:
        raise UserMistake(path, f"not a SQLite database ({where})")
    try:
        with contextlib.closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise UserMistake(path, f"not a readable SQLite database ({exc})") from exc
    if version == 0:
        raise UserMistake(path, "not a knownfix database (it has none of the bot's tables)")
    if version > SCHEMA_VERSION:
        newer = f"schema {version}; this one knows up to {SCHEMA_VERSION}"
        raise UserMistake(path, f"written by a newer knownfix ({newer})")


def cmd_stats(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.knowledge.markdown import percent

    check_database(Path(args.database))
    kb, changes, figures = asyncio.run(_feedback_changes(args.database, knowledge_dirs(args)))
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
                f"{c.entry_id + ' ' + c.workaround_id:<60} {percent(c.curated):>7}% {percent(c.observed):>8}% "
                f"{c.reports:>8}\n"
            )
    if figures.wrong_matches:
        out.write("\nreported as wrong matches\n" + "".join(f"  {e:<55} {n}\n" for e, n in figures.wrong_matches))
        out.write("  (votes on a reply marked a wrong match do not count toward fix rates)\n")
    if figures.unattached_votes:
        out.write(
            f"\nunattached votes {figures.unattached_votes}: cast for a workaround position their entry no longer"
            " has when votes moved to workaround ids; kept in the database, counted nowhere\n"
        )
    return 0


def cmd_forget(args: argparse.Namespace, out: TextIO) -> int:
    """Delete what the database holds about one person or one server (docs/privacy.md)."""
    import asyncio

    from bot.store import Store

    check_database(Path(args.database))

    async def forget() -> str:
        async with Store(Path(args.database)) as store:
            if args.user is not None:
                votes = await store.forget_user(args.user)
                return f"user {args.user}: {votes} vote(s) deleted; their id removed from replies and settings\n"
            replies = await store.forget_guild(args.guild)
            return f"server {args.guild}: {replies} reply record(s) with their votes, watches and settings deleted\n"

    out.write(asyncio.run(forget()))
    return 0


def cmd_kb_apply_feedback(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.feedback.apply import apply_feedback

    check_database(Path(args.database))
    kb, changes, _ = asyncio.run(_feedback_changes(args.database, knowledge_dirs(args)))
    paths = {e.id: Path(e.path) for e in kb.entries if e.path}
    written = apply_feedback(changes, paths)
    for path in written:
        out.write(f"updated {path}\n")
    out.write(f"{len(written)} file(s) updated from {len(changes)} voted workaround(s); review with git diff\n")
    return 0


def cmd_kb_gaps(args: argparse.Namespace, out: TextIO) -> int:
    from bot.gaps import FINGERPRINT_SCHEME, gaps_text
    from bot.store.store import TOP_GAPS_SQL, gap_from_row

    path = Path(args.database)
    check_database(path)
    # Read-only: a listing never migrates or locks the database a running bot is writing to.
    with contextlib.closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as db:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'gaps'").fetchone() is None:
            out.write("No unanswered errors recorded yet (the bot adds the table at its next start).\n")
            return 0
        rows = db.execute(TOP_GAPS_SQL, (FINGERPRINT_SCHEME, args.top)).fetchall()
    out.write(gaps_text([gap_from_row(row) for row in rows]))
    return 0


def _database_call(work: Any) -> Any:
    """Run a `knownfix db` coroutine; a database that refuses (in use, too new, unreachable) is one line."""
    import asyncio

    from bot.store import DatabaseInUseError, SchemaTooNewError, StoreError

    try:
        return asyncio.run(work)
    except (StoreError, DatabaseInUseError, SchemaTooNewError) as exc:
        raise UserMistake("knownfix db", str(exc)) from None


def cmd_db_migrate(args: argparse.Namespace, out: TextIO) -> int:
    from bot.feedback.report import workaround_ids
    from bot.store.transfer import migrate

    ids = workaround_ids(load_knowledge(knowledge_dirs(args)))  # schema 4 reads them from old databases
    done = _database_call(migrate(args.database, ids))
    change = f"{done.before} -> {done.after}" if done.before != done.after else f"{done.after}, already current"
    out.write(f"database {done.database}: schema version {change}\n")
    return 0


def cmd_db_copy(args: argparse.Namespace, out: TextIO) -> int:
    from bot.feedback.report import workaround_ids
    from bot.store.backend import display_name, is_postgres, sqlite_path
    from bot.store.transfer import copy

    if not is_postgres(args.source):
        check_database(Path(sqlite_path(args.source)))  # a mistyped path must not become a new empty database
    ids = workaround_ids(load_knowledge(knowledge_dirs(args)))
    counts = _database_call(copy(args.source, args.target, force=args.force, workaround_ids=ids))
    out.write(f"copied {display_name(args.source)} -> {display_name(args.target)}\n")
    out.write("".join(f"  {table:<17} {n}\n" for table, n in counts.items()))
    return 0
