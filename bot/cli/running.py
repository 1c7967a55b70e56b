"""`knownfix run`: the Discord bot, started from its settings."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TextIO


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
