"""Issue 10: frequent Python and data-stack errors each find their own entry, in the wordings people paste.

The wordings are copied from real runs and reports across versions (OpenCV 3.4-5.1, scikit-learn 0.16-1.9,
NumPy 1.x-2.4, pandas 0.19-3.x, Python 3.6-3.12), so a later edit to an entry or to the matcher that loses
one of them fails here rather than in a help channel.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

WORDINGS = [
    (
        "cv2.error: OpenCV(4.7.0) D:\\a\\opencv-python\\opencv-python\\opencv\\modules\\imgproc\\src\\color.cpp:182: "
        "error: (-215:Assertion failed) !_src.empty() in function 'cv::cvtColor'",
        "opencv/empty-image-assertion",
    ),
    (
        "cv2.error: OpenCV(3.4.8) /io/opencv/modules/imgproc/src/resize.cpp:3720: error: (-215:Assertion failed) "
        "!ssize.empty() in function 'resize'",
        "opencv/empty-image-assertion",
    ),
    (
        "OpenCV Error: Assertion failed (size.width>0 && size.height>0) in imshow, file "
        "/tmp/opencv-2.4.11/modules/highgui/src/window.cpp, line 261",
        "opencv/empty-image-assertion",
    ),
    (
        "ValueError: Found input variables with inconsistent numbers of samples: [4305684, 1435228]",
        "sklearn/inconsistent-numbers-of-samples",
    ),
    (
        "sklearn.exceptions.NotFittedError: This MinMaxScaler instance is not fitted yet. Call 'fit' with "
        "appropriate arguments before using this estimator.",
        "sklearn/not-fitted",
    ),
    ("NotFittedError: CountVectorizer - Vocabulary wasn't fitted.", "sklearn/not-fitted"),
    (
        "ImportError: cannot import name 'joblib' from 'sklearn.externals' "
        "(C:\\Users\\sys_name\\anaconda3\\envs\\venv\\lib\\site-packages\\sklearn\\externals\\__init__.py)",
        "sklearn/joblib-externals-removed",
    ),
    ("IndexError: too many indices for array: array is 1-dimensional, but 2 were indexed", "numpy/too-many-indices"),
    ("TypeError: only size-1 arrays can be converted to Python scalars", "numpy/only-size-1-arrays-to-scalar"),
    ("TypeError: only 0-dimensional arrays can be converted to Python scalars", "numpy/only-size-1-arrays-to-scalar"),
    ("ValueError: could not convert string to float: '2013/8/14 15:35'", "python/could-not-convert-string-to-float"),
    (
        "ValueError: could not convert string '1,5' to float64 at row 0, column 2.",
        "python/could-not-convert-string-to-float",
    ),
    ("AttributeError: module 'collections' has no attribute 'MutableMapping'", "python/collections-abc-removed"),
    (
        "ImportError: cannot import name 'Mapping' from 'collections' (/usr/lib/python3.10/collections/__init__.py)",
        "python/collections-abc-removed",
    ),
    ("TypeError: Object of type float32 is not JSON serializable", "python/json-not-serializable"),
    (
        "ValueError: x and y must have same first dimension, but have shapes (1000,) and (1, 1000)",
        "matplotlib/x-y-shape-mismatch",
    ),
    (
        "pandas.errors.ParserError: Error tokenizing data. C error: Expected 1 fields in line 13, saw 2",
        "pandas/error-tokenizing-data",
    ),
    (
        "PackagesNotFoundError: The following packages are not available from current channels:\n\n  - mamba\n",
        "conda/packages-not-found",
    ),
    ("ResolvePackageNotFound: \n  - libgcc-ng==9.1.0=hdf63c60_0", "conda/packages-not-found"),
    (
        "'jupyter' is not recognized as an internal or external command,\noperable program or batch file.",
        "jupyter/command-not-found",
    ),
    (
        "jupyter : The term 'jupyter' is not recognized as the name of a cmdlet, function, script file, or operable "
        "program.",
        "jupyter/command-not-found",
    ),
]


@pytest.mark.parametrize(("wording", "entry_id"), WORDINGS)
def test_data_stack_wording_finds_its_entry(bundled_engine: Engine, wording: str, entry_id: str) -> None:
    result = bundled_engine.match(wording, top=3)
    assert result.best is not None
    assert result.best.entry.id == entry_id


def test_the_pip_entry_keeps_its_own_command_not_found(bundled_engine: Engine) -> None:
    """The jupyter entry's shell patterns must not take pip's own 'command not found' away from it."""
    result = bundled_engine.match("bash: pip: command not found", top=3)
    assert result.best is not None
    assert result.best.entry.id == "pip/command-not-found"
