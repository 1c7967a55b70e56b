"""Summary entries (`Entry.summary`): an error line that only reports that a process it ran failed yields to the
failure itself when the paste holds it and another entry proves it (`evidence.combine`, [scoring] summary_yield)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from bot.engine import Engine
from bot.knowledge.markdown import parse_markdown, render_markdown
from bot.knowledge.validate import entry_from_mapping, entry_to_mapping
from bot.matching import evidence as ev
from bot.matching.weights import default_weights
from tests.conftest import NO_EVIDENCE, evidence_columns, evidence_rows

W = default_weights()

# The summary's own line pasted word for word, with its pattern, exception and library: its strongest evidence.
SUMMARY: dict[str, object] = {
    "signature_similarity": 1.0,
    "signature_coverage": 1.0,
    "pattern_strength": 65,
    "exception_agrees": True,
    "library_hint": True,
    "frame_hint": 1.0,
    "summary": True,
}


def _scores(rows: Sequence[Mapping[str, object]], case_of: list[int] | None = None) -> list[float]:
    given = {key: [row.get(key, default) for row in rows] for key, default in NO_EVIDENCE.items()}
    evidence = evidence_rows(evidence_columns(len(rows), given))
    cases = None if case_of is None else np.array(case_of, dtype=np.int64)
    scores = ev.combine(evidence, W.scoring, W.selection, W.ranking, cases)
    return [round(float(s), 4) for s in scores.score]


# -- the evidence rule --------------------------------------------------------------------------------------------


def test_a_summary_alone_keeps_its_score() -> None:
    (alone,) = _scores([SUMMARY])
    assert alone > 1.1


def test_a_summary_yields_to_an_error_pasted_word_for_word() -> None:
    (alone,) = _scores([SUMMARY])
    summary, failure = _scores([SUMMARY, {"signature_similarity": 1.0, "signature_coverage": 1.0}])
    assert summary == pytest.approx(alone * W.scoring.summary_yield, abs=1e-4)
    assert failure > summary


def test_a_summary_yields_to_a_pattern_proof() -> None:
    summary, failure = _scores([SUMMARY, {"pattern_strength": 30, "signature_similarity": 0.5}])
    assert failure > summary


@pytest.mark.parametrize(
    ("rival", "why"),
    [
        ({"signature_similarity": 0.8, "signature_coverage": 0.9}, "a near signature is not the failure proven"),
        ({"pattern_strength": 5}, "a loose pattern is a hint"),
        ({"symptom_coverage": 1.0, "explained_share": 1.0}, "words describing a problem are not a pasted failure"),
        ({"exception_agrees": True, "exception_shared_by": 1}, "an exception name alone proves nothing"),
        ({"signature_similarity": 1.0, "signature_coverage": 1.0, "pack": True}, "a pack's entry is machine-written"),
        ({**SUMMARY}, "another summary (pip's inside torchrun's) is no failure of its own"),
    ],
)
def test_a_summary_keeps_its_score_beside(rival: dict[str, object], why: str) -> None:
    (alone,) = _scores([SUMMARY])
    summary = _scores([SUMMARY, rival])[0]
    assert summary == alone, why


def test_a_summary_no_pattern_proves_yields_to_a_summary_one_does() -> None:
    """PyTorch's old launcher's command in `CalledProcessError: Command '[...]' returned non-zero exit status 1`: its
    pattern makes the launcher's summary the more specific answer than subprocess's generic one."""
    unproven = {**SUMMARY, "pattern_strength": -1}
    (alone,) = _scores([unproven])
    generic, launcher = _scores([unproven, SUMMARY])
    assert generic == pytest.approx(alone * W.scoring.summary_yield, abs=1e-4)
    assert launcher > generic


def test_only_a_proof_in_the_same_message_counts() -> None:
    """In tune the rows are many messages' candidates: another message's proven error is no reason to yield."""
    (alone,) = _scores([SUMMARY])
    summary, _, other_case_summary = _scores(
        [SUMMARY, {"signature_similarity": 1.0, "signature_coverage": 1.0}, SUMMARY], case_of=[0, 0, 1]
    )
    assert summary < alone
    assert other_case_summary == alone


# -- the bundled knowledge ----------------------------------------------------------------------------------------

TORCHRUN_SUMMARY = """\
E1202 22:31:07.831000 24300 torch/distributed/elastic/multiprocessing/api.py:869] failed (exitcode: 1) \
local_rank: 0 (pid: 24607) of binary: /home/user/venv/bin/python
Traceback (most recent call last):
  File "/home/user/venv/bin/torchrun", line 8, in <module>
    sys.exit(main())
  File "/home/user/venv/lib/python3.11/site-packages/torch/distributed/run.py", line 919, in main
    run(args)
  File "/home/user/venv/lib/python3.11/site-packages/torch/distributed/launcher/api.py", line 263, in launch_agent
    raise ChildFailedError(
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
train.py FAILED
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  rank      : 0 (local_rank: 0)
  exitcode  : 1 (pid: 24607)
  error_file: <N/A>
  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html
============================================================
"""

WORKER_OOM = """\
[rank0]: Traceback (most recent call last):
[rank0]:   File "/home/user/train.py", line 98, in main
[rank0]:     loss = model(batch).loss
[rank0]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of \
23.69 GiB of which 1.06 GiB is free. Including non-PyTorch memory, this process has 22.62 GiB memory in use.
"""

PIP_SUMMARY = """\
  Building wheel for pycocotools (pyproject.toml) ... error
  error: subprocess-exited-with-error

  × Building wheel for pycocotools (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [12 lines of output]
      running build_ext
{inner}      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for pycocotools
Failed to build pycocotools
ERROR: Could not build wheels for pycocotools, which is required to install pyproject.toml-based projects
"""

MSVC = (
    '      error: Microsoft Visual C++ 14.0 or greater is required. Get it with "Microsoft C++ Build Tools": '
    "https://visualstudio.microsoft.com/visual-cpp-build-tools/\n"
)


def _first(engine: Engine, text: str) -> list[str]:
    return [m.entry.id for m in engine.match(text).matches[:2]]


def test_torchrun_summary_alone_is_answered_as_the_summary(bundled_engine: Engine) -> None:
    assert _first(bundled_engine, TORCHRUN_SUMMARY)[0] == "pytorch/torchrun-child-failed"


@pytest.mark.parametrize("exitcode", ["1", "-9"])
def test_the_launchers_own_line_alone_is_the_summary(bundled_engine: Engine, exitcode: str) -> None:
    """The line names no failure of its own to yield to: its exit code is a number, masked like any other, so no
    entry may hold this line with one code as its signature (-9 is the torchrun entry's to explain too)."""
    line = (
        f"ERROR:torch.distributed.elastic.multiprocessing.api:failed (exitcode: {exitcode}) local_rank: 0 "
        "(pid: 1234) of binary: /usr/bin/python3"
    )
    assert _first(bundled_engine, line)[0] == "pytorch/torchrun-child-failed"


def test_torchrun_summary_below_a_worker_oom_gives_the_oom(bundled_engine: Engine) -> None:
    assert _first(bundled_engine, WORKER_OOM + TORCHRUN_SUMMARY) == [
        "cuda/out-of-memory",
        "pytorch/torchrun-child-failed",
    ]


def test_pip_build_summary_alone_is_answered_as_the_summary(bundled_engine: Engine) -> None:
    assert _first(bundled_engine, PIP_SUMMARY.format(inner=""))[0] == "pip/failed-building-wheel"


def test_pip_build_summary_around_a_missing_compiler_gives_the_compiler(bundled_engine: Engine) -> None:
    assert _first(bundled_engine, PIP_SUMMARY.format(inner=MSVC))[0] == "pip/msvc-required"


# A message many causes print alike, held by a generic summary, and the specific entries whose patterns prove a case of
# it: `pip install` typed into Python or a Python 2 print statement above `SyntaxError: invalid syntax`; PyTorch's,
# NumPy's and Triton's modules (and `from torch._C import *` above Python 3.7's shorter message) in Windows'
# `DLL load failed`; a module's forward() in a call's argument count; PyTorch's old launcher and venv's ensurepip in
# subprocess's `CalledProcessError`; the frame that raised a bare `NotImplementedError` (PyTorch's Module.forward,
# Keras' Network.get_config, asyncio's add_reader) and pathlib's message; os.environ's and pandas' frames and a
# checkpoint's keys in a `KeyError`.
GENERIC_SUMMARIES = (
    "python/invalid-syntax",
    "python/dll-load-failed",
    "python/takes-positional-arguments",
    "python/called-process-error",
    "python/not-implemented-error",
    "python/key-error",
)
PROVEN_CASES = [
    (
        '  File "<stdin>", line 1\n    pip install numpy\n        ^^^^^^^\nSyntaxError: invalid syntax',
        "pip/pip-install-in-python-shell",
        "python/invalid-syntax",
    ),
    # The same without the header: the carets still show which line Python read (extract._shown_code).
    (
        "    pip install pandas\n        ^^^^^^^\nSyntaxError: invalid syntax",
        "pip/pip-install-in-python-shell",
        "python/invalid-syntax",
    ),
    (">>> pip install pandas\nSyntaxError: invalid syntax", "pip/pip-install-in-python-shell", "python/invalid-syntax"),
    (
        'Traceback (most recent call last):\n  File "setup.py", line 4\n    print "hello"\n          ^\n'
        "SyntaxError: invalid syntax",
        "python/print-missing-parentheses",
        "python/invalid-syntax",
    ),
    (
        "ImportError: DLL load failed while importing _C: The specified module could not be found.",
        "pytorch/windows-dll-load-failed",
        "python/dll-load-failed",
    ),
    (
        'Traceback (most recent call last):\n  File "C:\\Python37\\lib\\site-packages\\torch\\__init__.py", '
        "line 81, in <module>\n    from torch._C import *\nImportError: DLL load failed: The specified procedure "
        "could not be found.",
        "pytorch/windows-dll-load-failed",
        "python/dll-load-failed",
    ),
    (
        "ImportError: DLL load failed while importing _multiarray_umath: The specified module could not be found.",
        "numpy/c-extensions-failed",
        "python/dll-load-failed",
    ),
    (
        "ImportError: DLL load failed while importing libtriton: A dynamic link library (DLL) initialization "
        "routine failed.",
        "cuda/triton-windows-dll-load-failed",
        "python/dll-load-failed",
    ),
    (
        "TypeError: Net.forward() takes 2 positional arguments but 3 were given",
        "pytorch/forward-too-many-arguments",
        "python/takes-positional-arguments",
    ),
    (
        'Traceback (most recent call last):\n  File "train.py", line 40, in <module>\n    out = model(x, y)\n'
        "TypeError: forward() takes 2 positional arguments but 3 were given",
        "pytorch/forward-too-many-arguments",
        "python/takes-positional-arguments",
    ),
    (
        "subprocess.CalledProcessError: Command '['/usr/bin/python', '-u', 'tools/train_net.py', '--local_rank=0']' "
        "returned non-zero exit status 1.",
        "pytorch/torchrun-child-failed",
        "python/called-process-error",
    ),
    (
        "Error: Command '['/srv/app/venv/bin/python3', '-Im', 'ensurepip', '--upgrade', '--default-pip']' returned "
        "non-zero exit status 1.\nsubprocess.CalledProcessError: Command '['/usr/bin/python3', '-m', 'venv', 'venv']' "
        "returned non-zero exit status 1.",
        "pip/venv-ensurepip-failed",
        "python/called-process-error",
    ),
    (
        '  File "/home/u/.venv/lib/python3.7/site-packages/torch/nn/modules/module.py", line 103, in forward\n'
        "    raise NotImplementedError\nNotImplementedError",
        "pytorch/module-missing-forward",
        "python/not-implemented-error",
    ),
    (
        '  File "/usr/local/lib/python3.7/site-packages/tensorflow/python/keras/engine/network.py", line 967, in '
        "get_config\n    raise NotImplementedError\nNotImplementedError",
        "keras/get-config-not-implemented",
        "python/not-implemented-error",
    ),
    (
        '  File "C:\\Python38\\lib\\asyncio\\events.py", line 501, in add_reader\n    raise NotImplementedError\n'
        "NotImplementedError",
        "python/asyncio-not-implemented-on-windows",
        "python/not-implemented-error",
    ),
    (
        "NotImplementedError: cannot instantiate 'PosixPath' on your system",
        "python/pathlib-cannot-instantiate",
        "python/not-implemented-error",
    ),
    (
        'Traceback (most recent call last):\n  File "bot.py", line 4, in <module>\n    TOKEN = os.environ["TOKEN"]\n'
        "  File \"<frozen os>\", line 679, in __getitem__\nKeyError: 'TOKEN'",
        "python/environment-variable-not-set",
        "python/key-error",
    ),
    (
        '  File "/env/lib/python3.10/site-packages/pandas/core/indexes/base.py", line 3798, in get_loc\n'
        "    raise KeyError(key) from err\nKeyError: 'price'",
        "pandas/column-keyerror",
        "python/key-error",
    ),
    (
        "    model.load_state_dict(checkpoint['state_dict'])\nKeyError: 'state_dict'",
        "pytorch/checkpoint-key-missing",
        "python/key-error",
    ),
]


@pytest.mark.parametrize("summary_id", GENERIC_SUMMARIES)
def test_every_wording_of_a_generic_summary_finds_it(bundled_engine: Engine, summary_id: str) -> None:
    entry = bundled_engine.kb.by_id[summary_id]
    assert entry.summary
    for wording in entry.all_signatures:
        assert _first(bundled_engine, wording)[0] == summary_id, wording


@pytest.mark.parametrize(("text", "entry_id", "summary_id"), PROVEN_CASES)
def test_a_generic_summary_yields_where_a_specific_entry_proves_its_case(
    bundled_engine: Engine, text: str, entry_id: str, summary_id: str
) -> None:
    result = bundled_engine.match(text, top=10)
    ids = [m.entry.id for m in result.matches]
    assert ids[0] == entry_id
    # Not a close second either: its yield leaves the specific entry the lead an unprompted answer needs.
    if summary_id in ids:
        summary = result.matches[ids.index(summary_id)]
        assert result.matches[0].score - summary.score >= bundled_engine.matcher.weights.decisions.reply_margin


# -- the field ------------------------------------------------------------------------------------------------------

BASE = {
    "id": "demo/child-failed",
    "title": "ChildFailedError",
    "domain": "demo",
    "category": "runtime_error",
    "verification": "ai_generated",
    "fix_rate": 0.5,
    "root_cause": "A worker failed.",
    "signatures": ["ChildFailedError: train.py FAILED"],
}


def test_summary_round_trips_through_markdown() -> None:
    entry, _ = entry_from_mapping({**BASE, "summary": True}, "demo/child-failed.yaml")
    assert entry is not None
    page = render_markdown(entry)
    assert "- **Summary:** yes" in page
    again, problems = entry_from_mapping(parse_markdown(page), "demo/child-failed.md")
    assert problems == [] and again is not None and again.summary
    wrong, problems = entry_from_mapping(parse_markdown(page.replace("**Summary:** yes", "**Summary:** often")), "x.md")
    assert wrong is not None and not wrong.summary and [p.field for p in problems] == ["summary"]


def test_summary_round_trips() -> None:
    entry, problems = entry_from_mapping({**BASE, "summary": True}, "demo/child-failed.yaml")
    assert not problems and entry is not None and entry.summary
    assert entry_to_mapping(entry)["summary"] is True
    plain, _ = entry_from_mapping(BASE, "demo/child-failed.yaml")
    assert plain is not None and not plain.summary and "summary" not in entry_to_mapping(plain)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"summary": "yes"}, "must be true or false"),
        ({"summary": True, "kind": "symptom", "symptoms": ["a worker dies"]}, "only an error entry"),
    ],
)
def test_a_bad_summary_is_one_problem_and_the_entry_loads(extra: dict[str, object], message: str) -> None:
    entry, problems = entry_from_mapping({**BASE, **extra}, "demo/child-failed.yaml")
    assert entry is not None and not entry.summary
    assert [p.field for p in problems] == ["summary"]
    assert message in problems[0].message
