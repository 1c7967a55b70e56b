"""Chinese and Latin writing side by side: a Latin word glued to Chinese characters (`用gpu训练`) is still a word to the
concept patterns, and Chinese words of trouble mark a problem report."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.matching.extract import has_problem_cue
from bot.matching.text import features, spaced


def concepts(text: str) -> set[str]:
    return {f for f in features(text) if f.startswith("c_")}


def test_a_space_goes_where_chinese_and_latin_writing_meet() -> None:
    assert spaced("用gpu训练时loss变成nan了") == "用 gpu 训练时 loss 变成 nan 了"
    assert spaced("a中b") == "a 中 b"
    plain = "training on the gpu is slow"
    assert spaced(plain) is plain  # nothing to do without a CJK character


def test_a_latin_word_glued_to_chinese_is_still_a_word_to_the_concepts() -> None:
    # Python's \b sees no boundary between 用 and g: CJK characters are word characters.
    assert "c_gpu" in concepts("无法使用gpu训练")
    assert "c_nan" in concepts("训练几轮后loss变成nan了")
    assert "c_oom" in concepts("运行时出现out of memory错误")
    assert "c_gpu" not in concepts("无法使用cpugpus训练")  # a word's inside is not its start
    # The same words with spaces around them read the same.
    assert concepts("无法使用 gpu 训练") == concepts("无法使用gpu训练")


@pytest.mark.parametrize("text", ["模型无法加载", "找不到这个包", "程序运行出错", "训练时出现异常", "装好了但是用不了"])
def test_chinese_words_of_trouble_are_problem_cues(text: str) -> None:
    assert has_problem_cue(text)


def test_chinese_without_a_word_of_trouble_is_no_problem_cue() -> None:
    assert not has_problem_cue("谢谢，已经解决了")  # "thanks, it is solved"


CHINESE_REPORTS = [
    "用gpu训练时显存不足，batch size已经调到1了，还是不行，怎么办？",
    "训练速度很慢，gpu利用率只有5%，请问是什么问题",
    "训练几轮之后loss变成nan了，请问怎么解决",
    "每次运行结果不一致，已经固定了随机种子，为什么？",
    "模型加载后无法使用gpu",
]


def test_the_prefilter_never_clears_a_chinese_report_the_matcher_answers(bundled_engine: Engine) -> None:
    for text in CHINESE_REPORTS:
        if bundled_engine.match(text).reply:
            assert bundled_engine.may_answer(text), text
    assert bundled_engine.may_answer("模型加载后无法使用gpu")  # a problem cue and a concept glued to Chinese
