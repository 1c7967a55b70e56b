"""The evaluation sets stay what their READMEs say: the silence check is silent, the description check holds labelled
descriptions with no error line, the formats check holds real pastes in the formats it names, the Discord check holds
discord.py bots' problems labelled with a Discord entry and talk about them, and all are well-formed
and held out from the corpus `knownfix tune` fits on (no shared case, no shared thread), so their figures are about
messages no refit saw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot import tune
from bot.engine import Engine
from bot.matching.extract import extract

EVALUATION = Path(__file__).resolve().parent.parent / "evaluation"
SILENT_KINDS = {"chat", "out-of-kb"}
HELD_OUT = ("silence-check.jsonl", "description-check.jsonl", "formats-check.jsonl", "discord-check.jsonl")
# What each format of the formats check must show in the paste, so a case is in the format it is filed under.
FORMAT_MARKS = {
    "django-page": ("Exception Type:", "Exception Value:"),
    "exception-group": ("  | ",),
    "escaped-traceback": ("\\n",),
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def thread(source: str) -> str:
    """A post's thread: its URL without the fragment or trailing slash (a reply's link, `#issuecomment-...`, is in its
    report's thread). tune's folds group by the source as written, which the corpus test below keeps the same."""
    return source.split("#")[0].rstrip("/")


def test_every_silence_check_case_is_a_silent_real_message_with_its_source() -> None:
    cases = read_jsonl(EVALUATION / "silence-check.jsonl")
    assert cases
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert case["expected"] is None, case["id"]
        assert case["kind"] in SILENT_KINDS, case["id"]
        assert case["source"].startswith(("https://", "http://")), case["id"]
        assert case["text"].strip(), case["id"]


def test_every_description_check_case_is_a_labelled_description_with_no_error_line(bundled_engine: Engine) -> None:
    cases = read_jsonl(EVALUATION / "description-check.jsonl")
    assert cases
    assert len({case["id"] for case in cases}) == len(cases)
    known = {e.id for e in bundled_engine.kb.entries}
    for case in cases:
        assert case["expected"] in known, case["id"]
        assert case["kind"] == "symptom", case["id"]
        assert case["source"].startswith(("https://", "http://")), case["id"]
        # A description in words: the writer pasted no error line, so the extraction finds none.
        assert not extract(case["text"]).is_error_report, case["id"]


def test_every_formats_check_case_is_a_labelled_paste_in_its_format(bundled_engine: Engine) -> None:
    cases = read_jsonl(EVALUATION / "formats-check.jsonl")
    assert {case["format"] for case in cases} == set(FORMAT_MARKS)
    assert len({case["id"] for case in cases}) == len(cases)
    known = {e.id for e in bundled_engine.kb.entries}
    for case in cases:
        assert case["expected"] in known or (case["expected"] is None and case["kind"] == "out-of-kb"), case["id"]
        assert case["source"].startswith(("https://", "http://")), case["id"]
        assert all(mark in case["text"] for mark in FORMAT_MARKS[case["format"]]), case["id"]


def test_the_formats_check_pastes_are_read_as_the_errors_they_hold() -> None:
    # What the format readers are for: a debug page's exception with its message, a group's frames behind their
    # margins, an escaped traceback's frames and exception on lines of their own.
    for case in read_jsonl(EVALUATION / "formats-check.jsonl"):
        report = extract(case["text"])
        assert report.error_lines, case["id"]
        if case["format"] == "django-page":
            assert any(line.message for line in report.error_lines), case["id"]
        else:
            assert report.frames, case["id"]


def test_every_discord_check_case_is_a_discord_problem_or_talk_with_its_source(bundled_engine: Engine) -> None:
    cases = read_jsonl(EVALUATION / "discord-check.jsonl")
    assert cases
    assert len({case["id"] for case in cases}) == len(cases)
    discord_entries = {e.id for e in bundled_engine.kb.entries if e.id.startswith("python/discord-")}
    for case in cases:
        if case["expected"] is None:
            assert case["kind"] in SILENT_KINDS, case["id"]
        else:
            assert case["expected"] in discord_entries, case["id"]
            assert case["kind"] in ("symptom", "mixed"), case["id"]
        assert case["source"].startswith(("https://", "http://")), case["id"]
        assert case["text"].strip(), case["id"]


@pytest.mark.parametrize("name", HELD_OUT)
def test_a_held_out_set_shares_no_thread_and_no_text_with_the_corpus(bundled_engine: Engine, name: str) -> None:
    # The corpus as tune reads it; a line it could not read would go unchecked, so there must be none.
    corpus, problems = tune.load_corpus(tune.CORPUS_DIR, {e.id for e in bundled_engine.kb.entries})
    assert not problems
    threads = {thread(case.source) for case in corpus}
    texts = {case.text for case in corpus}
    for case in read_jsonl(EVALUATION / name):
        assert thread(case["source"]) not in threads, case["id"]
        assert case["text"] not in texts, case["id"]


def test_each_corpus_thread_is_written_one_way_so_tunes_folds_keep_it_whole(bundled_engine: Engine) -> None:
    # tune's folds group cases by their source as written; a reply linked as `.../issues/7#issuecomment-1` beside
    # the report at `.../issues/7` would be two sources of one thread, and could sit on both sides of a fold.
    corpus, _ = tune.load_corpus(tune.CORPUS_DIR, {e.id for e in bundled_engine.kb.entries})
    written: dict[str, set[str]] = {}
    for case in corpus:
        written.setdefault(thread(case.source), set()).add(case.source)
    assert {key: ways for key, ways in written.items() if len(ways) > 1} == {}


def test_the_thread_key_ignores_fragments_and_trailing_slashes() -> None:
    # A reply's link points into its thread (`#issuecomment-...`): the same thread as the report it answers.
    assert thread("https://github.com/o/r/issues/7#issuecomment-1") == thread("https://github.com/o/r/issues/7/")
    assert thread("https://github.com/o/r/issues/7") != thread("https://github.com/o/r/issues/70")
