"""Waiting for a line in a bot process's log, for the end-to-end tests.

Polled: a log file changing is no event of the fake Discord's, so `fake.wait_until` would look again only when some
Discord traffic happened to follow, and a line written between requests could go unseen until its timeout.
"""

from __future__ import annotations

import asyncio

from tests.fakediscord import BotProcess

LOG_POLL_S = 0.05  # how often the log is read again: far below any timeout, and a cheap read of a small file
LOG_TAIL_CHARS = 3000  # how much of the log a timeout shows: the last few dozen lines


async def logged(bot: BotProcess, line: str, timeout: float) -> None:
    """Wait until `line` is in the bot's log; an AssertionError with the log's tail after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while line not in bot.log():
                await asyncio.sleep(LOG_POLL_S)
    except TimeoutError:
        raise AssertionError(f"{line!r} not in the log after {timeout} s:\n{bot.log()[-LOG_TAIL_CHARS:]}") from None
