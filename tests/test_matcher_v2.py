"""Matcher v2: each evidence function, the weights table, the talk cues, the calibration and the decisions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot import decisions_fit, tune
from bot.cli import main
from bot.engine import Engine
from bot.knowledge.model import Entry, Verification
from bot.knowledge.patterns import search_shape_problem
from bot.matching import evidence as ev
from bot.matching.calibration import TopEvidence, crisp, feature_vector, is_exact, probability, top_evidence
from bot.matching.coverage import PhrasingRuns
from bot.matching.extract import extract
from bot.matching.index import ERRNO, HTTP_STATUS, SIGNATURE, SYMPTOM, build_index, codes_disagree, status_codes
from bot.matching.matcher import Matcher, Thresholds, level_replies, rule_replies
from bot.matching.records import RECORDS_FILE
from bot.matching.talk import talk_cues
from bot.matching.weights import (
    CALIBRATION_FEATURES,
    DESCRIPTION_TERMS,
    WEIGHTS_FILE,
    Calibration,
    Weights,
    WeightsError,
    default_weights,
    load,
    write_values,
)
from bot.settings import BUNDLED_KNOWLEDGE
from tests.conftest import NO_EVIDENCE, write_corpus

FIXTURES = Path(__file__).parent / "fixtures"
W = default_weights()


def _evidence(**overrides: object) -> ev.Evidence:
    """One candidate with no evidence at all, except what the test sets."""
    base = dict(NO_EVIDENCE, **overrides)
    return ev.Evidence(**{k: np.array([v]) for k, v in base.items()})


def _scored(**overrides: object) -> tuple[float, str]:
    scores = ev.combine(_evidence(**overrides), W.scoring, W.selection, W.ranking)
    return float(scores.score[0]), ev.KINDS[int(scores.via[0])]


# -- evidence functions ---------------------------------------------------------------------------------


def test_signature_evidence_is_discounted_by_missing_signature_words() -> None:
    full = ev.signature(_evidence(signature_similarity=0.9, signature_coverage=1.0), W.scoring)[0]
    half = ev.signature(_evidence(signature_similarity=0.9, signature_coverage=0.5), W.scoring)[0]
    assert full == pytest.approx(0.9)
    assert half == pytest.approx(0.9 * (1 - W.scoring.word_check / 2))


def test_words_and_symptom_evidence_use_their_table_weights() -> None:
    assert ev.words(_evidence(signature_coverage=1.0), W.scoring)[0] == pytest.approx(W.scoring.words)
    symptom_entry = ev.symptom(_evidence(symptom_coverage=1.0, explained_share=1.0, symptom_entry=True), W.scoring)
    error_entry = ev.symptom(_evidence(symptom_coverage=1.0, explained_share=1.0), W.scoring)
    assert symptom_entry[0] == pytest.approx(W.scoring.symptom_entry)
    assert error_entry[0] == pytest.approx(W.scoring.symptom_error_entry)


def test_a_phrasing_alike_the_message_both_ways_makes_a_stronger_symptom_match() -> None:
    # Two entries explain the same words somewhere and have a phrasing covered as well; the one whose phrasing
    # holds more of what the message says ("... False inside the docker container") is the closer description.
    general = _evidence(symptom_coverage=0.5, explained_share=0.3, symptom_likeness=0.1)
    specific = _evidence(symptom_coverage=0.5, explained_share=0.3, symptom_likeness=0.4)
    assert ev.symptom(specific, W.scoring)[0] > ev.symptom(general, W.scoring)[0]
    # Not capped: two phrasings both covered whole still differ in how much of the message they say.
    whole = _evidence(symptom_coverage=1.0, explained_share=1.0, symptom_likeness=1.0, symptom_entry=True)
    part = _evidence(symptom_coverage=1.0, explained_share=1.0, symptom_likeness=0.6, symptom_entry=True)
    assert ev.symptom(whole, W.scoring)[0] > ev.symptom(part, W.scoring)[0]


def test_a_strong_pattern_is_proof_and_a_weak_one_only_a_hint() -> None:
    strong = W.selection.strong_pattern
    assert ev.pattern_proof(_evidence(pattern_strength=strong), W.scoring, W.selection)[0] >= W.scoring.pattern_base
    assert ev.pattern_hint(_evidence(pattern_strength=strong), W.scoring, W.selection)[0] < 0
    weak = _evidence(pattern_strength=strong - 1)
    assert ev.pattern_proof(weak, W.scoring, W.selection)[0] < 0
    assert ev.pattern_hint(weak, W.scoring, W.selection)[0] >= W.scoring.hint_base


def test_a_pack_pattern_found_in_prose_is_only_a_hint() -> None:
    prose_only = _evidence(pattern_strength=40, pattern_counts_as_proof=False)
    assert ev.pattern_proof(prose_only, W.scoring, W.selection)[0] < 0
    assert ev.pattern_hint(prose_only, W.scoring, W.selection)[0] > 0


def test_an_exception_name_says_less_the_more_entries_share_it() -> None:
    alone = ev.exception_name(_evidence(exception_agrees=True, exception_shared_by=1), W.scoring)[0]
    shared = ev.exception_name(_evidence(exception_agrees=True, exception_shared_by=16), W.scoring)[0]
    assert alone == pytest.approx(W.scoring.exception_only)
    assert shared == pytest.approx(W.scoring.exception_only / 4)


def test_combine_takes_the_strongest_evidence_and_adds_agreements() -> None:
    score, via = _scored(signature_similarity=1.0, signature_coverage=1.0)
    assert via == "signature" and score == pytest.approx(1.0)
    agreed, _ = _scored(signature_similarity=1.0, signature_coverage=1.0, exception_agrees=True, exception_shared_by=4)
    assert agreed == pytest.approx(1.0 + W.scoring.exception_agrees)
    disagreed, _ = _scored(signature_similarity=1.0, signature_coverage=1.0, exception_disagrees=True)
    assert disagreed == pytest.approx(W.scoring.exception_disagrees)
    packed, _ = _scored(signature_similarity=1.0, signature_coverage=1.0, pack=True)
    assert packed == pytest.approx(W.scoring.pack_trust)


def test_a_frame_through_an_entrys_file_adds_by_how_few_entries_name_the_file() -> None:
    only_this, _ = _scored(signature_similarity=1.0, signature_coverage=1.0, frame_hint=1.0)
    assert only_this == pytest.approx(1.0 + W.scoring.frame_hint)
    shared_by_four, via = _scored(signature_similarity=1.0, signature_coverage=1.0, frame_hint=0.25)
    assert shared_by_four == pytest.approx(1.0 + W.scoring.frame_hint / 4) and via == "signature"


def test_scores_carry_each_rows_trust_and_the_evidence_score_before_it() -> None:
    rows = [
        _evidence(signature_similarity=1.0, signature_coverage=1.0),
        _evidence(signature_similarity=1.0, signature_coverage=1.0, pack=True),
        _evidence(signature_similarity=1.0, signature_coverage=1.0, pack=True, exact_signature=True),
    ]
    scores = ev.combine(ev.Evidence.concatenate(rows), W.scoring, W.selection, W.ranking)
    expected_trust = [1.0, W.scoring.pack_trust, W.scoring.pack_exact_trust]
    assert scores.trust.tolist() == pytest.approx(expected_trust)
    # What the calibration and the score rules judge: how well the message matched, whatever the trust.
    assert scores.before_trust.tolist() == pytest.approx([1.0, 1.0, 1.0])


# A pattern of `specific_pattern` literal characters: proof, and fully specific.
_SPECIFIC = W.selection.specific_pattern


def _tie_of_words_and_pattern(pattern_base: float, pattern_specific: float, words: float) -> str:
    """The winning kind for a message holding all of a signature's words and matching a fully specific pattern,
    with no string similarity: a tie whenever pattern_base + pattern_specific = words."""
    scoring = replace(W.scoring, pattern_base=pattern_base, pattern_specific=pattern_specific, words=words)
    scores = ev.combine(_evidence(signature_coverage=1.0, pattern_strength=_SPECIFIC), scoring, W.selection, W.ranking)
    return ev.KINDS[int(scores.via[0])]


def test_kinds_tied_in_exact_arithmetic_name_the_same_winner_whatever_the_float_sum_rounds_to() -> None:
    # 0.82 + 0.08 rounds just below 0.9 (the table's own weights), 0.8 + 0.05 just above 0.85.
    assert 0.82 + 0.08 < 0.9 and 0.8 + 0.05 > 0.85
    below = _tie_of_words_and_pattern(0.82, 0.08, 0.9)
    above = _tie_of_words_and_pattern(0.8, 0.05, 0.85)
    assert below == above == min("words", "pattern", key=ev.KINDS.index)


def test_a_perfect_paste_with_a_pattern_proof_is_not_penalised_below_a_near_one() -> None:
    """At signature similarity 1.0 a fully specific pattern proof ties the signature; whichever kind the tie
    names, the pattern still proves the error, so a disagreeing exception name (a chained cause) does not cost
    the perfect paste what it does not cost a paste one character off."""
    base = {"pattern_strength": _SPECIFIC, "signature_coverage": 1.0, "exception_disagrees": True}
    perfect, _ = _scored(**base, signature_similarity=1.0)
    near, near_via = _scored(**base, signature_similarity=0.999)
    assert near_via == "pattern"
    assert perfect == pytest.approx(near, abs=1e-3)


def test_a_pattern_proof_is_not_penalised_for_a_different_exception_name() -> None:
    score, via = _scored(pattern_strength=40, exception_disagrees=True)
    assert via == "pattern"
    assert score >= W.scoring.pattern_base


# -- exception names ------------------------------------------------------------------------------------


def _entry(entry_id: str, exception: str | None, *signatures: str) -> Entry:
    return Entry(
        id=entry_id,
        title=signatures[0],
        domain="demo",
        category="import_error",
        verification=Verification.REPRODUCED,
        fix_rate=0.9,
        root_cause="A fixture.",
        exception=exception,
        signatures=signatures[1:],
    )


def test_an_entrys_exception_names_are_its_field_and_the_classes_its_signatures_open_with() -> None:
    entry = _entry(
        "demo/oom",
        "torch.OutOfMemoryError",
        "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
        "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
        "DeprecationWarning:",
        "CUDA error: out of memory",  # a console error, no class
        "ERROR: out of memory",  # pip-style console output, no class
        "the allocator raised ValueError: not at the start",
    )
    ix = build_index((entry, _entry("demo/plain", None, "no class here at all")))
    assert ix.exception_names == (
        frozenset({"outofmemoryerror", "runtimeerror", "deprecationwarning"}),
        frozenset(),
    )
    assert ix.exception_entries == {"outofmemoryerror": (0,)}  # the class each entry is filed under


def test_the_names_read_from_signatures_are_the_names_extraction_reads_from_the_same_line_pasted(
    bundled_engine: Engine,
) -> None:
    ix = bundled_engine.indexes[0]
    for entry, names in zip(ix.entries, ix.exception_names, strict=True):
        pasted = {n.lower() for s in entry.all_signatures for n in extract(s).exceptions}
        field = {entry.exception_name.lower()} if entry.exception_name else set()
        assert names - field <= pasted, entry.id


def test_a_paste_of_a_class_only_the_entrys_signatures_print_does_not_contradict_it() -> None:
    """Python 3.6+ raises ModuleNotFoundError where older releases and `from x import y` raise ImportError: an
    entry filed under ImportError whose signatures show both is about the paste, and the generic entry of the
    pasted class must not win on the name alone."""
    specific = _entry(
        "demo/vendored-joblib",
        "ImportError",
        "ImportError: cannot import name 'joblib' from 'sklearn.externals'",
        "ModuleNotFoundError: No module named 'sklearn.externals.joblib'",
    )
    generic = _entry("demo/module-not-found", "ModuleNotFoundError", "ModuleNotFoundError: No module named 'numpy'")
    matcher = Matcher([build_index((generic, specific))])
    paste = "ModuleNotFoundError: No module named 'sklearn.externals.joblib'"
    a = matcher.assess(paste)
    row = [e.id for e in a.entries].index("demo/vendored-joblib")
    assert not a.evidence.exception_disagrees[row]
    assert not a.evidence.exception_agrees[row]  # the agreement bonus stays with the class it is filed under
    best = matcher.decide(a).best
    assert best is not None and best.entry.id == "demo/vendored-joblib"


def test_status_codes_and_their_families_are_read_from_a_text() -> None:
    text = "cuBLAS failed: CUBLAS_STATUS_EXECUTION_FAILED (CUDA_ERROR_LAUNCH_FAILED), set CUDA_VISIBLE_DEVICES"
    assert status_codes(text) == {
        ("CUBLAS_STATUS", "CUBLAS_STATUS_EXECUTION_FAILED"),
        ("CUDA_ERROR", "CUDA_ERROR_LAUNCH_FAILED"),
    }  # an environment variable is no status code
    assert status_codes("RuntimeError: mat1 and mat2 shapes cannot be multiplied") == frozenset()


def test_the_error_number_an_error_opens_with_is_a_status_code_but_one_nested_in_its_message_is_not() -> None:
    assert status_codes("OSError: [Errno 99] Cannot assign requested address") == {("ERRNO", "99")}
    assert status_codes("ERROR:    [Errno 98] error while attempting to bind on address") == {("ERRNO", "98")}
    assert status_codes("PermissionError: [WinError 5] Access is denied: 'C:\\x'") == {("ERRNO", "5")}
    # conda's HTTP error quotes the socket's error number inside its own message: a detail, not the error.
    nested = "CondaHTTPError: HTTP 000 CONNECTION FAILED ... Failed to establish a new connection: [Errno 11001]"
    assert status_codes(nested) == frozenset()
    # The same error on Linux, macOS and Windows: an entry lists each number, so none of them disagrees.
    own = status_codes("OSError: [Errno 98] Address already in use") | status_codes("OSError: [Errno 48] x")
    assert not codes_disagree(status_codes("OSError: [Errno 48] Address already in use"), own)
    assert codes_disagree(status_codes("OSError: [Errno 99] Cannot assign requested address"), own)
    assert search_shape_problem(ERRNO.pattern) is None  # read over user text: linear on any input


def test_the_http_status_an_error_reports_is_a_status_code_in_each_clients_wording() -> None:
    assert status_codes("HfHubHTTPError: 429 Client Error: Too Many Requests for url: https://h/x") == {("HTTP", "429")}
    assert status_codes("requests.exceptions.HTTPError: 503 Server Error: Service Unavailable") == {("HTTP", "503")}
    assert status_codes("httpx.HTTPStatusError: Server error '502 Bad Gateway' for url 'http://x'") == {("HTTP", "502")}
    assert status_codes("urllib.error.HTTPError: HTTP Error 403: Forbidden") == {("HTTP", "403")}
    assert status_codes("ValueError: expected 404 items, got 403") == frozenset()  # numbers are not statuses
    # The Hub answers a missing repository with 401 or 404 depending on the version: an entry lists both.
    own = status_codes("HfHubHTTPError: 401 Client Error: x") | status_codes("HfHubHTTPError: 404 Client Error: x")
    assert not codes_disagree(status_codes("requests.exceptions.HTTPError: 404 Client Error: Not Found"), own)
    assert codes_disagree(status_codes("httpx.HTTPStatusError: Server error '502 Bad Gateway' for url"), own)
    assert search_shape_problem(HTTP_STATUS.pattern) is None  # read over user text: linear on any input


@pytest.mark.parametrize(
    ("pasted", "own", "disagree"),
    [
        ({"CUBLAS_STATUS_INVALID_VALUE"}, {"CUBLAS_STATUS_EXECUTION_FAILED"}, True),
        ({"CUBLAS_STATUS_EXECUTION_FAILED"}, {"CUBLAS_STATUS_EXECUTION_FAILED", "CUBLAS_STATUS_INTERNAL_ERROR"}, False),
        ({"CUDNN_STATUS_NOT_SUPPORTED"}, {"CUBLAS_STATUS_EXECUTION_FAILED"}, False),  # another enum says nothing
        ({"CUBLAS_STATUS_INVALID_VALUE"}, set(), False),  # an entry naming no code is not contradicted
        (set(), {"CUBLAS_STATUS_EXECUTION_FAILED"}, False),
    ],
)
def test_a_paste_disagrees_with_an_entry_only_on_another_code_of_an_enum_both_name(
    pasted: set[str], own: set[str], disagree: bool
) -> None:
    def pairs(codes: set[str]) -> frozenset[tuple[str, str]]:
        return frozenset(pair for code in codes for pair in status_codes(code))

    assert codes_disagree(pairs(pasted), pairs(own)) is disagree


def test_another_status_code_of_the_same_enum_contradicts_the_entry_like_another_exception_class() -> None:
    failed = _entry(
        "demo/cublas-failed",
        "RuntimeError",
        "RuntimeError: CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasSgemm( handle, m, n, k)`",
    )
    matcher = Matcher([build_index((failed, _entry("demo/other", "ValueError", "ValueError: something else")))])
    line = "RuntimeError: CUDA error: {} when calling `cublasSgemm( handle, m, n, k)`"
    scores = {}
    for code in ("CUBLAS_STATUS_EXECUTION_FAILED", "CUBLAS_STATUS_INVALID_VALUE"):
        a = matcher.assess(line.format(code))
        row = [e.id for e in a.entries].index("demo/cublas-failed")
        scores[code] = (
            bool(a.evidence.exception_disagrees[row]),
            ev.combine(a.evidence, W.scoring, W.selection, W.ranking).score[row],
        )
    assert not scores["CUBLAS_STATUS_EXECUTION_FAILED"][0] and scores["CUBLAS_STATUS_INVALID_VALUE"][0]
    assert scores["CUBLAS_STATUS_INVALID_VALUE"][1] < scores["CUBLAS_STATUS_EXECUTION_FAILED"][1] * 0.9


def test_a_template_signature_is_a_word_for_word_paste_whatever_name_the_asker_has() -> None:
    """`No module named 'torchvision'` against the example `No module named 'torch'`: for the calibration, an entry
    whose placeholder takes the pasted name holds every word of the paste as it holds its own example's; the same
    signature without the placeholder does not. The ranking keeps the plain coverage (see Evidence.filled_coverage)."""
    template = replace(
        _entry("demo/module-not-found", "ModuleNotFoundError", "ModuleNotFoundError: No module named 'torch'"),
        placeholders=(("module", "No module named '(?P<module>[A-Za-z_][A-Za-z0-9_.]{0,99})"),),
    )
    plain = _entry("demo/plain-example", "ModuleNotFoundError", "ModuleNotFoundError: No module named 'numpy'")
    other = _entry("demo/other", "ValueError", "ValueError: something else entirely")
    for entry, example, whole in ((template, "torch", True), (plain, "numpy", False)):
        matcher = Matcher([build_index((entry, other))])
        pastes = [f"ModuleNotFoundError: No module named '{name}'" for name in ("torchvision", example)]
        evidence = []
        for paste in pastes:
            a = matcher.assess(paste)
            row = [e.id for e in a.entries].index(entry.id)
            evidence.append((float(a.evidence.coverage_as_read[row]), float(a.evidence.signature_coverage[row])))
        (read, ranked), (example_read, example_ranked) = evidence
        assert (read == pytest.approx(example_read)) is whole, entry.id
        assert ranked < example_ranked, entry.id  # ranked, the example's own name still counts


# -- the table ------------------------------------------------------------------------------------------


def test_every_number_in_the_table_has_a_reason() -> None:
    text = WEIGHTS_FILE.read_text(encoding="utf-8")
    items = [line for line in text.splitlines() if "= { value" in line]
    assert len(items) >= 50
    assert all('why = "' in line and 'why = ""' not in line for line in items)


def test_a_table_missing_a_number_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "weights.toml"
    broken.write_text(WEIGHTS_FILE.read_text(encoding="utf-8").replace("word_check = {", "word_chek = {"))
    with pytest.raises(WeightsError, match="word_check"):
        load(broken)


def test_writing_values_keeps_the_reasons(tmp_path: Path) -> None:
    copy = tmp_path / "weights.toml"
    shutil.copy(WEIGHTS_FILE, copy)
    write_values(copy, "decisions", {"asked": 0.5})
    assert load(copy).decisions.asked == 0.5
    assert "asked = { value = 0.5, why = \"/fix, 'Find a fix'" in copy.read_text(encoding="utf-8")


# -- report or talk --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("you should call model.eval() before you evaluate", "advice"),
        ("have you tried setting num_workers=0?", "advice"),
        ("this happens because dropout is still active", "explanation"),
        ("what's the difference between eval() and no_grad()?", "concept"),
        ("thanks, that fixed it!", "thanks"),
        ("I get this error when I run my training script", "first_person"),
        ("I finally fixed the build by downgrading numpy to 1.26", "resolved"),
        ("posting this in case someone else runs into the same thing", "resolved"),
        ("问题已解决，是 numpy 版本的原因", "resolved"),
    ],
)
def test_talk_cues_name_what_the_speaker_is_doing(text: str, kind: str) -> None:
    cues = talk_cues(text)
    assert getattr(cues, kind) >= 1
    others = {"first_person", "advice", "explanation", "concept", "thanks", "resolved"} - {kind}
    assert all(getattr(cues, other) == 0 for other in others)


@pytest.mark.parametrize(
    "text",
    [
        "how do i fixed it? I get this error every time",  # asks for the fix
        "How can I resolved this?",
        "is this problem fixed? it still crashes for me",  # asks whether it is over
        "I found out that the error appears only on Windows",  # "found out" is a discovery, not a fix
        "不知道怎么解决了，求助",  # "don't know how to solve it"
        "这个问题解决了吗？",  # "is this solved?"
    ],
)
def test_a_question_about_a_fix_is_no_resolution(text: str) -> None:
    assert talk_cues(text).resolved == 0


# -- calibration and decisions ---------------------------------------------------------------------------


def _top(**overrides: object) -> TopEvidence:
    base: dict[str, object] = {
        "score": 1.0,
        "gap": 0.5,
        "similarity": 1.0,
        "coverage": 1.0,
        "via": "signature",
        "pack": False,
        "error_report": True,
        "traceback": True,
        "prose_words": 0,
        "problem_cues": True,
        "cues": talk_cues(""),
        "exact": True,
    }
    base.update(overrides)
    return TopEvidence(**base)  # type: ignore[arg-type]


def test_probability_is_the_logistic_of_the_table_coefficients() -> None:
    n = len(CALIBRATION_FEATURES)
    coefficients = tuple(2.0 if f == "score" else 0.0 for f in CALIBRATION_FEATURES)
    only_score = Calibration(intercept=-1.0, coefficients=coefficients)
    assert len(feature_vector(_top())) == n
    assert probability(_top(score=0.5), only_score) == pytest.approx(0.5)
    assert probability(_top(score=1.0), only_score) == pytest.approx(1 / (1 + np.exp(-1.0)))


def test_a_talk_cue_weighs_more_the_stronger_the_match() -> None:
    # Only advice_by_score carries weight: the same advice takes away twice as much from a match scoring 1.0 as
    # from one scoring 0.5, and nothing from a message without advice.
    coefficients = tuple(-1.0 if f == "advice_by_score" else 0.0 for f in CALIBRATION_FEATURES)
    calibration = Calibration(intercept=0.0, coefficients=coefficients)
    advice = talk_cues("you should call model.eval() first")
    assert advice.advice == 1
    features = dict(zip(CALIBRATION_FEATURES, feature_vector(_top(score=0.8, cues=advice)), strict=True))
    assert features["advice_by_score"] == pytest.approx(0.8)
    assert features["resolved_by_score"] == 0.0
    assert probability(_top(score=1.0, cues=advice), calibration) == pytest.approx(1 / (1 + np.exp(1.0)))
    assert probability(_top(score=0.5, cues=advice), calibration) == pytest.approx(1 / (1 + np.exp(0.5)))
    assert probability(_top(score=1.0), calibration) == pytest.approx(0.5)


def test_a_description_reads_its_evidence_a_second_time() -> None:
    # The description terms repeat their feature for a message with no error line and are zero for a paste: the
    # same score and lead can then mean a different chance of being right in prose than in a pasted line.
    cues = talk_cues("I think my loss is stuck")
    for error_report in (True, False):
        top = _top(score=0.7, gap=0.3, error_report=error_report, cues=cues, prose_words=6)
        features = dict(zip(CALIBRATION_FEATURES, feature_vector(top), strict=True))
        for name in DESCRIPTION_TERMS:
            assert features[f"description_by_{name}"] == (0.0 if error_report else features[name])
    described = dict(zip(CALIBRATION_FEATURES, feature_vector(_top(score=0.7, error_report=False)), strict=True))
    assert described["description_by_score"] == pytest.approx(0.7)
    coefficients = tuple(1.0 if f == "description_by_gap" else 0.0 for f in CALIBRATION_FEATURES)
    calibration = Calibration(intercept=0.0, coefficients=coefficients)
    assert probability(_top(gap=0.5, error_report=True), calibration) == pytest.approx(0.5)
    assert probability(_top(gap=0.5, error_report=False), calibration) == pytest.approx(1 / (1 + np.exp(-0.5)))


def test_the_calibration_reads_how_far_the_best_leads_its_rivals_examples() -> None:
    # Rows: the best match, then two rivals of its tier. Its examples lead the closest rival's by 0.1; with no
    # rival the lead is all of its own similarity; a rival that reads more like the message makes it negative.
    evidence = ev.Evidence.concatenate([_evidence(example_similarity=x) for x in (0.6, 0.2, 0.5)])
    scores = ev.combine(evidence, W.scoring, W.selection, W.ranking)
    report, cues = extract("my weights do not change after the optimizer step"), talk_cues("")

    def lead(best: int, rivals: list[int]) -> float:
        top = top_evidence(report, cues, evidence, scores, best, np.array(rivals, dtype=np.int64), 0.95)
        assert top.examples == pytest.approx([0.6, 0.2, 0.5][best])
        runner_up = scores.rank[rivals[0]] if rivals else 0.0
        assert top.gap == pytest.approx(scores.rank[best] - runner_up)  # the margin to the first rival
        features = dict(zip(CALIBRATION_FEATURES, feature_vector(top), strict=True))
        assert features["examples_lead"] == top.examples_lead
        return top.examples_lead

    assert lead(0, [1, 2]) == pytest.approx(0.1)
    assert lead(0, []) == pytest.approx(0.6)
    assert lead(1, [0, 2]) == pytest.approx(-0.4)


def test_the_calibration_reads_how_much_of_the_message_the_best_match_explains() -> None:
    # The best row's share of the message's known words, not a rival's; read again for a message with no error
    # line (description_by_explained) and not for a paste. A coefficient on it moves the probability: the same
    # pasted error with words its entry never uses is less likely to be that entry's problem.
    evidence = ev.Evidence.concatenate([_evidence(explained_share=x) for x in (0.3, 0.9)])
    scores = ev.combine(evidence, W.scoring, W.selection, W.ranking)
    cues = talk_cues("")
    paste = top_evidence(extract("ValueError: boom"), cues, evidence, scores, 0, np.array([1]), 0.95)
    described = top_evidence(extract("my loss is stuck"), cues, evidence, scores, 1, np.array([0]), 0.95)
    assert paste.explained == pytest.approx(0.3) and described.explained == pytest.approx(0.9)
    on_paste = dict(zip(CALIBRATION_FEATURES, feature_vector(paste), strict=True))
    on_description = dict(zip(CALIBRATION_FEATURES, feature_vector(described), strict=True))
    assert on_paste["explained"] == pytest.approx(0.3) and on_paste["description_by_explained"] == 0.0
    assert on_description["description_by_explained"] == pytest.approx(0.9)
    coefficients = tuple(2.0 if f == "explained" else 0.0 for f in CALIBRATION_FEATURES)
    calibration = Calibration(intercept=-1.0, coefficients=coefficients)
    assert probability(_top(explained=0.5), calibration) == pytest.approx(0.5)
    assert probability(_top(explained=0.2), calibration) < probability(_top(explained=0.9), calibration)


def test_an_exact_paste_is_a_crisp_one_and_a_quoted_description_is_not() -> None:
    threshold = W.selection.exact_similarity
    assert crisp(True, 1.0, 1.0, threshold)
    assert not crisp(True, 0.7, 1.0, threshold)
    assert not crisp(True, 1.0, 0.7, threshold)
    assert not crisp(False, 1.0, 1.0, threshold)
    assert is_exact(_top()) and not is_exact(_top(exact=False))


def test_asked_mode_withholds_the_page_for_thanks_and_answers_a_real_traceback(demo_engine: Engine) -> None:
    thanks = demo_engine.match("thanks that fixed it!!")
    assert not thanks.answer and not thanks.reply
    traceback = demo_engine.match("RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)")
    assert traceback.answer and traceback.best is not None and traceback.best.probability > 0


def test_without_a_confident_answer_the_closest_entries_are_offered_only_from_the_tables_probability() -> None:
    base = Engine.load([FIXTURES / "kb"])
    vague = "RuntimeError: something odd happened to my tensor shapes"
    never = {"asked": 1.0, "candidates": 1.0}
    always = {"asked": 1.0, "candidates": 0.0}
    withheld = Matcher(base.indexes, None, _with_decisions(base.matcher.weights, **never)).rank(vague)
    offered = Matcher(base.indexes, None, _with_decisions(base.matcher.weights, **always)).rank(vague)
    assert not withheld.answer and not withheld.offer
    assert not offered.answer and offered.offer and offered.matches
    thanks = Matcher(base.indexes, None, _with_decisions(base.matcher.weights, **always)).rank("thanks, that fixed it!")
    assert not thanks.offer  # chat put to the bot is no problem report: nothing to offer it


def _with_decisions(weights: Weights, **values: float) -> Weights:
    changed: dict[str, Any] = dict(values)  # thresholds only; the table's one integer is not set here
    return replace(weights, decisions=replace(weights.decisions, **changed))


@pytest.mark.parametrize("level", ["strict", "normal"])
def test_calibrated_decisions_follow_the_fitted_thresholds(level: str) -> None:
    text = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)"
    base = Engine.load([FIXTURES / "kb"])
    suffix = "" if level == "strict" else "_normal"
    closed = {f"passive{suffix}": 1.0, f"passive_exact{suffix}": 1.0, "asked": 1.0}
    opened = {name: 0.0 for name in closed}
    thresholds = Thresholds(decisions="calibrated", passive_level=level)
    said = Matcher(base.indexes, thresholds, _with_decisions(base.matcher.weights, **opened)).rank(text)
    silent = Matcher(base.indexes, thresholds, _with_decisions(base.matcher.weights, **closed)).rank(text)
    assert said.reply and said.answer
    assert not silent.reply and not silent.answer


def test_the_other_level_s_thresholds_do_not_apply() -> None:
    text = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)"
    base = Engine.load([FIXTURES / "kb"])
    weights = _with_decisions(
        base.matcher.weights, passive=1.0, passive_exact=1.0, passive_normal=0.0, passive_exact_normal=0.0
    )
    strict = Matcher(base.indexes, Thresholds(decisions="calibrated", passive_level="strict"), weights).rank(text)
    normal = Matcher(base.indexes, Thresholds(decisions="calibrated", passive_level="normal"), weights).rank(text)
    assert not strict.reply and normal.reply


def test_one_message_and_a_batch_of_messages_are_decided_by_the_same_rule() -> None:
    # Matcher.decide applies these to one message and tune's figures to every corpus case at once: a change to
    # either use would otherwise let the measured figures describe a bot that does not exist.
    d = replace(default_weights().decisions, passive=0.9, passive_exact=0.7, rule_probability=0.5)
    grid = [(g, e, p, r) for g in (False, True) for e in (False, True) for p in (0.2, 0.6, 0.8, 0.95) for r in (0, 1)]
    gate, exact, prob, rule = (np.array([row[i] for row in grid]) for i in range(4))
    rule = rule.astype(np.bool_) & gate
    batch = np.asarray(level_replies(gate, exact, prob, d.passive, d.passive_exact))
    combined = np.asarray(rule_replies(rule, prob, batch, d))
    for i, (g, e, p, r) in enumerate(grid):
        one = bool(level_replies(g, e, p, d.passive, d.passive_exact))
        assert one == bool(batch[i]) == (g and p >= (0.7 if e else 0.9))
        assert (
            bool(rule_replies(bool(r) and g, p, one, d)) == bool(combined[i]) == ((bool(r) and g and p >= 0.5) or one)
        )


def test_an_unknown_decision_mode_or_level_is_refused() -> None:
    with pytest.raises(ValueError, match="decisions"):
        Thresholds(decisions="vibes")
    with pytest.raises(ValueError, match="passive level"):
        Thresholds(passive_level="chatty")


# -- tune ------------------------------------------------------------------------------------------------


def _corpus(tmp_path: Path) -> Path:
    """A small corpus of our own: the demo entries' own errors, and chat that must stay silent."""
    cases: list[dict[str, str | None]] = []
    for n, width in enumerate(range(2, 14)):
        cases.append({"text": f"RuntimeError: mat1 and mat2 shapes cannot be multiplied ({width}x4096 and 512x3)",
                      "expected": "demo/shape-mismatch", "kind": "error-line", "source": f"own:shape/{n}"})  # fmt: skip
        nan = f"my loss becomes nan after {width} epochs, what gives?"
        cases.append({"text": nan, "expected": "demo/loss-nan", "kind": "symptom", "source": f"own:nan/{n}"})
        chat = f"thanks, that worked! ({n})"
        cases.append({"text": chat, "expected": None, "kind": "chat", "source": f"own:chat/{n}"})
    return write_corpus(tmp_path, cases)


def test_tune_cross_validates_and_reports_the_figures(tmp_path: Path) -> None:
    engine = Engine.load([FIXTURES / "kb"])
    cases, problems = tune.load_corpus(_corpus(tmp_path), {e.id for e in engine.kb.entries})
    assert len(cases) == 36 and not problems
    result = tune.tune(engine, cases, default_weights(), k=3)
    assert result.cross_validated.top1 == 1.0
    assert result.cross_validated.passive_fp <= decisions_fit.PASSIVE_FALSE_MAX
    assert sum(count for _, count, _, _ in result.reliability) >= 24  # every case with a match is binned
    again = tune.tune(engine, cases, default_weights(), k=3)
    assert again.weights == result.weights  # seeded: the same corpus gives the same table


def test_held_out_figures_meet_thresholds_fitted_without_them() -> None:
    # Fold A: right answers at 0.9 and chat at 0.7; fold B: right answers at 0.6, nothing to stay silent on.
    # Read off A alone, the asked threshold must rise above the chat (0.9); read off B alone, anything goes (0.5).
    a, b = np.arange(0, 15), np.arange(15, 25)
    cases = [tune.Case("x", None if 10 <= i < 15 else "demo/loss-nan", "chat", f"s{i}") for i in range(25)]
    prob = np.array([0.9] * 10 + [0.7] * 5 + [0.6] * 10)
    right = np.array([True] * 10 + [False] * 5 + [True] * 10)
    n = len(cases)
    ranked = decisions_fit.Ranked(
        rank=np.where(right, 1, 0), top_right=right, features=np.zeros((n, len(CALIBRATION_FEATURES))),
        has_match=np.ones(n, dtype=np.bool_), gate=np.ones(n, dtype=np.bool_), exact=np.zeros(n, dtype=np.bool_),
        rule=np.zeros(n, dtype=np.bool_),
    )  # fmt: skip
    d = default_weights().decisions
    per_case = decisions_fit.held_out_thresholds(cases, ranked, prob, d, [a, b])
    assert set(per_case["asked"][b]) == {0.9} and set(per_case["asked"][a]) == {0.5}
    held_out = decisions_fit.figures(cases, ranked, prob, d, per_case=per_case)
    in_sample = decisions_fit.figures(cases, ranked, prob, decisions_fit.fit_decisions(cases, ranked, prob, d))
    assert held_out.asked_fp == 1.0 and in_sample.asked_fp == 0.0  # B's threshold lets A's chat through
    assert held_out.asked_recall == in_sample.asked_recall == 0.5


def test_tune_groups_cases_of_one_source_in_one_fold() -> None:
    cases = [tune.Case("x", None, "chat", f"src{n % 7}") for n in range(70)]
    folds = tune.folds(cases, k=5)
    for fold in folds:
        sources = {cases[i].source for i in fold}
        assert all(cases[i].source not in sources for other in folds if other is not fold for i in other)


def test_tune_folds_keep_each_source_where_it_was_when_sources_are_added() -> None:
    """A corpus that grows must not re-deal its old cases: their folds (and so the figures measured on them) stay,
    whatever was added and in whatever order the files were read."""
    old = [tune.Case("x", None, "chat", f"https://example.org/t/{n}") for n in range(400)]
    new = [tune.Case("y", None, "chat", f"https://example.org/new/{n}") for n in range(150)]

    def fold_by_source(cases: list[tune.Case]) -> dict[str, int]:
        return {cases[i].source: f for f, fold in enumerate(tune.folds(cases, k=5)) for i in fold.tolist()}

    before = fold_by_source(old)
    after = fold_by_source(new[:75] + old[::-1] + new[75:])
    assert all(after[source] == fold for source, fold in before.items())
    sizes = [len(fold) for fold in tune.folds(old, k=5)]
    assert sum(sizes) == 400 and min(sizes) >= 50  # a hash spreads them: 80 each on average
    assert fold_by_source(old) != {c.source: tune.fold_of(c.source, 5, tune.SEED + 1) for c in old}  # the seed deals


def test_tune_command_writes_nothing_on_a_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = WEIGHTS_FILE.read_bytes(), RECORDS_FILE.read_bytes()
    code = main(["--knowledge", str(FIXTURES / "kb"), "tune", "--corpus", str(_corpus(tmp_path)), "--folds", "3",
                 "--dry-run"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "top1 1.000" in out and "reliability" in out
    assert (WEIGHTS_FILE.read_bytes(), RECORDS_FILE.read_bytes()) == before


def test_tune_gives_the_same_figures_in_every_process(tmp_path: Path) -> None:
    """Sets iterate in an order that changes with the interpreter's hash seed; the fitted models and the
    matcher's sums must not depend on it, or the same corpus would give a different table on every run."""
    corpus = _corpus(tmp_path)
    outputs = []
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--knowledge", str(FIXTURES / "kb"), "tune", "--corpus", str(corpus),
             "--folds", "3", "--dry-run"],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]


_INDEX_DIGEST = """
import hashlib, sys
from bot.knowledge.loader import load_knowledge
from bot.matching.index import build_indexes
digest = hashlib.sha256()
for ix in build_indexes(load_knowledge([sys.argv[1]])):
    for table in (ix.feature_weights, ix.phrasing_total, ix.postings.rows, ix.vocabulary.rows):
        digest.update(table.tobytes())
print(digest.hexdigest())
"""


def test_the_index_is_the_same_to_the_bit_in_every_process() -> None:
    """A phrasing's total weight summed in a set's order differed in its last bit between hash seeds, and that
    reordered tied entries: two processes of one deployment could list a match's runners-up differently."""
    digests = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", _INDEX_DIGEST, str(BUNDLED_KNOWLEDGE)],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout)
    assert len(digests) == 1


def _likeness(text: str, entry_id: str) -> float:
    assessed = Engine.load([FIXTURES / "kb"]).matcher.assess(text)
    row = [e.id for e in assessed.entries].index(entry_id)
    return float(assessed.evidence.symptom_likeness[row])


def test_likeness_is_the_shared_words_over_the_larger_of_message_and_phrasing() -> None:
    # The fixture entry's phrasing "loss becomes nan during training", said word for word, then inside more
    # words (ones the knowledge knows: words it has never seen weigh nothing), then in part: alike both ways
    # only when it is the message.
    same = _likeness("loss becomes nan during training", "demo/loss-nan")
    longer = _likeness("loss becomes nan during training since pip built a wheel from source", "demo/loss-nan")
    shorter = _likeness("loss becomes nan", "demo/loss-nan")
    assert same == pytest.approx(1.0)
    assert 0.0 < longer < same and 0.0 < shorter < same


def test_the_best_phrasing_per_entry_is_the_maximum_over_that_entrys_phrasings_of_the_kind() -> None:
    # Against the plain definition, on the bundled knowledge (entries with several, one or no phrasings of a kind).
    ix = Engine.load().indexes[0]
    values = np.random.default_rng(7).random(len(ix.phrasing_total))
    for kind in (SIGNATURE, SYMPTOM):
        expected = np.zeros(ix.size)
        for entry, value, k in zip(ix.phrasing_entry.tolist(), values.tolist(), ix.phrasing_kind.tolist(), strict=True):
            if k == kind:
                expected[entry] = max(expected[entry], value)
        assert np.array_equal(PhrasingRuns.of(ix, kind).best(values), expected)


def test_a_message_with_no_candidates_has_every_kind_of_evidence_empty_and_typed(tmp_path: Path) -> None:
    empty = Engine.load([tmp_path]).matcher.assess("RuntimeError: CUDA out of memory").evidence  # no knowledge
    full = Engine.load([FIXTURES / "kb"]).matcher.assess("RuntimeError: CUDA out of memory").evidence
    assert len(empty) == 0 < len(full)
    for name in ev.Evidence.__dataclass_fields__:
        got, want = getattr(empty, name), getattr(full, name)
        assert got is None or (got.shape == (0,) and got.dtype == want.dtype), name
