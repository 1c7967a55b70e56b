"""Several processes (issue 12, item 2): the shard settings and flags, and which process syncs the slash commands."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.chat.app import ShardedKnownfixBot, make_bot, shard_options, syncs_commands
from bot.settings import Settings, SettingsError, load_settings

from .conftest import REPO

TOKEN = {"DISCORD_TOKEN": "x"}


def test_shard_settings_from_the_environment() -> None:
    settings = load_settings(None, {**TOKEN, "KNOWNFIX_SHARD_COUNT": "4", "KNOWNFIX_SHARD_IDS": "3, 1,1"})
    assert (settings.shard_count, settings.shard_ids) == (4, (1, 3))
    assert shard_options(settings) == {"shard_count": 4, "shard_ids": [1, 3]}
    assert shard_options(load_settings(None, TOKEN)) == {}  # unset: the plain Bot, as before


@pytest.mark.parametrize(
    ("environ", "said"),
    [
        ({"KNOWNFIX_SHARD_IDS": "0"}, "shard_ids: needs shard_count"),
        ({"KNOWNFIX_SHARD_COUNT": "2", "KNOWNFIX_SHARD_IDS": "0,2"}, "shard_ids: 2 not below shard_count 2"),
        ({"KNOWNFIX_SHARD_COUNT": "0"}, "shard_count: must be 1 or more"),
        ({"KNOWNFIX_SHARD_COUNT": "two"}, "shard_count: 'two' is not valid"),
        ({"KNOWNFIX_SHARD_COUNT": "2", "KNOWNFIX_SHARD_IDS": "-1"}, "shard_ids: must be shard numbers from 0"),
        ({"KNOWNFIX_SYNC_COMMANDS": "sometimes"}, "sync_commands: must be one of auto, always, never"),
    ],
)
def test_bad_shard_settings_are_one_line(environ: dict[str, str], said: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(None, {**TOKEN, **environ})
    assert str(raised.value).startswith(said) and "\n" not in str(raised.value)


def test_the_process_holding_shard_zero_syncs_the_commands() -> None:
    def syncs(**values: object) -> bool:
        return syncs_commands(Settings(token="x", **values))  # type: ignore[arg-type]

    assert syncs()  # the only process
    assert syncs(shard_count=2)  # every shard in this process
    assert syncs(shard_count=2, shard_ids=(0,)) and not syncs(shard_count=2, shard_ids=(1,))
    assert syncs(shard_count=2, shard_ids=(1,), sync_commands="always")
    assert not syncs(sync_commands="never")


async def test_shard_settings_make_an_auto_sharded_bot() -> None:
    async with make_bot(Settings(token="x", shard_count=2, shard_ids=(1,))) as sharded:
        assert isinstance(sharded, ShardedKnownfixBot) and (sharded.shard_count, sharded.shard_ids) == (2, [1])
    async with make_bot(Settings(token="x")) as plain:
        assert not isinstance(plain, ShardedKnownfixBot) and plain.shard_count is None


def test_run_flags_are_checked_like_the_settings() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--shard-count", "2", "--shard-ids", "5"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"DISCORD_TOKEN": "x", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr == "knownfix: shard_ids: 5 not below shard_count 2 (shards count from 0)\n"
