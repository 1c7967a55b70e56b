"""`knownfix eval` and `knownfix tune`: the matcher's figures on labelled cases, and its fit on the corpus."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from bot.cli.loading import engine_for
from bot.cli.mistakes import UserMistake, one_line, os_reason


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    from bot.evaluate import CasesError, check_expected_ids, evaluate, figures_text, read_cases

    path = Path(args.cases)
    try:
        cases = read_cases(path)  # before loading the knowledge: a broken file says so at once
    except OSError as exc:
        raise UserMistake(path, os_reason(exc)) from exc
    except CasesError as exc:
        raise UserMistake(path, str(exc)) from None
    engine = engine_for(args)
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
    engine = engine_for(args)
    try:
        cases, problems = tune.load_corpus(directory, {e.id for e in engine.kb.entries})
    except tune.CorpusError as exc:
        raise UserMistake(directory, str(exc)) from None
    for problem in problems:
        print(f"knownfix: skipped {one_line(problem)}", file=sys.stderr)
    if len(cases) < args.folds * 2:
        raise UserMistake(directory, f"{len(cases)} cases are too few for {args.folds} folds")
    result = tune.tune(engine, cases, default_weights(), k=args.folds, seed=args.seed, scoring=args.fit_scoring)
    out.write(tune.report(result, len(cases)))
    if not args.dry_run:
        tune.write(result, scoring=args.fit_scoring)
        out.write(f"wrote {WEIGHTS_FILE}\n")
    return 0
