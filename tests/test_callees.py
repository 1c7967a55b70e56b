"""The function a call error names, where an entry's pattern spells it out, and pastes that name another."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import Engine
from bot.knowledge.model import Entry
from bot.matching.callees import callees_disagree, pasted_callees, pinned_callees

from .conftest import demo_entry, disagreements

FORWARD = (r"forward\(\) takes (?:from \d+ to )?\d+ positional arguments? but \d+ were given",)


def test_a_pattern_pins_the_function_its_call_error_spells_out() -> None:
    assert pinned_callees(FORWARD) == {("forward",)}
    assert pinned_callees([r"OneHotEncoder\.__init__\(\) got an unexpected keyword argument 'sparse'"]) == {
        ("onehotencoder", "init")
    }
    assert pinned_callees([r"(?:WebDriver\.__init__\(\) got multiple values for argument "]) == {("webdriver", "init")}


def test_a_pattern_that_takes_any_name_or_part_of_one_pins_nothing() -> None:
    assert pinned_callees([r"\w\(\) got an unexpected keyword argument "]) == frozenset()
    assert pinned_callees([r"\w+_forward\(\) takes "]) == frozenset()  # the end of any name
    assert pinned_callees([r"missing 1 required positional argument: 'self'"]) == frozenset()  # no call error
    assert pinned_callees([r"forward\(\) returned a tuple"]) == frozenset()  # not a call error's words


def test_an_entry_whose_pattern_takes_any_function_pins_none() -> None:
    """A generic entry about a call error may spell out one old wording's name (Python 3.6's `object() takes no
    parameters`) beside a pattern for any function: that name is one of its examples, not the point."""
    generic = [r"\w\(\) takes \d+ positional arguments? but \d+ were given", r"object\(\) takes no parameters"]
    assert pinned_callees(generic) == frozenset()
    assert pinned_callees(generic[1:]) == {("object",)}
    # Parentheses that no call error follows are not counted: `placeholder\(\) is not compatible`.
    assert pinned_callees([*FORWARD, r"tf\.placeholder\(\) is not compatible"]) == {("forward",)}


def test_a_paste_names_the_functions_of_its_call_errors() -> None:
    assert pasted_callees("TypeError: greet() takes 1 positional argument but 2 were given") == {("greet",)}
    assert pasted_callees("TypeError: Net.forward() missing 1 required positional argument: 'x'") == {
        ("net", "forward")
    }
    # markdown drops the underscores around `__init__`; a name inside a longer word is not one
    assert pasted_callees("TypeError: Trainer.init() got an unexpected keyword argument 'gpus'") == {
        ("trainer", "init")
    }
    assert pasted_callees("see my_module.run() takes 2 positional arguments") == {("my_module", "run")}
    assert pasted_callees("TypeError: len() of unsized object") == frozenset()


def test_names_agree_by_their_dotted_ends() -> None:
    forward = pinned_callees(FORWARD)
    for agreeing in (
        "TypeError: forward() takes 2 positional arguments but 3 were given",
        "TypeError: Net.forward() takes 2 positional arguments but 3 were given",  # Python 3.10+ qualifies it
        "TypeError: len() of unsized object",  # no call error: nothing to disagree with
    ):
        assert not callees_disagree(pasted_callees(agreeing), forward), agreeing
    for other in ("greet", "Dog.__init__", "forward_hook", "Net.forwards"):
        text = f"TypeError: {other}() takes 1 positional argument but 2 were given"
        assert callees_disagree(pasted_callees(text), forward), other
    init = pinned_callees([r"Trainer\.__init__\(\) got an unexpected keyword argument '\w+'"])
    assert not callees_disagree(pasted_callees("TypeError: __init__() got an unexpected keyword argument 'x'"), init)
    assert callees_disagree(pasted_callees("TypeError: Args.__init__() got an unexpected keyword argument 'x'"), init)


def _entry(entry_id: str, signature: str, *patterns: str) -> Entry:
    return demo_entry(entry_id, signature, *patterns, exception="TypeError", category="type_error")


def test_another_function_contradicts_the_entry_unless_one_of_its_patterns_matches() -> None:
    """The contradiction is the exception-disagreement column; a pattern written to take any name has the last
    word, as for quoted names (`pinned_names.py`)."""
    signature = "TypeError: run() takes 1 positional argument but 2 were given"
    narrow = _entry("demo/narrow", signature, r"run\(\) takes ")
    open_ = _entry("demo/open", signature, r"run\(\) takes ", r"\w\(\) takes ")
    disagrees = disagreements((narrow, open_), "TypeError: walk() takes 1 positional argument but 2 were given")
    assert disagrees == {"demo/narrow": True, "demo/open": False}


def test_a_plain_functions_argument_count_is_not_read_as_a_modules_forward(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    """Masked, `greet() takes 1 positional argument but 2 were given` is PyTorch's forward() error with one name
    changed: that entry came first, at 0.91, and `knownfix match` showed it as a full page."""
    plain = real_traceback("def greet(name):\n    return name\n\ngreet('a', 'b')")
    assert "TypeError: greet() takes 1 positional argument but 2 were given" in plain
    ids = [m.entry.id for m in bundled_engine.match(plain, top=3).matches]
    assert "pytorch/forward-too-many-arguments" not in ids[:1], ids
    own = "TypeError: Net.forward() takes 2 positional arguments but 3 were given"
    best = bundled_engine.match(own, top=3).best
    assert best is not None and best.entry.id == "pytorch/forward-too-many-arguments"
