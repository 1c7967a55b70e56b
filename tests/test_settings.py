from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_environment_gives_every_setting(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "DISCORD_TOKEN": "abc",
            "KNOWNFIX_DATABASE": str(tmp_path / "db.sqlite3"),
            "KNOWNFIX_WATCH_CHANNELS": "1, 2 3",
            "KNOWNFIX_OWNER_IDS": "9",
            "KNOWNFIX_DEV_GUILD": "77",
            "KNOWNFIX_REPLY_THRESHOLD": "0.8",
            "KNOWNFIX_USER_COOLDOWN": "5",
            "KNOWNFIX_REACTION_PROMPTS": "0",
            "KNOWNFIX_PACKS_ANSWER": "yes",
            "KNOWNFIX_DECISIONS": "score",
            "KNOWNFIX_PASSIVE_LEVEL": "Normal",
        }
    )
    assert settings.thresholds.packs_answer
    assert settings.thresholds.decisions == "score" and settings.thresholds.passive_level == "normal"
    assert settings.token == "abc"
    assert settings.watch_channels == {1, 2, 3}
    assert settings.owner_ids == {9} and settings.dev_guild == 77
    assert settings.thresholds.reply == 0.8 and settings.user_cooldown == 5.0
    assert settings.reaction_prompts == 0
    assert settings.knowledge  # the bundled knowledge by default


def test_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "knownfix.toml"
    config.write_text('[knownfix]\ntoken = "from-file"\nwatch_channels = [5]\nchannel_cooldown = 2\n', encoding="utf-8")
    settings = load_settings(config, environ={"KNOWNFIX_CHANNEL_COOLDOWN": "4"})
    assert settings.token == "from-file" and settings.watch_channels == {5} and settings.channel_cooldown == 4.0


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({}, "no Discord token"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_REPLY_THRESHOLD": "2"}, "reply_threshold: must be from 0 to 1"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_WATCH_CHANNELS": "general"}, "watch_channels: must be Discord ids"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_USER_COOLDOWN": "soon"}, "user_cooldown"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_LOG_LEVEL": "LOUD"}, "log_level"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_PASSIVE_LEVEL": "chatty"}, "passive_level: must be one of strict, normal"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_DECISIONS": "vibes"}, "decisions: must be one of calibrated, score"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_WATCH_MODE": "loud"}, "watch_mode: must be one of answer, suggest, off"),
        ({"DISCORD_TOKEN": "x", "KNOWNFIX_HELPER_ROLES": "helpers"}, "helper_roles: must be Discord ids"),
    ],
)
def test_a_bad_setting_is_one_clear_line(environ: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(environ=environ)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_bad_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("token = \n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"bad\.toml: invalid TOML"):
        load_settings(config, environ={})
    config.write_text('colour = "red"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load_settings(config, environ={})


def test_run_without_token_fails_with_one_line() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin"}
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "knownfix: no Discord token: set DISCORD_TOKEN (or token in the config file)"
    ]


def test_the_token_never_appears_in_the_settings_repr() -> None:
    token = "MTk4NjIyNDgzNDcxOTI1MjQ4.Gx7abc.secret-part-of-the-token"
    settings = load_settings(environ={"DISCORD_TOKEN": token})
    assert settings.token == token
    assert token not in repr(settings) and token not in str(settings) and "secret" not in repr(settings)
