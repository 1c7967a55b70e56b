"""Django's debug page names its exception in two labelled lines instead of Python's last line."""

from __future__ import annotations

from bot.engine import Engine
from bot.matching.debug_pages import MAX_PAGES, restate_exceptions
from bot.matching.extract import extract

# The page's copy-and-paste view, laid out as Django's template lays it out: the frames, a blank line, the two labels.
COPY_AND_PASTE_VIEW = """Environment:

Request Method: GET
Request URL: http://127.0.0.1:8000/

Django Version: 5.0.6
Python Version: 3.12.3

Traceback (most recent call last):
  File "/home/ana/site/.venv/lib/python3.12/site-packages/django/core/handlers/exception.py", line 55, in inner
    response = get_response(request)
  File "/home/ana/site/shop/views.py", line 9, in home
    return render(request, "home.html")
  File "/home/ana/site/.venv/lib/python3.12/site-packages/django/template/loader.py", line 19, in get_template
    raise TemplateDoesNotExist(template_name, chain=chain)

Exception Type: TemplateDoesNotExist at /
Exception Value: home.html
"""

# The page's summary table copied from the browser: tab after each label, the value on the line after its label.
SUMMARY_TABLE = (
    "OperationalError at /admin/shop/order/add/\n"
    "no such table: shop_order\n"
    "Request Method:\tPOST\n"
    "Django Version:\t4.2.11\n"
    "Exception Type:\tOperationalError\n"
    "Exception Value:\t\n"
    "no such table: shop_order\n"
    "Exception Location:\t/home/ana/site/.venv/lib/python3.12/site-packages/django/db/backends/sqlite3/base.py, "
    "line 328, in execute\n"
)


def test_the_copy_and_paste_view_ends_with_its_exception() -> None:
    report = extract(COPY_AND_PASTE_VIEW + "\nwhat did I do wrong?")
    assert report.has_traceback
    assert any(frame.endswith("shop/views.py") for frame in report.frames)
    last = report.error_lines[-1]
    assert (last.exception, last.message) == ("TemplateDoesNotExist", "home.html")
    assert "Exception Type" not in report.prose and "Exception Value" not in report.prose


def test_the_summary_tables_value_on_the_next_line_is_read() -> None:
    text, classes = restate_exceptions(SUMMARY_TABLE)
    assert "OperationalError: no such table: shop_order" in text.splitlines()
    assert "Exception Value" not in text
    assert classes == frozenset({"operationalerror"})
    assert [(e.exception, e.message) for e in extract(SUMMARY_TABLE).error_lines][-1] == (
        "OperationalError",
        "no such table: shop_order",
    )


def test_labels_that_are_not_a_pair_are_left_alone() -> None:
    for text in (
        "Exception Type: ValueError\nRequest Method: GET",  # no value under the type
        "Exception Value: x\nException Type: ValueError",  # the wrong way round
        "the docs list Exception Type: and Exception Value: fields",
    ):
        assert restate_exceptions(text) == (text, frozenset())


def test_a_log_of_pages_is_restated_up_to_a_bound() -> None:
    page = "Exception Type: KeyError at /\nException Value: 'id'\n"
    text, _ = restate_exceptions(page * (MAX_PAGES + 3))
    assert text.count("KeyError: 'id'") == MAX_PAGES
    assert text.count("Exception Type: KeyError") == 3


def test_a_django_page_is_answered_with_its_errors_entry(bundled_engine: Engine) -> None:
    best = bundled_engine.match(SUMMARY_TABLE).best
    assert best is not None and best.entry.id == "python/sqlite-no-such-table"
    # The restated line is the error's own: the answer rests on the signature, not on the class name alone.
    assert best.via in ("signature", "pattern")
