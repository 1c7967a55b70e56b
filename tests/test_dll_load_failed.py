"""Windows' `DLL load failed` is what any compiled module prints when a DLL it needs cannot be loaded.

The generic entry (python/dll-load-failed, a `summary`) answers it for any module; PyTorch's, NumPy's and Triton's
entries prove their own modules by pattern (`_C`, `_multiarray_umath`, `libtriton`, `from torch._C import *` above
Python 3.7's shorter message) and the generic entry yields to them. Before it, `DLL load failed while importing cv2`
or `QtCore` got the PyTorch entry.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

from .conftest import assert_every_wording_finds_its_summary_entry, assert_summary_yields, best_entry_id

GENERIC = "python/dll-load-failed"
TORCH = "pytorch/windows-dll-load-failed"


def test_every_wording_of_the_generic_entry_finds_it(bundled_engine: Engine) -> None:
    assert_every_wording_finds_its_summary_entry(bundled_engine, GENERIC)


@pytest.mark.parametrize(
    "module",
    ["cv2", "QtWidgets", "_ssl", "etree", "_psycopg", "ft2font", "onnxruntime_pybind11_state"],
)
def test_any_modules_dll_failure_is_answered_by_the_generic_entry(bundled_engine: Engine, module: str) -> None:
    for reason in ("The specified module could not be found.", "The specified procedure could not be found."):
        line = f"ImportError: DLL load failed while importing {module}: {reason}"
        assert best_entry_id(bundled_engine, line) == GENERIC, line


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("ImportError: DLL load failed while importing _C: The specified module could not be found.", TORCH),
        (
            'Traceback (most recent call last):\n  File "C:\\Python37\\lib\\site-packages\\torch\\__init__.py", '
            "line 81, in <module>\n    from torch._C import *\nImportError: DLL load failed: The specified procedure "
            "could not be found.",
            TORCH,
        ),
        (
            "ImportError: DLL load failed while importing _multiarray_umath: The specified module could not be found.",
            "numpy/c-extensions-failed",
        ),
        (
            "ImportError: DLL load failed while importing libtriton: A dynamic link library (DLL) initialization "
            "routine failed.",
            "cuda/triton-windows-dll-load-failed",
        ),
    ],
)
def test_the_generic_entry_yields_where_a_specific_one_proves_its_module(
    bundled_engine: Engine, text: str, entry_id: str
) -> None:
    assert_summary_yields(bundled_engine, text, entry_id, GENERIC)
