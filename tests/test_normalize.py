from __future__ import annotations

import pytest

from bot.matching.normalize import comparable, mask, normalize
from bot.matching.talk import talk_tokens
from bot.matching.text import features, fold_accents


def test_shapes_of_any_size_normalise_to_the_same_text() -> None:
    a = normalize("RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x512 and 256x10)")
    b = normalize("RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x3 and 7x2048)")
    assert a == b
    assert "_shape_" in a


@pytest.mark.parametrize(
    ("raw", "placeholder"),
    [
        ("object at 0x7f3a2b1c9d30", "_hex_"),
        ('File "/home/u/project/train.py"', "_path_"),
        (r"C:\Users\me\venv\lib\site-packages\torch\lib\c10.dll", "_path_"),
        ("torch.Size([16, 1])", "_shape_"),
        ("weight of size [64, 3, 7, 7]", "_shape_"),
        ("found at least two devices, cuda:0 and cpu", "_device_"),
        ("requires numpy 1.26.4", "_ver_"),
        ("Tried to allocate 2.00 GiB", "_size_"),
        ("No module named 'sklearn'", "_q_"),
        ("Target 10 is out of bounds", "_num_"),
        ("see https://pytorch.org/docs/stable/notes/cuda.html", "_url_"),
    ],
)
def test_variable_parts_are_masked(raw: str, placeholder: str) -> None:
    assert placeholder in mask(raw)


def test_words_that_carry_meaning_survive() -> None:
    text = normalize("RuntimeError: Expected all tensors to be on the same device, but found cuda:1 and cpu!")
    assert "expected all tensors to be on the same device" in text
    assert "cuda:1" not in text


def test_quoted_names_mask_but_different_errors_stay_different() -> None:
    assert normalize("KeyError: 'label'") == normalize("KeyError: 'target'")
    assert normalize("TypeError: 'int' object is not callable") != normalize("TypeError: 'int' object is not iterable")


def test_a_message_in_a_cjk_locale_is_read_as_its_character_pairs() -> None:
    chinese = features("PermissionError: [WinError 5] 拒绝访问。")
    assert {"拒绝", "绝访", "访问", "permissionerror"} <= chinese
    # A signature printed in such a locale is more than the Latin names in it: a message that only names
    # the tool covers a small share of it, not all of it.
    signature = features("'nvidia-smi' 不是内部或外部命令，也不是可运行的程序 或批处理文件。")
    mention = features("the CUDA version shown in `nvidia-smi` output has nothing to do with the toolkit")
    assert len(signature & mention) / len(signature) < 0.2


def test_accented_words_are_read_whole_and_meet_their_plain_spelling() -> None:
    # Split at its accent, "importación" was "importaci" and a dropped "n", and never met "importacion".
    accented = features("Problemas con importación cíclica de módulos")
    assert {"importacion", "ciclica", "modulo"} <= accented
    assert accented == features("Problemas con importacion ciclica de modulos")
    assert fold_accents("straße çalışmıyor İşlem") == "strasse calismiyor Islem"
    assert fold_accents("4×3 matrix") == "4×3 matrix"  # a multiplication sign is no letter
    assert {"que", "no", "funciona"} <= talk_tokens("¿Qué no funciona?")


def test_cyrillic_words_are_read_and_stemmed_as_russian() -> None:
    # Outside [a-z] a Russian description was invisible to the words; its forms now meet at one stem.
    assert features("ошибка") == features("ошибки") == {"ошибк"}
    assert {"обучен", "модел", "обучен модел"} <= features("CUDA out of memory при обучении модели")
    assert {"вы", "^ вы", "вы должны"} <= talk_tokens("Вы должны уменьшить batch size")


@pytest.mark.parametrize(
    ("wrapped", "bare"),
    [
        (
            "django.db.utils.OperationalError: no such table: accounts_user",
            "OperationalError: no such table: accounts_user",
        ),
        ("torch.cuda.OutOfMemoryError: CUDA out of memory.", "OutOfMemoryError: CUDA out of memory."),
        ("huggingface_hub.errors.GatedRepoError: 401 Client Error.", "GatedRepoError: 401 Client Error."),
    ],
)
def test_compared_text_drops_the_module_path_of_an_exception_class(wrapped: str, bare: str) -> None:
    # Where a class lives varies with the framework wrapping it; the message is what names the error.
    assert comparable(wrapped) == comparable(bare)
    assert comparable(wrapped).startswith(bare.split(":", 1)[0].lower())


def test_module_paths_that_are_not_exception_classes_stay() -> None:
    assert comparable("AttributeError: module 'numpy' has no attribute 'float'") == normalize(
        "AttributeError: module 'numpy' has no attribute 'float'"
    )
    assert "torch nn functional" in comparable("call torch.nn.functional.relu on it")


def test_stored_gap_lines_keep_the_module_path() -> None:
    # Gap groups were stored under `normalize`: changing it would split their history.
    assert normalize("django.db.utils.OperationalError: database is locked").startswith("django db utils")
