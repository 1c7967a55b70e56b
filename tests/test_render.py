"""The embed renderer on worst-case entries: always inside Discord's limits, code blocks never cut open."""

from __future__ import annotations

import dataclasses

from bot.chat.embed import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    TITLE_MAX,
    code_block,
    render_embed,
)
from bot.engine import Engine
from bot.feedback.rates import Tally
from bot.knowledge.model import DeadEnd, Entry, Workaround
from bot.matching.matcher import Confidence, Match
from bot.render.terminal import render_reply
from bot.reply import build_reply


def check_limits(embed: object) -> None:
    import discord

    assert isinstance(embed, discord.Embed)
    assert len(embed.title or "") <= TITLE_MAX
    assert len(embed.description or "") <= DESCRIPTION_MAX
    assert len(embed.fields) <= FIELDS_MAX
    for field in embed.fields:
        assert len(field.name or "") <= FIELD_NAME_MAX
        assert 0 < len(field.value or "") <= FIELD_VALUE_MAX
        assert (field.value or "").count("```") % 2 == 0, field.value
    assert len(embed) <= EMBED_TOTAL_MAX


def monster(base: Entry) -> Entry:
    code = "\n".join(f"step_{i} = compute(step_{i - 1}, ```weird```)  # " + "x" * 60 for i in range(200))
    return dataclasses.replace(
        base,
        title="RuntimeError: " + "very long message " * 60,
        root_cause="because " * 1500,
        workarounds=tuple(
            Workaround(
                f"Workaround {i} " + "with a long title " * 20, 0.5 + i / 100, code, "when " * 200, "python", id=f"w{i}"
            )
            for i in range(12)
        ),
        dead_ends=tuple(DeadEnd("try " * 100, "fails " * 200, 0.9) for _ in range(20)),
    )


def test_worst_case_entry_stays_inside_every_limit(demo_engine: Engine) -> None:
    entry = monster(demo_engine.kb.entries[0])
    others = tuple(Match(e, 0.5, Confidence.MEDIUM, "words") for e in demo_engine.kb.entries)
    reply = build_reply(Match(entry, 0.6, Confidence.MEDIUM, "signature"), others, wrong_match_votes=3)
    rendered = render_embed(reply, "full markdown")
    check_limits(rendered.embed)
    assert rendered.overflow == "full markdown"  # something was trimmed, so the full text is attached
    assert rendered.shown and len(rendered.shown) <= 5


def test_every_bundled_entry_renders_inside_the_limits(bundled_engine: Engine) -> None:
    for entry in bundled_engine.kb.entries:
        reply = build_reply(Match(entry, 0.95, Confidence.HIGH, "signature"))
        check_limits(render_embed(reply).embed)
        assert entry.id in render_reply(reply)


def test_long_ids_and_many_alternatives_still_fit(demo_engine: Engine) -> None:
    entry = dataclasses.replace(monster(demo_engine.kb.entries[0]), id="pack/" + "x" * 64)
    others = tuple(
        Match(dataclasses.replace(e, id="pack/" + "y" * 64), 0.59, Confidence.MEDIUM, "words")
        for e in demo_engine.kb.entries
    )
    rendered = render_embed(build_reply(Match(entry, 0.6, Confidence.MEDIUM, "signature"), others, None, 7), "md")
    check_limits(rendered.embed)
    assert rendered.embed.footer.text and rendered.embed.footer.text.count("️⃣") == len(rendered.shown)


def test_small_entry_needs_no_attachment_and_shows_rates_in_live_order(demo_engine: Engine) -> None:
    entry = demo_engine.kb.by_id["demo/loss-nan"]  # curated: #1 0.6, #2 0.7
    reply = build_reply(Match(entry, 0.9, Confidence.HIGH, "symptom"), tallies={"lower-learning-rate": Tally(fixed=20)})
    rendered = render_embed(reply, "full")
    assert rendered.overflow is None
    assert rendered.shown == ("lower-learning-rate", "clip-gradients")  # twenty reports lift it above #2
    assert "observed: 100% of 20 reports" in (rendered.embed.fields[0].name or "")


def test_code_blocks_are_trimmed_at_line_boundaries_and_closed() -> None:
    code = "\n".join(f"line {i}" for i in range(500))
    block, trimmed = code_block(code, "python", 300)
    assert trimmed and len(block) <= 300
    assert block.startswith("```python\n") and block.endswith("\n```")
    assert "line 0\nline 1\n" in block
    one_line, trimmed = code_block("x" * 5000, None, 200)
    assert trimmed and len(one_line) <= 200 and one_line.endswith("```")
