"""Where an error was raised: an installed package the entry does not name, or the writer's own code.

Generic entries explain a mistake in the writer's code (`list.remove(x)` of a value not there, a folder opened as a
file). The same line raised inside an installed package is often that package's own bug, which a release fixed:
on the corpus, pastes whose innermost frame ran in a package the best match's entry does not name were answered
wrongly, or where they should have got no answer, about three times as often as others. The calibration reads it
(`raised_elsewhere`); these tests pin what counts as raised elsewhere.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bot.knowledge.model import Context
from bot.matching import evidence as ev
from bot.matching.calibration import feature_vector, top_evidence
from bot.matching.extract import extract
from bot.matching.index import build_index
from bot.matching.matcher import Matcher
from bot.matching.talk import talk_cues
from bot.matching.weights import CALIBRATION_FEATURES, default_weights

from .conftest import NO_EVIDENCE, demo_entry

LIBRARY_FRAME = """Traceback (most recent call last):
  File "/home/me/app/main.py", line 4, in <module>
    history.set_current(doc)
  File "/home/me/.venv/lib/python3.11/site-packages/frescobaldi/historymanager.py", line 68, in set_current
    self._documents.remove(doc)
ValueError: list.remove(x): x not in list"""

OWN_FRAME = """Traceback (most recent call last):
  File "/home/me/.venv/lib/python3.11/site-packages/click/core.py", line 760, in invoke
    return __callback(*args, **kwargs)
  File "/home/me/app/main.py", line 9, in run
    fruits.remove("apple")
ValueError: list.remove(x): x not in list"""


@pytest.mark.parametrize(
    ("paste", "package"),
    [
        (LIBRARY_FRAME, "frescobaldi"),
        (OWN_FRAME, None),
        # Windows' site-packages, any case of the package's folder
        (
            'Traceback (most recent call last):\n  File "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python311'
            '\\Lib\\site-packages\\PIL\\Image.py", line 3243, in open\n    fp = builtins.open(filename, "rb")\n'
            "IsADirectoryError: [Errno 21] Is a directory: 'images'",
            "pil",
        ),
        # Debian's dist-packages
        (
            'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/yaml/reader.py", line 99, in '
            "peek\nValueError: max() arg is an empty sequence",
            "yaml",
        ),
        # the standard library raised it: not an installed package
        (
            'Traceback (most recent call last):\n  File "/usr/lib/python3.11/shutil.py", line 256, in copyfile\n'
            "    with open(src, 'rb') as fsrc:\nIsADirectoryError: [Errno 21] Is a directory: 'output'",
            None,
        ),
        ("ValueError: list.remove(x): x not in list", None),  # no frame at all
    ],
)
def test_the_raising_package_is_the_innermost_frames(paste: str, package: str | None) -> None:
    assert extract(paste).raising_package == package


def _raised_elsewhere(paste: str, libraries: tuple[str, ...]) -> bool:
    entry = demo_entry(
        "demo/not-in-list",
        "ValueError: list.remove(x): x not in list",
        exception="ValueError",
        category="value_error",
    )
    entry = dataclasses.replace(entry, context=Context(libraries=libraries))
    assessed = Matcher([build_index((entry,))]).assess(paste)
    assert [e.id for e in assessed.entries] == [entry.id]
    return bool(assessed.evidence.raised_elsewhere[0])


def test_a_package_the_entry_does_not_name_raised_it() -> None:
    assert _raised_elsewhere(LIBRARY_FRAME, ("builtins",))


def test_a_package_the_entry_names_is_its_own_place() -> None:
    assert not _raised_elsewhere(LIBRARY_FRAME, ("builtins", "frescobaldi"))


def test_the_writers_own_frame_last_is_not_elsewhere_whatever_ran_before_it() -> None:
    assert not _raised_elsewhere(OWN_FRAME, ("builtins",))


def test_the_calibration_reads_the_best_matchs_column() -> None:
    weights = default_weights()
    evidence = ev.Evidence.concatenate(
        [
            ev.Evidence(**{k: np.array([v]) for k, v in dict(NO_EVIDENCE, raised_elsewhere=flag).items()})
            for flag in (True, False)
        ]
    )
    scores = ev.combine(evidence, weights.scoring, weights.selection, weights.ranking)
    report, cues = extract(LIBRARY_FRAME), talk_cues("")
    for best, expected in ((0, 1.0), (1, 0.0)):
        top = top_evidence(report, cues, evidence, scores, best, np.array([1 - best]), 0.95)
        assert dict(zip(CALIBRATION_FEATURES, feature_vector(top), strict=True))["raised_elsewhere"] == expected


def test_the_fitted_table_weighs_it() -> None:
    """The shipped calibration has a coefficient for it, fitted by `knownfix tune` (not left at the placeholder)."""
    coefficients = dict(zip(CALIBRATION_FEATURES, default_weights().calibration.coefficients, strict=True))
    assert coefficients["raised_elsewhere"] != 0.0
