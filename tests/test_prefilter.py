"""The pre-filter may let chat through, but must never clear a message the matcher would answer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import Engine

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
