"""The gaps loop's core: fingerprints of unanswered errors, their table, `knownfix kb gaps`, the settings."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.gaps import FINGERPRINT_SCHEME, Fingerprint, fingerprint, unanswered_gap
from bot.matching.extract import extract
from bot.settings import SettingsError, load_settings
from bot.store import Store
from bot.store import store as store_module

from .conftest import REPO

# An error no entry covers, from a made-up library: the bot cannot answer it.
UNCOVERED = """Traceback (most recent call last):
  File "/home/{user}/proj/run.py", line {line}, in <module>
    client.connect()
flibbertigibbet.errors.WidgetJammedError: widget {widget} jammed at /var/lib/{user}/w{widget}.sock after {n} retries
"""
COVERED = (REPO / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8")


def uncovered(user: str = "ann", line: int = 12, widget: int = 4411, n: int = 3) -> str:
    return UNCOVERED.format(user=user, line=line, widget=widget, n=n)


def test_reports_differing_only_in_numbers_and_paths_share_a_fingerprint() -> None:
    one = fingerprint(extract(uncovered()))
    other = fingerprint(extract(uncovered(user="bob", line=99, widget=7, n=12)))
    assert one is not None and other is not None
    assert one.hash == other.hash and one.line == other.line
    assert "4411" not in one.line and "/var/lib" not in one.line and "ann" not in one.line
    assert one.exception == "flibbertigibbet.errors.WidgetJammedError" and one.scheme == FINGERPRINT_SCHEME


def test_different_errors_get_different_fingerprints() -> None:
    one = fingerprint(extract(uncovered()))
    other = fingerprint(extract("flibbertigibbet.errors.WidgetMissingError: no widget configured"))
    assert one is not None and other is not None and one.hash != other.hash


def test_quoted_names_are_masked_so_a_fingerprint_holds_no_pasted_value() -> None:
    found = fingerprint(extract("KeyError: 'alice@example.com'"))
    assert found is not None and "alice" not in found.line and "example" not in found.line


def test_chat_has_no_fingerprint() -> None:
    assert fingerprint(extract("does anyone know a good course on transformers?")) is None


def test_a_huge_error_line_gives_a_bounded_fingerprint() -> None:
    found = fingerprint(extract("flibbertigibbet.errors.WidgetJammedError: " + "jam " * 500_000))
    assert found is not None and len(found.line) <= 300


def test_only_an_unanswered_error_report_is_a_gap(bundled_engine: Engine) -> None:
    gap = unanswered_gap(bundled_engine.match(uncovered()))
    assert gap is not None and gap.line.startswith("flibbertigibbet errors widgetjammederror")
    assert unanswered_gap(bundled_engine.match(COVERED)) is None  # the knowledge answers it
    assert unanswered_gap(bundled_engine.match("good morning everyone, how was the weekend?")) is None


# -- the table -----------------------------------------------------------------------------------------------


def gap(line: str, candidate: str | None = None, scheme: int = FINGERPRINT_SCHEME) -> Fingerprint:
    return Fingerprint(hash=line[:16].ljust(16, "0"), scheme=scheme, line=line, exception=None, candidate=candidate)


async def test_a_gap_is_counted_with_first_and_last_sighting(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_gap(gap("widget jammed", candidate="python/a"))
        first = (await store.top_gaps(FINGERPRINT_SCHEME, 10))[0]
        await store.record_gap(gap("widget jammed", candidate="python/b"))
        await store.record_gap(gap("other error"))
        listed = await store.top_gaps(FINGERPRINT_SCHEME, 10)
    assert [(g.line, g.count) for g in listed] == [("widget jammed", 2), ("other error", 1)]
    assert listed[0].first_seen == first.first_seen and listed[0].candidate == "python/b"


async def test_gaps_of_another_scheme_stay_apart(database: str | Path) -> None:
    async with Store(database) as store:
        await store.record_gap(gap("widget jammed", scheme=FINGERPRINT_SCHEME + 1))
        await store.record_gap(gap("widget jammed"))
        assert [g.count for g in await store.top_gaps(FINGERPRINT_SCHEME, 10)] == [1]
        assert [g.count for g in await store.top_gaps(FINGERPRINT_SCHEME + 1, 10)] == [1]


async def test_a_flood_of_distinct_errors_keeps_the_frequent_ones(
    database: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "MAX_GAPS", 3)
    async with Store(database) as store:
        for _ in range(3):
            await store.record_gap(gap("the frequent one"))
        for n in range(20):
            await store.record_gap(gap(f"made up error {n:02d}"))
        listed = await store.top_gaps(FINGERPRINT_SCHEME, 10)
    assert listed[0].line == "the frequent one" and listed[0].count == 3
    # The newest single sightings are kept, the oldest went (timestamps are to the second: rowid breaks ties).
    assert {g.line for g in listed[1:]} == {"made up error 18", "made up error 19"}


async def test_a_concurrent_burst_loses_no_sighting(database: str | Path) -> None:
    async with Store(database) as store:
        await asyncio.gather(*(store.record_gap(gap("widget jammed")) for _ in range(200)))
        assert (await store.top_gaps(FINGERPRINT_SCHEME, 1))[0].count == 200


def test_the_gaps_table_holds_no_message_text_or_ids(tmp_path: Path) -> None:
    async def record() -> None:
        async with Store(tmp_path / "k.sqlite3") as store:
            await store.record_gap(gap("x"))

    asyncio.run(record())
    with sqlite3.connect(tmp_path / "k.sqlite3") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(gaps)")}
    assert columns == {
        "scheme", "fingerprint", "error_line", "exception", "count", "first_seen", "last_seen", "candidate"
    }  # fmt: skip


# -- knownfix kb gaps ----------------------------------------------------------------------------------------


def knownfix(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )


def test_cli_lists_the_most_frequent_gaps_first(tmp_path: Path) -> None:
    database = tmp_path / "k.sqlite3"

    async def record() -> None:
        async with Store(database) as store:
            await store.record_gap(gap("rare error"))
            for _ in range(4):
                await store.record_gap(gap("widget jammed at path", candidate="python/module-not-found"))

    asyncio.run(record())
    done = knownfix("kb", "gaps", "--database", str(database))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "4 × widget jammed at path" in lines[0] and "closest: python/module-not-found" in lines[0]
    assert "1 × rare error" in lines[1]


def test_cli_gaps_on_a_missing_database_is_one_line(tmp_path: Path) -> None:
    done = knownfix("kb", "gaps", "--database", str(tmp_path / "nope.sqlite3"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no such file" in done.stderr


# -- settings ------------------------------------------------------------------------------------------------


def test_recording_gaps_is_on_by_default_and_one_setting_turns_it_off() -> None:
    assert load_settings(environ={"DISCORD_TOKEN": "t"}).record_gaps is True
    assert load_settings(environ={"DISCORD_TOKEN": "t", "KNOWNFIX_RECORD_GAPS": "false"}).record_gaps is False
    with pytest.raises(SettingsError, match="record_gaps"):
        load_settings(environ={"DISCORD_TOKEN": "t", "KNOWNFIX_RECORD_GAPS": "maybe"})


def test_curator_roles_and_drafts_dir_settings() -> None:
    settings = load_settings(
        environ={"DISCORD_TOKEN": "t", "KNOWNFIX_CURATOR_ROLES": "11, 22", "KNOWNFIX_DRAFTS_DIR": "/srv/drafts"}
    )
    assert settings.curator_roles == frozenset({11, 22}) and settings.drafts_dir == Path("/srv/drafts")
    with pytest.raises(SettingsError, match="curator_roles"):
        load_settings(environ={"DISCORD_TOKEN": "t", "KNOWNFIX_CURATOR_ROLES": "moderators"})
