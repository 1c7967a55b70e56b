"""An old Python's bare `cannot import name` inside an import cycle, read as the circular import it is."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.matching.circular import circular_hint
from bot.matching.extract import extract
from tests.conftest import best_entry_id

# shop.py imports orders, orders.py imports shop back while shop is half run: Python 3.6 names nothing.
CYCLE_36 = """Traceback (most recent call last):
  File "shop.py", line 3, in <module>
    from orders import Order
  File "/home/ana/shop/orders.py", line 2, in <module>
    from shop import catalog
  File "/home/ana/shop/shop.py", line 3, in <module>
    from orders import Order
ImportError: cannot import name 'Order'
"""
# Python 3.7 names the module and its file.
CYCLE_37 = CYCLE_36.replace(
    "ImportError: cannot import name 'Order'",
    "ImportError: cannot import name 'Order' from 'orders' (/home/ana/shop/orders.py)",
)
# Python 2, the script run as `./shop.py`: no quotes, and the module's frame printed relative too.
CYCLE_2 = (
    CYCLE_36.replace('File "shop.py"', 'File "/home/ana/shop/shop.py"')
    .replace('File "/home/ana/shop/orders.py"', 'File "./orders.py"')
    .replace('File "/home/ana/shop/shop.py", line 3', 'File "./shop.py", line 3', 1)
    .replace("cannot import name 'Order'", "cannot import name Order")
)
# The paths cut short by hand, as people redact them: `...shop.py`.
CYCLE_REDACTED = CYCLE_36.replace('"/home/ana/shop/', '"...').replace('File "shop.py"', 'File "...shop.py"')
# A name a newer release of a library removed: no file of the user's runs twice.
REMOVED = """Traceback (most recent call last):
  File "/home/ana/shop/train.py", line 4, in <module>
    from sklearn.externals import joblib
ImportError: cannot import name 'joblib'
"""


def _hint(text: str) -> tuple[int, str] | None:
    report = extract(text)
    lines = report.error_lines
    return circular_hint(report.frames, [e.message for e in lines], [e.code_line for e in lines])


@pytest.mark.parametrize("text", [CYCLE_36, CYCLE_37, CYCLE_2, CYCLE_REDACTED])
def test_a_cycle_gets_the_words_python_38_prints(text: str) -> None:
    hint = _hint(text)
    assert hint is not None
    assert "from partially initialized module 'orders' (most likely due to a circular import)" in hint[1]
    assert "cannot import name 'Order'" in hint[1]


def test_the_hint_joins_the_line_it_belongs_to_and_only_what_is_matched() -> None:
    (line,) = extract(CYCLE_36).error_lines
    assert line.message == "cannot import name 'Order'"
    assert "most likely due to a circular import" in line.detail


@pytest.mark.parametrize(
    "text",
    [
        REMOVED,
        # 3.8+ says it already.
        CYCLE_36.replace(
            "cannot import name 'Order'",
            "cannot import name 'Order' from partially initialized module 'orders' (most likely due to a "
            "circular import) (/home/ana/shop/orders.py)",
        ),
        # The module the failing line imports from is not the half-run file before it.
        CYCLE_37.replace("from 'orders' (", "from 'payments' ("),
        # The same file twice in a row is a script shadowing a module (see shadowing.py), not a cycle.
        """Traceback (most recent call last):
  File "random.py", line 1, in <module>
    from random import randint
  File "/home/ana/random.py", line 1, in <module>
    from random import randint
ImportError: cannot import name randint
""",
    ],
    ids=["removed name", "3.8 form", "other module", "shadowing"],
)
def test_no_hint_without_a_cycle_of_the_users_files(text: str) -> None:
    assert _hint(text) is None


@pytest.mark.parametrize("text", [CYCLE_36, CYCLE_37, CYCLE_2, CYCLE_REDACTED])
def test_an_old_pythons_cycle_finds_the_circular_import_entry(bundled_engine: Engine, text: str) -> None:
    assert best_entry_id(bundled_engine, text) == "python/circular-import"


def test_a_removed_name_is_not_taken_for_a_cycle(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, REMOVED) == "sklearn/joblib-externals-removed"


# The cycle is between two modules of a package, not through the script: `shop/payments.py` imports from
# `shop.orders`, which is still running further up. Python 3.6 names no module; the line under the frame does.
FAILING_LINE = "    from shop.orders import Order\nImportError"
PACKAGE_CYCLE_36 = """Traceback (most recent call last):
  File "run.py", line 1, in <module>
    from shop.orders import Order
  File "/home/ana/shop/shop/orders.py", line 2, in <module>
    from shop.payments import charge
  File "/home/ana/shop/shop/payments.py", line 1, in <module>
    from shop.orders import Order
ImportError: cannot import name 'Order'
"""


def _detail(text: str) -> str:
    (line,) = extract(text).error_lines
    return line.detail


@pytest.mark.parametrize(
    "text",
    [
        PACKAGE_CYCLE_36,
        # 3.7 names the module and its file; no source lines pasted.
        "\n".join(line for line in PACKAGE_CYCLE_36.splitlines() if not line.startswith("    ")).replace(
            "name 'Order'", "name 'Order' from 'shop.orders' (/home/ana/shop/shop/orders.py)"
        ),
        # A relative import: the dots dropped, the rest still names the file.
        PACKAGE_CYCLE_36.replace(FAILING_LINE, "    from .orders import Order\nImportError"),
        # The module is a package whose `__init__.py` is still running.
        PACKAGE_CYCLE_36.replace("shop/shop/orders.py", "shop/shop/orders/__init__.py"),
    ],
    ids=["3.6 source line", "3.7 message", "relative import", "package"],
)
def test_an_import_from_a_module_still_running_further_up_is_a_cycle(text: str) -> None:
    assert "from partially initialized module" in _detail(text)
    assert "(most likely due to a circular import)" in _detail(text)


@pytest.mark.parametrize(
    "text",
    [
        # The module imported from is not on the stack: a name it lacks, not a cycle.
        PACKAGE_CYCLE_36.replace(FAILING_LINE, "    from shop.tax import rate\nImportError"),
        # Only a module of the same last name runs further up (`billing/orders.py`, not `shop/orders.py`).
        PACKAGE_CYCLE_36.replace("/home/ana/shop/shop/orders.py", "/home/ana/shop/billing/orders.py"),
    ],
    ids=["other module", "other package"],
)
def test_no_cycle_when_the_module_imported_from_is_not_running(text: str) -> None:
    assert "circular" not in _detail(text)


def test_a_package_cycle_finds_the_circular_import_entry(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, PACKAGE_CYCLE_36) == "python/circular-import"
