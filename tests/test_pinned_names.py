"""Quoted names an entry's signatures pin, and pastes that name something else in their place."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import Engine
from bot.knowledge.model import Entry
from bot.matching.pinned_names import names_disagree, pasted_names, pinned_names, pinned_packages

from .conftest import demo_entry, disagreements

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


SIX = ("ModuleNotFoundError: No module named 'torch._six'", "from torch._six import inf\nModuleNotFoundError: ")


def test_a_dotted_name_a_pattern_spells_out_is_pinned_with_the_names_quoted_beside_it() -> None:
    # One example repeated pins nothing from the signatures; a pattern that can only match that module does.
    assert pinned_names(SIX) == frozenset()
    assert pinned_packages(SIX, ["No module named 'torch._six'"]) == {(("module", "named"), "torch._six")}
    # The entry's other names in that place are its own too: TensorFlow's spells out a submodule and the package.
    tf1 = ["AttributeError: module 'tensorflow' has no attribute 'Session'"]
    assert pinned_packages(tf1, ["module 'tensorflow._api.v2.train' has no"]) == {
        (("module",), "tensorflow._api.v2.train"),
        (("module",), "tensorflow"),
    }
    # An undotted name is no package's part; a quoted message is no name; a literal beginning at its quote has no
    # slot; a literal run may begin and end inside quotes (`Can't get attribute '\w+' on <module '__main__' from '`):
    # the words between two quotes are no name.
    assert pinned_packages((), ["missing 1 required positional argument: 'self'"]) == frozenset()
    assert pinned_packages((), ["raise IOError('cannot write mode %s as J.PEG')", "'torch.cuda' device"]) == set()
    assert pinned_packages((), ["' on <module '__main__' from '"]) == frozenset()


def test_another_name_where_a_pattern_spells_out_a_dotted_one_disagrees() -> None:
    pinned = pinned_packages(SIX, ["No module named 'torch._six'"])
    for other in ("torch", "torch.nn", "torch._sixteen", "requests"):
        assert names_disagree(pasted_names(f"ModuleNotFoundError: No module named '{other}'"), pinned), other
    for agreeing in (
        "ModuleNotFoundError: No module named 'torch._six'",
        "ModuleNotFoundError: No module named 'torch._six.moves'",
        "ImportError: cannot import name 'inf' from 'torch'",  # another slot
    ):
        assert not names_disagree(pasted_names(agreeing), pinned), agreeing
    tf1 = pinned_packages(
        ["AttributeError: module 'tensorflow' has no attribute 'Session'"], ["module 'tensorflow._api.v2.train' has no"]
    )
    assert not names_disagree(pasted_names("AttributeError: module 'tensorflow' has no attribute 'x'"), tf1)


def test_a_signatures_pinned_module_disagrees_with_its_parent_package() -> None:
    image = [
        "AttributeError: module 'PIL.Image' has no attribute 'ANTIALIAS'",
        "AttributeError: module 'PIL.Image' has no attribute 'LINEAR'",
    ]
    pinned = pinned_names(image)
    assert pinned == {(("attributeerror", "module"), "pil.image")}
    assert names_disagree(pasted_names("AttributeError: module 'PIL' has no attribute 'Image'"), pinned)
    assert not names_disagree(pasted_names("AttributeError: module 'PIL.Image' has no attribute 'CUBIC'"), pinned)


def test_pytorch_missing_altogether_is_not_read_as_its_removed_submodule(bundled_engine: Engine) -> None:
    """`No module named 'torch'` masked reads as `No module named 'torch._six'`, and the entry for that removed
    submodule came within 0.03 of python/module-not-found (0.08 for `'requests'`): too close to answer unprompted.
    Its pattern spells the submodule out, so another module missing contradicts it."""
    for text in (
        "ModuleNotFoundError: No module named 'torch'",
        "ModuleNotFoundError: No module named 'requests'",
        "I get ModuleNotFoundError: No module named 'torch' when I run my script, how do I fix it?",
    ):
        result = bundled_engine.match(text, top=5)
        ids = [m.entry.id for m in result.matches]
        assert ids[0] == "python/module-not-found", text
        assert "pytorch/torch-six-removed" not in ids[:3], text
        assert result.reply, text
    six = bundled_engine.match("ModuleNotFoundError: No module named 'torch._six'", top=3).best
    assert six is not None and six.entry.id == "pytorch/torch-six-removed"


def _entry(entry_id: str, signature: str, *patterns: str) -> Entry:
    return demo_entry(entry_id, signature, *patterns, exception="ModuleNotFoundError", category="import_error")


def test_a_paste_one_of_the_entrys_patterns_matches_is_not_contradicted_by_its_names() -> None:
    """An entry whose patterns spell out one submodule and also take any other (`demo\\.\\w+`) is about every
    submodule of that package: the one its first pattern spells out is an example among them."""
    removed = _entry(
        "demo/removed-api",
        "ModuleNotFoundError: No module named 'demo.legacy'",
        r"No module named 'demo\.legacy'",
        r"No module named 'demo\.\w+'; it moved",
    )
    narrow = _entry(
        "demo/narrow", "ModuleNotFoundError: No module named 'demo.legacy'", r"No module named 'demo\.legacy'"
    )
    disagrees = disagreements((removed, narrow), "ModuleNotFoundError: No module named 'demo.api'; it moved to demo.v2")
    assert disagrees == {"demo/removed-api": False, "demo/narrow": True}
