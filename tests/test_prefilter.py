"""The pre-filter may let chat through, but must never clear a message the matcher would answer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.lines import may_hold_error
from bot.matching.text import fold_accents, word_keys, words

from .conftest import FIXTURES

CHAT = [
    "good morning everyone",
    "thanks, that fixed it!",
    "has anyone tried the new lightning release",
    "I trained for 10 epochs, loss went from 2.3 to 0.4, looks fine",
    "lol same",
    "see you at the meetup on friday",
]


def test_ordinary_chat_is_cleared(bundled_engine: Engine) -> None:
    assert [bundled_engine.may_answer(text) for text in CHAT] == [False] * len(CHAT)


def test_errors_and_problem_descriptions_pass(bundled_engine: Engine) -> None:
    for text in [
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x3 and 5x6)",
        'File "train.py", line 3, in <module>',
        "ERROR: Failed building wheel for tokenizers",
        "my loss turns into nan after a few steps, why?",
        "the weights don't change after optimizer.step()",
    ]:
        assert bundled_engine.may_answer(text), text


OWN_MESSAGES = [
    "after upgrading, my training loss becomes nan at epoch 2 and stays nan",
    "torch.cuda.is_available() returns False even though nvidia-smi shows my GPU",
    "the kernel keeps dying in jupyter whenever I load the big csv",
    "conda has been stuck on Solving environment for an hour",
    "my script just prints Killed and exits while loading the dataset",
    "gpu utilization sits at 5% and the dataloader seems to be the bottleneck",
    "model gives different predictions for the same input every time I call it",
    "same seed, yet every run gives different results",
]


def test_every_passive_reply_passes_the_prefilter(bundled_engine: Engine) -> None:
    texts = [*OWN_MESSAGES, *CHAT]
    texts += [p.read_text(encoding="utf-8") for p in (FIXTURES.parent.parent / "examples").glob("*.txt")]
    answered = [text for text in texts if bundled_engine.match(text).reply]
    assert len(answered) >= 5  # the check below must have something to check
    for text in answered:
        assert bundled_engine.may_answer(text), text[:200]


def test_descriptions_in_other_scripts_and_accents_pass_as_the_matcher_reads_them(bundled_engine: Engine) -> None:
    # The curated phrasings written in Chinese, Japanese, Spanish, ...: whatever of them the matcher answers, the
    # pre-filter must pass, reading words as the matcher does (CJK character pairs, accents folded).
    phrasings = [s for e in bundled_engine.kb.entries for s in e.symptoms if not s.isascii()]
    answered = [text for text in phrasings if bundled_engine.match(text).reply]
    assert len(answered) >= 5
    for text in answered:
        assert bundled_engine.may_answer(text), text


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab_ ñé'ошибк显存溢出 \nn't"), max_size=60))
def test_the_quick_word_keys_hold_every_word_the_matcher_reads(text: str) -> None:
    # The pre-filter looks words up by `word_keys`, a cheaper pass than `words`; it must miss none of them ("not",
    # what negations become, is never a feature).
    lowered = fold_accents(text.lower())
    assert set(words(lowered)) - {"not"} <= set(word_keys(lowered))


def _vocabulary(engine: Engine) -> list[str]:
    words = {w for e in engine.kb.entries for s in (*e.symptoms, e.title) for w in s.split()}
    return sorted(words)[:3000]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_prefilter_never_clears_what_the_matcher_answers(bundled_engine: Engine, data: st.DataObject) -> None:
    vocab = _vocabulary(bundled_engine)
    words = data.draw(st.lists(st.sampled_from([*vocab, "not", "why", "?", "help", "lol", "thanks"]), max_size=25))
    text = " ".join(words)
    if bundled_engine.match(text).reply:
        assert bundled_engine.may_answer(text), text


# Issue 9: extraction now reads any class in a traceback's exception line and other tools' error lines;
# the pre-filter's quick check must let every one of them through.
NEW_ERROR_SHAPES = [
    "httpx.ConnectTimeout: timed out",
    "  torch._dynamo.exc.Unsupported: call_function in skip_files",
    "error[E0499]: cannot borrow `buf` as mutable more than once at a time",
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "thread 'main' panicked at src/lib.rs:12:9:",
    "PHP Parse error:  syntax error, unexpected '}' in /var/www/cart.php on line 8",
    "CONFLICT (modify/delete): data.csv deleted in HEAD and modified in feature",
    "api-6d4cf56db6-9zk2p   0/1   CrashLoopBackOff   3   2m",
]


def test_the_quick_check_passes_the_new_error_shapes() -> None:
    for text in NEW_ERROR_SHAPES:
        assert extract(text).is_error_report, text
        assert may_hold_error(text), text


_FRAME_LINES = ['  File "/srv/app/run.py", line 8, in <module>', "    main()", "Traceback (most recent call last):"]
_LAST_LINES = ["RAG: retrieved context is empty", "psycopg2.errors.UndefinedTable: no table", "ANR in main", "ok"]
_IPYTHON_HEADS = ["Unsupported    Traceback (most recent call last)", "Unsupported    Traceback (most"]
_LINE_PIECES = [*NEW_ERROR_SHAPES, *_FRAME_LINES, *_LAST_LINES, *_IPYTHON_HEADS, *CHAT, "", "    "]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.sampled_from(_LINE_PIECES), max_size=12), indent=st.sampled_from(["", "  ", "\t"]))
def test_the_quick_check_never_clears_what_extraction_finds(lines: list[str], indent: str) -> None:
    text = "\n".join(indent + line for line in lines)
    if extract(text).is_error_report:
        assert may_hold_error(text), text
