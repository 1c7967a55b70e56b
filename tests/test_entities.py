"""Tracebacks copied out of a page's HTML source, and characters that print as nothing."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import Engine
from bot.matching.entities import unescape_html_tracebacks
from bot.matching.extract import ErrorReport, extract

# A script that fails in a function of its own on a quoted key: the frames hold `"`, `<module>` and the message `'`.
FAILING_SCRIPT = """
def lookup(row):
    return row["age"]

lookup({"name": "x"})
"""


def _read(report: ErrorReport) -> tuple[object, ...]:
    return (report.has_traceback, report.frames, [(e.exception, e.message) for e in report.error_lines])


def _in_html(traceback: str, line_end: str) -> str:
    """The traceback as a page's source holds it: what `html.escape` writes (the references every page uses for
    quotes and angle brackets), each line ended by a line break tag."""
    return line_end.join(html.escape(line) for line in traceback.splitlines())


@pytest.mark.parametrize("line_end", ["\n", "<br>\n", "<br />", "<BR/>\n"])
def test_a_traceback_from_a_pages_source_reads_as_the_one_python_printed(
    real_traceback: Callable[[str], str], line_end: str
) -> None:
    printed = real_traceback(FAILING_SCRIPT)
    escaped = _in_html(printed, line_end)
    assert "&quot;" in escaped and "&lt;module&gt;" in escaped and "&#x27;age&#x27;" in escaped
    plain = extract(printed)
    assert plain.has_traceback and [e.exception for e in plain.error_lines] == ["KeyError"]
    assert _read(extract(escaped)) == _read(plain)
    # The decimal references older pages and mail archives write read the same.
    assert _read(extract(escaped.replace("&quot;", "&#34;").replace("&#x27;", "&#39;"))) == _read(plain)


@settings(max_examples=300, deadline=None)
@given(before=st.text(max_size=60), after=st.text(max_size=60))
def test_what_html_escape_writes_around_a_frame_reads_back_as_it_was(before: str, after: str) -> None:
    text = before + '\n  File "a.py", line 1, in <module>\n' + after
    assert unescape_html_tracebacks(html.escape(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "my template prints &amp; instead of & and <br> shows up as text",
        "KeyError: &#39;age&#39; with no frame to say it came from a page",  # no mark: left as posted
        "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nKeyError: '&amp;'",
        "",
    ],
)
def test_text_without_a_traceback_in_html_is_left_alone(text: str) -> None:
    assert unescape_html_tracebacks(text) is text


def test_a_traceback_from_a_pages_source_is_answered_as_the_plain_one(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    printed = real_traceback("import no_such_module_for_knownfix_tests\n")
    plain = bundled_engine.match(printed)
    escaped = bundled_engine.match(_in_html(printed, "<br>\n"))
    assert plain.best is not None and escaped.best is not None
    assert escaped.best.entry.id == plain.best.entry.id == "python/module-not-found"
    assert escaped.best.probability == pytest.approx(plain.best.probability)


# Zero-width space, zero-width non-joiner and joiner, word joiner, byte-order mark, soft hyphen.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_characters_that_print_as_nothing_change_nothing(real_traceback: Callable[[str], str], char: str) -> None:
    printed = real_traceback(FAILING_SCRIPT)
    plain = _read(extract(printed))
    assert _read(extract(printed.replace(" ", " " + char))) == plain  # one after every space: frames still frames
    bom = extract(char + printed)  # before the header: it is still the header, not prose
    assert _read(bom) == plain and bom.prose == extract(printed).prose
