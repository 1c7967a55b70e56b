"""The fitted report-or-talk word model: its tokens, its file, its fit, and the decisions it steers."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot import talk_fit
from bot.engine import Engine
from bot.matching import examples
from bot.matching.calibration import TopEvidence
from bot.matching.extract import extract
from bot.matching.flat import FeatureTable
from bot.matching.matcher import Matcher, bare_paste, passive_gate, score_rule
from bot.matching.talk import (
    LOGIT_CLIP,
    TALK_WORDS_FILE,
    TalkWords,
    TalkWordsError,
    default_talk_words,
    dump_talk_words,
    load_talk_words,
    parse_talk_words,
    talk_cues,
    talk_tokens,
)
from bot.matching.weights import default_weights

FIXTURES = Path(__file__).parent / "fixtures"
SHAPES = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x4096 and 512x3)"


def test_tokens_are_words_and_word_pairs_with_function_words_kept() -> None:
    tokens = talk_tokens("You should TRY this, it's because of 2 things")
    assert {"you", "should", "try", "this", "it's", "because", "you should", "should try"} <= tokens
    assert not any(t[0].isdigit() for t in tokens)  # numbers say nothing about who is talking


def test_tokens_mark_how_the_message_and_each_sentence_open() -> None:
    tokens = talk_tokens("Hi, I get an error.\nThanks for the model.eval() tip! Try it")
    assert {"^ hi", "^ hi i", ". hi", ". hi i"} <= tokens  # the message's opening word and pair
    assert {". thanks", ". thanks for", ". try", ". try it"} <= tokens  # after a line break, after "! "
    assert "error thanks" in tokens  # the plain pairs still run across sentences
    assert ". eval" not in tokens  # a dotted name is one name, not the end of a sentence
    assert not any(t.startswith("^ ") for t in tokens - {"^ hi", "^ hi i"})  # one opening per message


def test_a_message_opening_with_cjk_has_no_latin_opening_words() -> None:
    tokens = talk_tokens("这是因为版本太高 you need it")
    assert "you need" in tokens and not any(t.startswith(("^ ", ". ")) for t in tokens)


def test_cjk_prose_is_read_as_character_pairs() -> None:
    assert {"这是", "是因", "因为"} <= talk_tokens("这是因为版本太高")


def test_the_logit_adds_the_weights_of_the_tokens_present_and_is_clipped() -> None:
    model = TalkWords(-1.0, {"you": 2.0, "you should": 1.5, "i": -3.0})
    assert model.logit(talk_tokens("you should")) == pytest.approx(2.5)
    assert model.logit(talk_tokens("i")) == pytest.approx(-4.0)
    assert model.logit(talk_tokens("nothing known here")) == pytest.approx(-1.0)
    loud = TalkWords(0.0, {"you": 50.0})
    assert loud.logit(talk_tokens("you")) == LOGIT_CLIP
    assert talk_cues("you should", model).words == pytest.approx(2.5)
    assert talk_cues("you should").words == 0.0  # no model: no word evidence either way


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([], "JSON object"),
        ({"intercept": "1", "weights": {}}, "intercept"),
        ({"intercept": True, "weights": {}}, "intercept"),
        ({"intercept": 0.0, "weights": []}, "weights"),
        ({"intercept": 0.0, "weights": {"you": "lots"}}, "'you'"),
    ],
)
def test_a_malformed_model_is_refused_with_what_is_wrong(raw: object, problem: str) -> None:
    with pytest.raises(TalkWordsError, match=problem):
        parse_talk_words(raw)


def test_an_unreadable_model_file_names_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "talk_words.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(TalkWordsError, match=r"talk_words\.json"):
        load_talk_words(bad)


def test_a_model_file_that_is_not_text_names_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "talk_words.json"
    bad.write_bytes(b'{"intercept": \xff}')
    with pytest.raises(TalkWordsError, match=r"talk_words\.json"):
        load_talk_words(bad)


def test_the_model_round_trips_through_its_file(tmp_path: Path) -> None:
    model = TalkWords(-0.25, {"you": 1.23456789, "i get": -0.5, "zero": 0.0})
    path = tmp_path / "talk_words.json"
    dump_talk_words(model, path)
    again = load_talk_words(path)
    assert again.intercept == pytest.approx(-0.25)
    assert dict(again.weights) == {"i get": -0.5, "you": pytest.approx(1.23457)}  # zeros are left out
    assert "about" in json.loads(path.read_text(encoding="utf-8"))


def test_the_bundled_model_loads_and_is_not_empty() -> None:
    model = default_talk_words()
    assert model == load_talk_words(TALK_WORDS_FILE)
    assert len(model.weights) > 500


# -- fitting -------------------------------------------------------------------------------------------


def test_fit_learns_which_words_mark_talk_from_labelled_cases() -> None:
    talk = ["you should pin the version", "you need to upgrade it", "this pr fixes the crash", "you can set it"]
    reports = ["i get this error when i run it", "my training crashes with this", "i keep getting this", "i ran it"]
    texts = (talk + reports) * 3  # every token seen often enough to count
    tokens = [talk_tokens(t) for t in texts]
    y = np.array([1.0 if t in talk else 0.0 for t in texts])
    model = talk_fit.fit_talk_words(tokens, y, np.arange(len(texts)))
    assert model.weights["you"] > 0 > model.weights["i"]
    assert model.logit(talk_tokens("you should try this")) > 0 > model.logit(talk_tokens("i get an error"))


def test_fit_ignores_tokens_seen_in_too_few_cases() -> None:
    texts = ["you a", "you b", "you c", "i d", "i e", "i f", "rare"]
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    model = talk_fit.fit_talk_words([talk_tokens(t) for t in texts], y, np.arange(len(texts)))
    assert "you" in model.weights and "rare" not in model.weights and "a" not in model.weights


def test_auc_is_the_chance_a_positive_outscores_a_negative() -> None:
    assert talk_fit.auc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([True, True, False, False])) == 1.0
    assert talk_fit.auc(np.array([0.1, 0.2, 0.9, 0.8]), np.array([True, True, False, False])) == 0.0
    assert talk_fit.auc(np.array([0.5, 0.5, 0.5, 0.5]), np.array([True, False, True, False])) == 0.5


# -- decisions -----------------------------------------------------------------------------------------


def _top(words: float) -> TopEvidence:
    return TopEvidence(
        score=1.0, gap=0.5, similarity=1.0, coverage=1.0, via="signature", pack=False, error_report=True,
        traceback=False, prose_words=60, exact=True, problem_cues=True, cues=replace(talk_cues(""), words=words),
    )  # fmt: skip


def test_the_score_rules_stay_silent_when_the_words_read_as_talk() -> None:
    w = default_weights()
    assert score_rule(_top(-2.0), w)
    assert not score_rule(_top(+2.0), w)
    assert score_rule(_top(+2.0), replace(w, decisions=replace(w.decisions, talk_gate=0.9)))  # a looser gate


def test_a_bare_paste_is_not_read_as_talk() -> None:
    w = default_weights()
    bare = replace(_top(+2.0), via="pattern", prose_words=8, error_report=False)
    assert bare_paste(bare, w)
    assert score_rule(bare, w)  # its words are the error's own, whatever the word model makes of them


def test_the_matcher_reads_the_prose_with_the_model_it_was_given() -> None:
    base = Engine.load([FIXTURES / "kb"])
    text = f"so the answer here is this:\n{SHAPES}"
    neutral = Matcher(base.indexes, None, base.matcher.weights, TalkWords(-3.0, {})).rank(text)
    talky = Matcher(base.indexes, None, base.matcher.weights, TalkWords(-3.0, {"answer": 6.0})).rank(text)
    assert neutral.reply
    assert not talky.reply  # the same match, read as someone answering
    assert talky.best is not None and neutral.best is not None and talky.best.entry.id == neutral.best.entry.id


@pytest.mark.parametrize(
    "text",
    [
        f"This PR fixes the following error by passing the right shapes to the layer:\n{SHAPES}",
        f"You need to flatten the input first, that is why you see\n{SHAPES}\nChange the view to (batch, -1).",
    ],
)
def test_the_bundled_model_reads_answers_and_fix_announcements_as_talk(text: str) -> None:
    report = Engine.load([FIXTURES / "kb"]).matcher.assess(text)
    assert report.cues.words > 0


@pytest.mark.parametrize(
    "text",
    [
        f"I get this error when I run my training script, any idea?\n{SHAPES}",
        f"getting this after updating, my model worked yesterday\n{SHAPES}",
    ],
)
def test_the_bundled_model_reads_own_problems_as_reports(text: str) -> None:
    report = Engine.load([FIXTURES / "kb"]).matcher.assess(text)
    assert report.cues.words < 0


# -- a bare paste ----------------------------------------------------------------------------------------


def _bare(via: str, coverage: float, words: int) -> TopEvidence:
    return replace(_top(0.0), via=via, coverage=coverage, prose_words=words, error_report=False, exact=False)


def test_a_short_message_proven_by_a_pattern_or_holding_a_whole_signature_is_a_paste() -> None:
    w = default_weights()
    assert bare_paste(_bare("pattern", 0.5, 7), w)
    assert bare_paste(_bare("words", 1.0, 7), w)
    assert not bare_paste(_bare("words", 0.6, 7), w)  # some of a signature's words: a topic, not a paste
    assert not bare_paste(_bare("symptom", 1.0, 7), w)
    assert not bare_paste(_bare("pattern", 1.0, w.decisions.bare_paste_words + 1), w)  # a long message about it
    assert not bare_paste(replace(_bare("pattern", 1.0, 7), error_report=True), w)  # prose around an error line


def test_without_a_word_of_trouble_a_bare_paste_stays_behind_the_gate() -> None:
    quiet = extract("the widths are 512 and 256 here")  # what the pre-filter clears before matching
    assert not quiet.describes_problem
    assert not passive_gate(quiet, _bare("pattern", 1.0, 7), default_weights())


def test_the_score_rules_never_answer_unprompted_below_even_odds() -> None:
    base = Engine.load([FIXTURES / "kb"])
    text = f"I get this when I run my script\n{SHAPES}"
    weights = base.matcher.weights
    rules_only = replace(weights.decisions, passive_normal=1.01, passive_exact_normal=1.01)  # no normal-level reply
    floor = Matcher(base.indexes, None, replace(weights, decisions=replace(rules_only, rule_probability=0.0)))
    ceiling = Matcher(base.indexes, None, replace(weights, decisions=replace(rules_only, rule_probability=1.0)))
    assert floor.rank(text).reply
    assert not ceiling.rank(text).reply


def test_the_default_decisions_also_answer_what_the_normal_level_answers() -> None:
    base = Engine.load([FIXTURES / "kb"])
    text = f"I get this when I run my script\n{SHAPES}"
    weights = base.matcher.weights
    no_rule = replace(weights.decisions, rule_probability=1.01)  # the score rules never answer
    sure = replace(no_rule, passive_normal=0.0, passive_exact_normal=0.0)
    unsure = replace(no_rule, passive_normal=1.01, passive_exact_normal=1.01)
    assert Matcher(base.indexes, None, replace(weights, decisions=sure)).rank(text).reply
    assert not Matcher(base.indexes, None, replace(weights, decisions=unsure)).rank(text).reply
    # Talk stays behind the gate whatever the level: "thanks" describes no problem.
    assert not Matcher(base.indexes, None, replace(weights, decisions=sure)).rank("thanks, all good now").reply


def test_a_whole_traceback_is_not_silenced_by_the_words_around_it() -> None:
    w = default_weights()
    apologetic = replace(_top(+2.0), traceback=True)  # "sorry, wrong paste, this is the error:" and a traceback
    assert score_rule(apologetic, w)
    assert not score_rule(replace(apologetic, traceback=False), w)  # the same words around a quoted line


def test_words_the_knowledge_names_errors_with_are_left_out_of_the_model() -> None:
    texts = ["you should use cuda", "you can try cuda", "you need cuda", "i get cuda", "my cuda", "i see cuda"]
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    tokens = [talk_tokens(t) for t in texts]
    model = talk_fit.fit_talk_words(tokens, y, np.arange(len(texts)), topics=frozenset({"cuda"}))
    assert "you" in model.weights and not any("cuda" in t for t in model.weights)


def test_the_opening_words_of_a_topic_word_are_left_out_too() -> None:
    texts = ["cuda you should", "cuda you can", "cuda you need", "cuda i get", "cuda my", "cuda i see"]
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    model = talk_fit.fit_talk_words([talk_tokens(t) for t in texts], y, np.arange(len(texts)), frozenset({"cuda"}))
    assert "cuda you" not in model.weights and "^ cuda" not in model.weights and "^ cuda you" not in model.weights
    assert model.weights["you"] > 0


def test_a_topic_word_used_in_reports_about_many_domains_stays_in_the_model() -> None:
    # "fixed" is in some entry's signature, so it is a topic word; but people report problems of every domain
    # with it, so it says how they talk. "cuda" is reported about one domain only: still a topic.
    domains = [f"lib{i}" for i in range(5)]
    reports = [*(f"i fixed {d} but it still fails" for d in domains), "my cuda run fails"]
    talk = ["you fixed it", "fixed it thanks", "fixed in this pr", "you fixed the cuda one"]
    texts = reports + talk
    tokens = [talk_tokens(t) for t in texts]
    of_case: list[str | None] = [*domains, "lib0", *[None] * len(talk)]
    y = np.array([0.0] * len(reports) + [1.0] * len(talk))
    topics = frozenset({"fixed", "cuda"})
    everything = np.arange(len(texts))
    assert talk_fit.general_words(tokens, of_case, everything, topics) == {"fixed"}
    model = talk_fit.fit_talk_words(tokens, y, everything, topics, of_case)
    assert "fixed" in model.weights and not any("cuda" in t for t in model.weights)
    # Reports about one domain only show nothing general.
    assert talk_fit.general_words(tokens, of_case, np.array([0, 5]), topics) == frozenset()


# -- the same figures in every process -------------------------------------------------------------------


def test_the_word_models_sum_exactly_whatever_order_a_set_iterates_in() -> None:
    # 1e16 + 1 rounds back to 1e16 in floats: a plain left-to-right sum keeps or loses each 1.0 by the order
    # the set happens to iterate in, which changes with the hash seed.
    weights = {f"t{i}": (1e16, -1e16, 1.0)[i % 3] for i in range(30)}
    model = TalkWords(-5.0, weights)
    assert model.logit(frozenset(weights)) == 5.0
    centroids = examples.ExampleModel({t: 1.0 for t in weights}, {t: (("e/x", w / 1e16),) for t, w in weights.items()})
    exact = math.fsum(w / 1e16 for w in weights.values()) / math.sqrt(len(weights))
    assert centroids.likeness(frozenset(weights)).similarity["e/x"] == exact


def test_feature_ids_come_out_ascending_whatever_order_they_are_asked_in() -> None:
    table, _ = FeatureTable.build(["alpha", "beta", "gamma", "delta"])
    forward = table.ids(["alpha", "beta", "gamma", "delta"])
    backward = table.ids(["delta", "gamma", "beta", "alpha"])
    assert forward.tolist() == backward.tolist() == sorted(forward.tolist())
