"""The reply as one Discord embed, always inside Discord's limits. Pure: a reply model in, an embed out.
It lives with the Discord layer that sends it; the reply model and bot.render stay Discord-free.

Long code is trimmed at a line boundary and its code block closed, never cut mid-block; whatever did
not fit goes into `overflow`, the full reply as Markdown, which the caller attaches as a file.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.feedback.rates import rate_basis
from bot.feedback.votes import DELETE_EMOJI, MAX_VOTABLE_WORKAROUNDS, NONE_FIXED_EMOJI, NUMBER_EMOJI, WRONG_MATCH_EMOJI
from bot.knowledge.markdown import percent
from bot.knowledge.model import Verification
from bot.matching.matcher import Confidence
from bot.render.text import clip
from bot.reply import RankedWorkaround, Reply

# Discord's documented embed limits.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000

MAX_WORKAROUNDS_SHOWN = MAX_VOTABLE_WORKAROUNDS  # each shown workaround has its number to vote with
DEAD_ENDS_NAME = "🚫 Dead ends: what people try that does not work"
DESCRIPTION_BUDGET = 1200  # keeps room in the 6000 total for the workarounds
CODE_BUDGET = 700
COLOURS = {Confidence.HIGH: 0x2ECC71, Confidence.MEDIUM: 0xF1C40F, Confidence.LOW: 0x95A5A6}
ENTRY_COLOUR = 0x5865F2  # an entry asked for by id: no confidence to colour, so Discord's own blurple
LOOKED_UP = "**Knowledge entry**"  # heads an entry asked for by id, where a match shows its confidence
BADGES = {
    "reproduced": "✅ reproduced",
    "expert": "🎓 expert-checked",
    "community": "👥 community",
    "stale": "⏳ stale: no longer raises",  # followed by the version it was checked on: fixed upstream?
}


@dataclass(frozen=True)
class RenderedReply:
    embed: discord.Embed
    shown: tuple[str, ...]  # workaround ids in the order shown: position N is reaction N
    overflow: str | None  # the full reply as Markdown when something had to be trimmed


def code_block(code: str, lang: str | None, budget: int) -> tuple[str, bool]:
    """A closed code block of at most `budget` characters, trimmed at a line boundary; and whether it was."""
    code = code.replace("```", "`\u200b``")  # a fence inside the code would end the block early
    head, tail = f"```{lang or ''}\n", "\n```"
    room = budget - len(head) - len(tail)
    if len(code) <= room:
        return head + code + tail, False
    note = "# … trimmed: the full code is in the attached file"
    kept: list[str] = []
    used = len(note) + 1
    for line in code.split("\n"):
        if used + len(line) + 1 > room:
            break
        kept.append(line)
        used += len(line) + 1
    if not kept:  # one enormous line: cut it, the block still closes
        kept = [code[: max(0, room - len(note) - 2)]]
    return head + "\n".join([*kept, note]) + tail, True


def _workaround_field(position: int, r: RankedWorkaround) -> tuple[str, str, bool]:
    # The rate and what it rests on always fit: a long title is clipped to leave room for them.
    rate = f"fixes {percent(r.rate.observed)}% ({rate_basis(r.rate)})"
    title = clip(r.workaround.title, FIELD_NAME_MAX - len(rate) - len(" — ") - len(NUMBER_EMOJI[0]) - 1)
    name = clip(f"{NUMBER_EMOJI[position - 1]} {title} — {rate}", FIELD_NAME_MAX)
    parts: list[str] = [_for_asker(r)] if r.for_asker is not None else []
    if r.workaround.condition:
        parts.append(clip(f"*When:* {r.workaround.condition}", 250))
    trimmed = False
    if r.shown_code:
        used = sum(len(p) + 1 for p in parts)
        block, trimmed = code_block(r.shown_code, r.workaround.lang, min(CODE_BUDGET, FIELD_VALUE_MAX - used))
        parts.append(block)
    value = "\n".join(parts) or "\u200b"
    return name, value, trimmed


def _for_asker(r: RankedWorkaround) -> str:
    versions = clip(", ".join(map(str, r.workaround.applies_to)), 150)
    return f"✅ *For your version* ({versions})" if r.for_asker else f"⚠️ *Not for your version* ({versions})"


# The asker's versions and the entry's range take a few lines of the description, never the root cause's room.
ASKER_BUDGET = 300


def _asker_text(reply: Reply) -> str:
    """`Your torch 2.1.2 + CUDA 12.1, ...` and whether the entry is for those versions; "" without a paste."""
    mine = reply.asker_versions
    if not mine:
        return ""
    ranges = ", ".join(map(str, reply.entry.applies_to))
    text = f"**Your versions:** {mine}"
    if reply.entry_for_asker is False:
        text += f"\n⚠️ This entry is for {ranges}, not the version you pasted."
    elif reply.entry_for_asker:
        text += f"\n✅ This entry is for {ranges}, which includes yours."
    rows = [m for m in reply.version_rows if m.for_asker]
    if rows:
        text += "\n**Your version:** " + "; ".join(m.row.version for m in rows)
    return clip(text, ASKER_BUDGET)


def _how_found(reply: Reply) -> str:
    """`**High confidence** (93% match)`, or that this is an entry someone asked for by id."""
    if reply.confidence is None or reply.score is None:
        return LOOKED_UP
    return f"**{reply.confidence.value.capitalize()} confidence** ({reply.score:.0%} match)"


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)


def render_embed(reply: Reply, full_markdown: str | None = None) -> RenderedReply:
    e = reply.entry
    badge = BADGES.get(e.verification.value, "🤖 unverified (AI-drafted)")
    if e.verification is Verification.STALE and e.verified_on:
        badge += f" on {e.verified_on}"
    confidence = f"{_how_found(reply)} · {badge}"
    asker = _asker_text(reply)
    # The asker's own error heads the reply (their shapes and names); the entry it matched comes under it.
    known = f"**Known error:** {clip(e.title, 300)}\n" if reply.asker_error else ""
    description = (
        f"{known}{confidence}\n{asker}\n\n**Root cause**\n{e.root_cause}"
        if asker
        else (f"{known}{confidence}\n\n**Root cause**\n{e.root_cause}")
    )
    trimmed = len(description) > DESCRIPTION_BUDGET
    title = discord.utils.escape_markdown(reply.asker_error) if reply.asker_error else e.title
    embed = discord.Embed(
        title=clip(title, TITLE_MAX),
        description=clip(description, DESCRIPTION_BUDGET),
        colour=COLOURS[reply.confidence] if reply.confidence is not None else ENTRY_COLOUR,
    )
    shown: list[str] = []
    for position, ranked in enumerate(reply.workarounds[:MAX_WORKAROUNDS_SHOWN], 1):
        name, value, cut = _workaround_field(position, ranked)
        if _embed_size(embed) + len(name) + len(value) > EMBED_TOTAL_MAX - 900:
            trimmed = True
            break
        embed.add_field(name=name, value=value, inline=False)
        shown.append(ranked.workaround.id)
        trimmed = trimmed or cut
    trimmed = trimmed or len(reply.workarounds) > len(shown)

    if reply.dead_ends:
        lines = [f"• **{d.action}** — fails {percent(d.fail_rate)}%: {d.why}" for d in reply.dead_ends]
        value = clip("\n".join(lines), FIELD_VALUE_MAX)
        trimmed = trimmed or value != "\n".join(lines)
        if _embed_size(embed) + len(value) + len(DEAD_ENDS_NAME) <= EMBED_TOTAL_MAX - 400:
            embed.add_field(name=DEAD_ENDS_NAME, value=value, inline=False)
        else:
            trimmed = True
    if reply.alternatives:
        value = clip("\n".join(f"`{m.entry.id}` ({m.score:.0%})" for m in reply.alternatives), FIELD_VALUE_MAX)
        embed.add_field(name="Other possible matches", value=value, inline=False)
    if reply.wrong_match_votes:
        embed.add_field(name="Reported as a wrong match", value=f"{reply.wrong_match_votes} time(s)", inline=False)

    embed.set_footer(text=_footer(e.id, len(shown)))
    # Whatever the entry holds, the embed must fit: drop fields from the end (the least important
    # first) until it does; anything dropped is in the attached file.
    while len(embed) > EMBED_TOTAL_MAX or len(embed.fields) > FIELDS_MAX:
        last = len(embed.fields) - 1
        embed.remove_field(last)
        if last < len(shown):
            shown.pop()
        embed.set_footer(text=_footer(e.id, len(shown)))
        trimmed = True
    return RenderedReply(embed, tuple(shown), full_markdown if trimmed else None)


def _footer(entry_id: str, shown: int) -> str:
    numbers = "".join(NUMBER_EMOJI[:shown])
    footer = (
        f"{entry_id} · react {numbers} if a workaround fixed it, {NONE_FIXED_EMOJI} if none did, "
        f"{WRONG_MATCH_EMOJI} if this is the wrong match · {DELETE_EMOJI} removes this reply"
    )
    return clip(footer, FOOTER_MAX)
