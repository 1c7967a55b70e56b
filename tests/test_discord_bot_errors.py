"""discord.py bots' errors: a plain Client used as the commands framework's Bot, extensions that do not load, and
Discord's validation errors (50035 Invalid Form Body).

Before their entries, `'Client' object has no attribute 'command'` ranked the generic str entry first at 0.23,
`ExtensionNotFound` the await-None entry, and a bare `400 Bad Request (error code: 50035): Invalid Form Body` was no
error line at all: discord.py's HTTPException message, pasted without its class, read as prose.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.lines import console_error

from .conftest import best_entry_id

EXTENSION_PROGRAM = """\
import asyncio
import os

import discord
from discord.ext import commands

os.makedirs("cogs", exist_ok=True)
open(os.path.join("cogs", "__init__.py"), "w").close()
open(os.path.join("cogs", "fun.py"), "w").write("x = 1\\n")


async def main():
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    await bot.load_extension("cogs.{name}")


asyncio.run(main())
"""


def test_a_client_used_as_a_bot_is_answered_by_its_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    paste = real_traceback(
        "import discord\n\nclient = discord.Client(intents=discord.Intents.default())\n\n\n"
        "@client.command()\nasync def ping(ctx):\n    await ctx.send('pong')\n"
    )
    assert paste.rstrip().endswith("AttributeError: 'Client' object has no attribute 'command'")
    assert best_entry_id(bundled_engine, paste) == "python/discord-client-has-no-command"


@pytest.mark.parametrize(
    ("name", "last_line"),
    [
        ("music", "ExtensionNotFound: Extension 'cogs.music' could not be loaded"),
        ("fun", "NoEntryPointError: Extension 'cogs.fun' has no 'setup' function."),
    ],
)
def test_an_extension_that_does_not_load_is_answered_by_its_entry(
    name: str, last_line: str, bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    paste = real_traceback(EXTENSION_PROGRAM.format(name=name))
    assert last_line in paste.strip().splitlines()[-1]
    assert best_entry_id(bundled_engine, paste) == "python/discord-extension-not-found"


@pytest.mark.parametrize(
    "paste",
    [
        "discord.errors.HTTPException: 400 Bad Request (error code: 50035): Invalid Form Body\n"
        "In content: Must be 2000 or fewer in length.",
        # the message alone, as people copy it from a bot's log or an error embed
        "400 Bad Request (error code: 50035): Invalid Form Body\nIn embeds.0.fields.1.value: This field is required",
        "discord.ext.commands.errors.CommandInvokeError: Command raised an exception: HTTPException: 400 Bad Request "
        "(error code: 50035): Invalid Form Body\nIn embeds.0.description: Must be 4096 or fewer in length.",
    ],
)
def test_discords_validation_error_is_answered_by_its_entry(paste: str, bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, paste) == "python/discord-invalid-form-body"


@pytest.mark.parametrize(
    ("paste", "entry_id"),
    [
        ("403 Forbidden (error code: 50013): Missing Permissions", "python/discord-missing-permissions"),
        ("404 Not Found (error code: 10062): Unknown interaction", "python/discord-unknown-interaction"),
    ],
)
def test_other_codes_keep_their_entries(paste: str, entry_id: str, bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, paste) == entry_id


def test_an_extension_that_raised_inside_is_not_one_that_was_not_found(bundled_engine: Engine) -> None:
    """ExtensionFailed wraps the cog's own error (a missing module, an old API): its cause is that error."""
    paste = "discord.ext.commands.errors.ExtensionFailed: Extension 'cogs.x' raised an error: KeyError: 'token'"
    assert best_entry_id(bundled_engine, paste) != "python/discord-extension-not-found"


def test_an_http_status_with_an_apis_error_code_opening_a_line_is_an_error_line() -> None:
    assert console_error("400 Bad Request (error code: 50035): Invalid Form Body")
    assert console_error("  403 Forbidden (error code: 50013): Missing Permissions")
    report = extract("my bot logs this:\n400 Bad Request (error code: 50035): Invalid Form Body")
    assert [line.text for line in report.error_lines] == ["400 Bad Request (error code: 50035): Invalid Form Body"]
    # a status in a sentence, or without an API's code, is prose
    assert not console_error("The server said 400 Bad Request (error code: 50035): Invalid Form Body")
    assert not console_error("400 Bad Request")
