"""What a command names, loaded and checked: the knowledge directories, the engine, one entry."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.mistakes import UserMistake
from bot.engine import Engine
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.knowledge.model import Entry
from bot.matching.matcher import Thresholds
from bot.service import UnknownEntryError, find_entry
from bot.settings import default_knowledge_dirs, env_setting


def knowledge_dirs(args: argparse.Namespace) -> list[Path]:
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


def engine_for(args: argparse.Namespace) -> Engine:
    thresholds = Thresholds(
        decisions=getattr(args, "decisions", None) or Thresholds.decisions,
        passive_level=getattr(args, "passive_level", None) or Thresholds.passive_level,
    )
    return Engine.load(knowledge_dirs(args), thresholds)


def knowledge_for(args: argparse.Namespace) -> KnowledgeBase:
    return load_knowledge(knowledge_dirs(args))


def entry_for(kb: KnowledgeBase, entry_id: str) -> Entry:
    """The entry with this id; an id no entry has is a typo more often than not, so the closest ids are named."""
    try:
        return find_entry(kb, entry_id)
    except UnknownEntryError as exc:
        hint = f"; did you mean {' or '.join(exc.close)}?" if exc.close else ""
        raise UserMistake(entry_id, f"no entry has this id{hint}") from None
