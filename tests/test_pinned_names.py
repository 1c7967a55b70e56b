"""Quoted names an entry's signatures pin, and pastes that name something else in their place."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import Engine
from bot.matching.pinned_names import names_disagree, pasted_names, pinned_names

MODULE_ALIASES = (
    "AttributeError: module 'numpy' has no attribute 'float'",
    "AttributeError: module 'numpy' has no attribute 'int'",
    "AttributeError: module 'numpy.linalg' has no attribute 'old'",
)


def test_a_name_the_signatures_agree_on_while_another_varies_is_pinned() -> None:
    # The module is the same in all three (numpy.linalg is in numpy); the attribute varies: only the module is pinned.
    assert pinned_names(MODULE_ALIASES) == {(("attributeerror", "module"), "numpy")}


def test_names_that_vary_or_one_repeated_example_pin_nothing() -> None:
    shadowed = (
        "AttributeError: module 'random' has no attribute 'randint'",
        "AttributeError: module 'torch' has no attribute 'Tensor'",
    )
    assert pinned_names(shadowed) == frozenset()
    # One example written twice (with and without its path) shows no name to be the point.
    cycle = (
        "ImportError: cannot import name 'Model' from partially initialized module 'models'",
        "ImportError: cannot import name 'Model' from partially initialized module 'models' (/srv/app/models.py)",
    )
    assert pinned_names(cycle) == frozenset()
    assert pinned_names(MODULE_ALIASES[:1]) == frozenset()


def test_messages_paths_and_apostrophes_are_not_names() -> None:
    runs = (
        "CondaError: Run 'conda init' before 'conda activate'",
        "CondaError: Run 'conda init' before 'conda deactivate'",
    )
    assert pinned_names(runs) == frozenset()  # `conda init` is a command quoted whole, not a name
    loads = (
        "OSError: Can't load tokenizer for 'bert-base'. Make sure that 'bert-base' is a correct model identifier",
        "OSError: Can't load tokenizer for 'gpt2'. Make sure that 'gpt2' is a correct model identifier",
    )
    # `Can't` holds no quote: the first name read is the model's, under `tokenizer for`.
    assert {slot for slot, _ in pasted_names(loads[0])} >= {("tokenizer", "for"), ("for",)}
    assert pinned_names(loads) == frozenset()


def test_a_paste_naming_another_module_where_one_is_pinned_disagrees() -> None:
    pinned = pinned_names(MODULE_ALIASES)
    assert names_disagree(pasted_names("AttributeError: module 'emoji' has no attribute 'emojize'"), pinned)
    # A log's prefix before the class does not move the slot.
    assert names_disagree(pasted_names("[rank0]: AttributeError: module 'emoji' has no attribute 'x'"), pinned)
    for agreeing in (
        "AttributeError: module 'numpy' has no attribute 'float_'",
        "AttributeError: module 'numpy.random' has no attribute 'default_rng'",  # numpy's own subpackage
        "AttributeError: 'Tensor' object has no attribute 'numpy'",  # another slot: not the module's
        "AttributeError: module has no attribute",  # nothing quoted
    ):
        assert not names_disagree(pasted_names(agreeing), pinned), agreeing


def test_one_agreeing_name_among_several_pasted_is_enough() -> None:
    chained = (
        "AttributeError: module 'numpy' has no attribute 'bool'\nAttributeError: module 'pkg' has no attribute 'x'"
    )
    assert not names_disagree(pasted_names(chained), pinned_names(MODULE_ALIASES))


def test_another_modules_missing_attribute_is_not_read_as_numpys_removed_alias(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    """Masked, every `module '…' has no attribute '…'` is one error; the NumPy entry, whose signatures all name
    numpy, no longer comes first for another module's, and still does for numpy's own."""
    other = real_traceback("import types\ntypes.ModuleType('emoji').emojize")
    assert "AttributeError: module 'emoji' has no attribute 'emojize'" in other
    best = bundled_engine.match(other, top=3).best
    assert best is not None and best.entry.id != "numpy/alias-removed"
    own = real_traceback("import types\ntypes.ModuleType('numpy').float")
    best = bundled_engine.match(own, top=3).best
    assert best is not None and best.entry.id == "numpy/alias-removed"
