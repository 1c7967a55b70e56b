"""The operator port's and the log format's settings: off by default, loopback by default, one clear line
for a bad value (issue 12, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = {"DISCORD_TOKEN": "t"}


def test_metrics_are_off_and_logs_plain_text_by_default() -> None:
    settings = load_settings(environ=TOKEN)
    assert (settings.metrics_port, settings.metrics_host, settings.log_format) == (None, "127.0.0.1", "text")


def test_environment_sets_port_address_and_json_logs() -> None:
    settings = load_settings(
        environ={
            **TOKEN,
            "KNOWNFIX_METRICS_PORT": "9464",
            "KNOWNFIX_METRICS_HOST": "0.0.0.0",
            "KNOWNFIX_LOG_FORMAT": "JSON",
        }
    )
    assert (settings.metrics_port, settings.metrics_host, settings.log_format) == (9464, "0.0.0.0", "json")
    assert load_settings(environ={**TOKEN, "KNOWNFIX_METRICS_PORT": "off"}).metrics_port is None


def test_the_toml_file_sets_the_port(tmp_path: Path) -> None:
    config = tmp_path / "knownfix.toml"
    config.write_text('metrics_port = 9464\nlog_format = "json"\n', encoding="utf-8")
    settings = load_settings(config, environ=TOKEN)
    assert (settings.metrics_port, settings.log_format) == (9464, "json")


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("KNOWNFIX_METRICS_PORT", "70000", "metrics_port"),
        ("KNOWNFIX_METRICS_PORT", "ninety", "metrics_port"),
        ("KNOWNFIX_METRICS_HOST", "local host", "metrics_host"),
        ("KNOWNFIX_LOG_FORMAT", "xml", "log_format"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting(variable: str, value: str, named: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(environ={**TOKEN, variable: value})
    assert str(refused.value).startswith(named) and "\n" not in str(refused.value)
