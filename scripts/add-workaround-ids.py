#!/usr/bin/env python3
"""Add an `id:` to every workaround that lacks one, in the knowledge files or folders given (default:
knowledge/). Idempotent: ids already present are never changed, so running it again changes nothing.

    .venv/bin/python scripts/add-workaround-ids.py [PATH ...]

Votes are stored under a workaround's id, so an id must not change once people have voted: review the
new ids with `git diff` before committing, and rename one only before the entry ships.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, not installed

import yaml

from bot.knowledge.ids import add_ids_to_text


def entry_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(p for p in path.rglob("*.yaml") if p.is_file()) if path.is_dir() else [path]
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [Path(__file__).resolve().parent.parent / "knowledge"]
    added = changed = failed = 0
    for path in entry_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
            new, count = add_ids_to_text(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            sys.stderr.write(f"{path}: skipped: {' '.join(str(exc).split())}\n")
            failed += 1
            continue
        if count:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: {count} id(s) added")
            added += count
            changed += 1
    print(f"{added} id(s) added in {changed} file(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
