"""The `knownfix` command line: match text in a terminal, curate the knowledge base, evaluate, run the bot."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn, TextIO

from bot import __version__
from bot.engine import Engine
from bot.gaps import DEFAULT_SHOWN as DEFAULT_GAPS_SHOWN
from bot.knowledge.loader import KnowledgeBase, dump_entry, load_knowledge
from bot.knowledge.markdown import MarkdownError, parse_markdown, render_markdown
from bot.knowledge.model import Entry
from bot.knowledge.validate import entry_from_mapping
from bot.matching.extract import HEAD_CHARS, MAX_CHARS
from bot.matching.matcher import DECISION_MODES, PASSIVE_LEVELS, Match, MatchResult, Thresholds
from bot.render.terminal import NO_MATCH, render_reply, render_short, style_for
from bot.reply import Reply
from bot.service import Service, UnknownEntryError, find_entry
from bot.settings import Settings, default_knowledge_dirs, env_setting

# Huge input is cut as the engine cuts it (extract.bound_text keeps the first HEAD_CHARS characters and
# the last MAX_CHARS - HEAD_CHARS). A UTF-8 character is at most 4 bytes, so that many characters' worth
# of bytes from each end hands the engine exactly what it would keep of the whole input.
UTF8_MAX_CHAR_BYTES = 4
HEAD_BYTES = HEAD_CHARS * UTF8_MAX_CHAR_BYTES
TAIL_BYTES = (MAX_CHARS - HEAD_CHARS) * UTF8_MAX_CHAR_BYTES
READ_CHUNK_BYTES = 1024 * 1024  # the middle of a pipe is read through in pieces this size, never held whole

USAGE_EXIT = 2  # what argparse exits with for a bad command line; every user mistake exits with it
MAX_SHOWN_CHARS = 200  # a path or id quoted back in a message is cut here, so the message stays one line
SQLITE_MAGIC = b"SQLite format 3\x00"  # the first bytes of every SQLite database file


class UserMistake(Exception):
    """Something asked for that cannot be done as asked: `main` prints one line and exits USAGE_EXIT."""

    def __init__(self, what: object, why: str) -> None:
        shown = str(what)
        if len(shown) > MAX_SHOWN_CHARS:
            shown = shown[: MAX_SHOWN_CHARS - 1] + "…"
        super().__init__(f"{shown} — {why}")


def _one_line(text: str) -> str:
    """Control characters (a newline in a file name) escaped, so a message is exactly one line."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _os_reason(exc: OSError, doing: str = "read") -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is a file, not a directory"
    if isinstance(exc, PermissionError):
        return f"permission denied ({doing})"
    return f"cannot {doing} ({exc.strerror or exc})"


def _knowledge_dirs(args: argparse.Namespace) -> list[Path]:
    """The knowledge directories asked for, each checked: a wrong one would otherwise just match nothing."""
    if args.knowledge:
        dirs, source = [Path(d) for d in args.knowledge], "--knowledge"
    else:
        dirs, source = default_knowledge_dirs(), "KNOWNFIX_KNOWLEDGE" if env_setting("knowledge") else ""
    hint = f" (from {source})" if source else ""
    for directory in dirs:
        if not directory.exists():
            raise UserMistake(directory, f"knowledge directory does not exist{hint}")
        if not directory.is_dir():
            raise UserMistake(directory, f"not a directory{hint}; knowledge is a folder of YAML entries")
        if not any(p.is_file() for p in directory.rglob("*.yaml")):
            raise UserMistake(directory, f"no entries (*.yaml files) in this knowledge directory{hint}")
    return dirs


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end: a pipe or terminal may hand over less per read."""
    parts, got = [], 0
    while got < size and (part := stream.read(size - got)):
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _rest_of_tail(stream: IO[bytes], carried: bytes) -> bytes | None:
    """The last TAIL_BYTES of `carried` and the rest of the stream; None when the stream has no more.

    A file seeks past its middle; a pipe is read through, keeping only the most recent bytes."""
    with contextlib.suppress(OSError):
        if stream.seekable():
            here, end = stream.tell(), stream.seek(0, os.SEEK_END)
            stream.seek(max(here, end - TAIL_BYTES))
    kept = bytearray(carried)
    more = False
    while chunk := stream.read(READ_CHUNK_BYTES):
        more = True
        kept += chunk
        if len(kept) > 2 * TAIL_BYTES:
            del kept[: len(kept) - TAIL_BYTES]
    return bytes(kept[-TAIL_BYTES:]) if more else None


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def read_bounded(stream: IO[bytes]) -> str:
    """The input as text; input longer than HEAD_BYTES + TAIL_BYTES keeps its head and its tail, joined by
    a newline, and is read without ever holding its middle."""
    start = _read_exactly(stream, HEAD_BYTES + TAIL_BYTES)
    tail = _rest_of_tail(stream, start[HEAD_BYTES:]) if len(start) == HEAD_BYTES + TAIL_BYTES else None
    if tail is None:
        return _decoded(start)
    return _decoded(start[:HEAD_BYTES]) + "\n" + _decoded(tail)


def _source_name(source: str | None) -> str:
    return "standard input" if source in (None, "-") else str(source)


@contextlib.contextmanager
def _input_stream(source: str | None) -> Iterator[IO[bytes]]:
    """The named file, or standard input for None and "-"; a file that cannot be opened is a UserMistake."""
    if source in (None, "-"):
        yield sys.stdin.buffer
        return
    try:
        fh = open(str(source), "rb")  # noqa: SIM115 - the with below closes it; only opening is guarded
    except OSError as exc:
        raise UserMistake(source, _os_reason(exc)) from exc
    with fh:
        yield fh


def _read_input(source: str | None) -> str:
    with _input_stream(source) as stream:
        try:
            return read_bounded(stream)
        except OSError as exc:
            raise UserMistake(_source_name(source), _os_reason(exc)) from exc


def _engine(args: argparse.Namespace) -> Engine:
    thresholds = Thresholds(
        decisions=getattr(args, "decisions", None) or Thresholds.decisions,
        passive_level=getattr(args, "passive_level", None) or Thresholds.passive_level,
    )
    return Engine.load(_knowledge_dirs(args), thresholds)


def _knowledge(args: argparse.Namespace) -> KnowledgeBase:
    return load_knowledge(_knowledge_dirs(args))


def _entry(kb: KnowledgeBase, entry_id: str) -> Entry:
    """The entry with this id; an id no entry has is a typo more often than not, so the closest ids are named."""
    try:
        return find_entry(kb, entry_id)
    except UnknownEntryError as exc:
        hint = f"; did you mean {' or '.join(exc.close)}?" if exc.close else ""
        raise UserMistake(entry_id, f"no entry has this id{hint}") from None


def result_json(result: MatchResult) -> dict[str, Any]:
    return {
        "matches": [
            {
                "id": m.entry.id,
                "score": m.score,
                "probability": m.probability,
                "confidence": m.confidence.value,
                "via": m.via,
            }
            for m in result.matches
        ],
        "reply": result.reply,
        "answer": result.answer,
    }


def reply_json(result: MatchResult, reply: Reply | None) -> dict[str, Any]:
    """The match and the reply for its best entry (the service's, `reply`), as `match --json` prints them."""
    out = result_json(result)
    if reply is not None:
        e = reply.entry
        out["entry"] = {
            "id": e.id,
            "title": e.title,
            "root_cause": e.root_cause,
            "verification": e.verification.value,
            # `rank`: the position shown (best live fix rate first); `number`: the entry's own order.
            "workarounds": [
                {
                    "rank": rank,
                    "number": r.number,
                    "id": r.workaround.id,
                    "title": r.workaround.title,
                    "fix_rate": round(r.rate.observed, 4),
                    "reports": r.rate.reports,
                    "condition": r.workaround.condition,
                    "code": r.shown_code,
                    "for_your_versions": r.for_asker,
                }
                for rank, r in enumerate(reply.workarounds, 1)
            ],
            "dead_ends": [{"action": d.action, "why": d.why, "fail_rate": d.fail_rate} for d in reply.dead_ends],
            "applies_to": {r.library: str(r.specifier) for r in e.applies_to},
            "asker_error": reply.asker_error,
            "for_your_versions": reply.entry_for_asker,
        }
    # The versions the paste stated (collect_env, pip list, nvidia-smi, ...): null when it stated none.
    environment = result.environment
    out["environment"] = environment.as_json() if environment is not None and not environment.empty else None
    return out


def _jsonl_text(raw: bytes) -> str:
    """The "text" of one batch line; ValueError says what is wrong with a line that has none."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("the line is not UTF-8 text") from None
    except RecursionError:  # brackets nested past what the parser recurses into
        raise ValueError("the line is not JSON (nested too deeply)") from None
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        raise ValueError('each line must be an object with a string "text"')
    return text


async def _match_lines(service: Service, lines: Iterable[bytes], top: int, out: TextIO) -> None:
    """One JSON record out for each non-blank line in, in order; a bad line gets a record with its error."""
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = result_json(await service.match(_jsonl_text(raw), top=top))
        except ValueError as exc:  # JSONDecodeError is one
            record = {"matches": [], "reply": False, "answer": False, "error": str(exc)}
        out.write(json.dumps(record) + "\n")


async def _match_text(service: Service, text: str, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        result = await service.match(text, top=args.top)
        out.write(json.dumps(reply_json(result, await service.reply_for(result)), indent=2) + "\n")
        return 0
    asked = await service.answer(text, top=args.top)
    if asked.reply is None:
        out.write(_candidates_text(asked.candidates) if asked.candidates else NO_MATCH)
        return 1
    style = style_for(out)
    out.write(render_short(asked.reply, style) if args.short else render_reply(asked.reply, style))
    return 0


def cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    if args.jsonl:
        with _input_stream(args.file) as lines:
            asyncio.run(_match_lines(Service.over(_engine(args)), lines, args.top, out))
        return 0
    text = _read_input(args.file)  # before loading the knowledge: input that cannot be read says so at once
    code: int = asyncio.run(_match_text(Service.over(_engine(args)), text, args, out))
    return code


def _candidates_text(candidates: Sequence[Match]) -> str:
    """ "No confident match" and the closest entries (the service picks a few), to open with `knownfix kb show ID`."""
    lines = ["No confident match. The closest entries (open one with knownfix kb show ID):"]
    lines += [f"  - {m.entry.id}: {_one_line(m.entry.title)[:100]}" for m in candidates]
    return "\n".join(lines) + "\n"


def cmd_kb_lint(args: argparse.Namespace, out: TextIO) -> int:
    kb = _knowledge(args)
    for problem in kb.problems:
        out.write(f"{problem}\n")
    out.write(f"{len(kb)} entries loaded, {len(kb.problems)} problems\n")
    return 1 if kb.problems else 0


def _print_entry(args: argparse.Namespace, out: TextIO, render: Callable[[Entry], str]) -> int:
    out.write(render(_entry(_knowledge(args), args.id)))
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
        raise UserMistake(path, _os_reason(exc)) from exc
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
        raise UserMistake(exc.filename or target, _os_reason(exc, "write")) from exc
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

    out.write(knowledge_stats(_knowledge(args)))
    return 0


def cmd_kb_verify(args: argparse.Namespace, out: TextIO) -> int:
    from bot.verify import verify_command

    dirs = _knowledge_dirs(args)
    if args.only:
        kb = load_knowledge(dirs)
        for entry_id in args.only:
            _entry(kb, entry_id)  # an unknown id is reported before any reproducer runs
    return verify_command(dirs, args.only, args.mark, args.timeout, out, trust_packs=args.trust_packs)


def _shard_flags(args: argparse.Namespace) -> dict[str, str]:
    """`run --shard-count/--shard-ids` as the environment variables they override, checked the same way."""
    flags = {"KNOWNFIX_SHARD_COUNT": args.shard_count, "KNOWNFIX_SHARD_IDS": args.shard_ids}
    return {name: value for name, value in flags.items() if value is not None}


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.chat.app import run_bot
    from bot.logformat import use_log_format
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.config, {**os.environ, **_shard_flags(args)})
    except SettingsError as exc:
        sys.stderr.write(f"knownfix: {exc}\n")
        return 2
    use_log_format(settings.log_format)
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
    from bot.feedback.report import rate_changes, workaround_ids
    from bot.store import Store

    kb = load_knowledge(dirs)
    async with Store(database, workaround_ids(kb)) as store:
        feedback = await store.all_feedback()
        figures = await store.stats()
    return kb, rate_changes(kb, {k: v.tallies for k, v in feedback.items()}), figures


def _check_database(path: Path) -> None:
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
        raise UserMistake(path, _os_reason(exc)) from exc
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

    _check_database(Path(args.database))
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

    _check_database(Path(args.database))

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

    _check_database(Path(args.database))
    kb, changes, _ = asyncio.run(_feedback_changes(args.database, _knowledge_dirs(args)))
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
    _check_database(path)
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

    ids = workaround_ids(load_knowledge(_knowledge_dirs(args)))  # schema 4 reads them from old databases
    done = _database_call(migrate(args.database, ids))
    change = f"{done.before} -> {done.after}" if done.before != done.after else f"{done.after}, already current"
    out.write(f"database {done.database}: schema version {change}\n")
    return 0


def cmd_db_copy(args: argparse.Namespace, out: TextIO) -> int:
    from bot.feedback.report import workaround_ids
    from bot.store.backend import display_name, is_postgres, sqlite_path
    from bot.store.transfer import copy

    if not is_postgres(args.source):
        _check_database(Path(sqlite_path(args.source)))  # a mistyped path must not become a new empty database
    ids = workaround_ids(load_knowledge(_knowledge_dirs(args)))
    counts = _database_call(copy(args.source, args.target, force=args.force, workaround_ids=ids))
    out.write(f"copied {display_name(args.source)} -> {display_name(args.target)}\n")
    out.write("".join(f"  {table:<17} {n}\n" for table, n in counts.items()))
    return 0


def cmd_kb_drafts(args: argparse.Namespace, out: TextIO) -> int:
    from bot.drafts import DraftError, list_drafts, promote

    drafts_dir = Path(args.drafts)
    if drafts_dir.exists() and not drafts_dir.is_dir():
        raise UserMistake(drafts_dir, "not a directory; drafts live in a folder (--drafts or KNOWNFIX_DRAFTS_DIR)")
    dirs = _knowledge_dirs(args)
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
        out.write(f"{draft.id}: {_one_line(draft.title)[:100]} ({state})\n")
        out.write("".join(f"  - {_one_line(problem)}\n" for problem in draft.problems))
    out.write(f"{len(drafts)} draft(s) in {drafts_dir}\n")
    return 1 if any(d.problems for d in drafts) else 0


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    from bot.evaluate import CasesError, check_expected_ids, evaluate, figures_text, read_cases

    path = Path(args.cases)
    try:
        cases = read_cases(path)  # before loading the knowledge: a broken file says so at once
    except OSError as exc:
        raise UserMistake(path, _os_reason(exc)) from exc
    except CasesError as exc:
        raise UserMistake(path, str(exc)) from None
    engine = _engine(args)
    try:
        check_expected_ids(cases, {e.id for e in engine.kb.entries})
    except CasesError as exc:
        raise UserMistake(path, str(exc)) from None
    out.write(figures_text(evaluate(engine, cases)))
    return 0


def cmd_tune(args: argparse.Namespace, out: TextIO) -> int:
    from bot import tune
    from bot.matching.weights import WEIGHTS_FILE, default_weights

    directory = Path(args.corpus) if args.corpus else tune.CORPUS_DIR
    if not directory.is_dir():
        raise UserMistake(directory, "not a directory of .jsonl cases")
    engine = _engine(args)
    try:
        cases, problems = tune.load_corpus(directory, {e.id for e in engine.kb.entries})
    except tune.CorpusError as exc:
        raise UserMistake(directory, str(exc)) from None
    for problem in problems:
        print(f"knownfix: skipped {_one_line(problem)}", file=sys.stderr)
    if len(cases) < args.folds * 2:
        raise UserMistake(directory, f"{len(cases)} cases are too few for {args.folds} folds")
    result = tune.tune(engine, cases, default_weights(), k=args.folds, seed=args.seed, scoring=args.fit_scoring)
    out.write(tune.report(result, len(cases)))
    if not args.dry_run:
        tune.write(result, scoring=args.fit_scoring)
        out.write(f"wrote {WEIGHTS_FILE}\n")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with its complaint on one line; the usage it would print first is one --help away."""

    def error(self, message: str) -> NoReturn:
        what, _, why = message.partition(": ")
        said = f"{what} — {why}" if why else message
        self.exit(USAGE_EXIT, f"{self.prog}: {_one_line(said)} (see {self.prog} --help)\n")


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
    parser = _Parser(prog="knownfix", description=__doc__)
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
        return _say_mistake(f"{exc.filename} — {_os_reason(exc, 'use it')}")
    except KeyboardInterrupt:
        return 130  # what a shell reports for Ctrl-C; the traceback would say nothing new
    return code


def _say_mistake(message: str) -> int:
    sys.stderr.write(f"knownfix: {_one_line(message)}\n")
    return USAGE_EXIT


if __name__ == "__main__":
    sys.exit(main())
