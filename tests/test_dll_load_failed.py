"""Windows' `DLL load failed` is what any compiled module prints when a DLL it needs cannot be loaded.

The generic entry (python/dll-load-failed, a `summary`) answers it for any module; PyTorch's, NumPy's and Triton's
entries prove their own modules by pattern (`_C`, `_multiarray_umath`, `libtriton`, `from torch._C import *` above
Python 3.7's shorter message) and the generic entry yields to them (tests/test_summary_entries.py). Before it,
`DLL load failed while importing cv2` or `QtCore` got the PyTorch entry.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

GENERIC = "python/dll-load-failed"


@pytest.mark.parametrize(
    "module",
    ["cv2", "QtWidgets", "_ssl", "etree", "_psycopg", "ft2font", "onnxruntime_pybind11_state"],
)
def test_any_modules_dll_failure_is_answered_by_the_generic_entry(bundled_engine: Engine, module: str) -> None:
    for reason in ("The specified module could not be found.", "The specified procedure could not be found."):
        line = f"ImportError: DLL load failed while importing {module}: {reason}"
        assert best_entry_id(bundled_engine, line) == GENERIC, line
