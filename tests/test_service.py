"""The service between the core and the two faces (the Discord bot and the command line), called directly:
a real engine on the bundled knowledge, a real SQLite store in tmp_path, no Discord."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Every module a face shares with the other: none may need Discord to import.
DISCORD_FREE = ("bot.reply", "bot.feedback.votes")


def imports_discord(modules: list[str]) -> bool:
    """Whether importing these modules, in a fresh interpreter, loads discord.py."""
    code = f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\nprint('discord' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def test_the_renderers_the_reply_model_and_the_vote_vocabulary_need_no_discord() -> None:
    renderers = sorted(f"bot.render.{p.stem}" for p in (REPO / "bot" / "render").glob("*.py") if p.stem != "__init__")
    assert not imports_discord([*DISCORD_FREE, *renderers])
