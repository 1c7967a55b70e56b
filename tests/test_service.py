"""The service between the core and the two faces (the Discord bot and the command line), called directly:
a real engine on the bundled knowledge, a real SQLite store in tmp_path, no Discord."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat.embed import ENTRY_COLOUR, LOOKED_UP, render_embed
from bot.engine import Engine
from bot.feedback.report import workaround_ids
from bot.feedback.votes import NONE_FIXED, workaround_option
from bot.gaps import FINGERPRINT_SCHEME
from bot.render.terminal import render_reply
from bot.server_settings import ServerSettingsCache
from bot.service import FIND_ENTRIES_MAX, NO_CONFIDENT_CANDIDATES, Service, UnknownEntryError
from bot.settings import Settings
from bot.store import Store, StoredReply

REPO = Path(__file__).resolve().parent.parent

# Every module a face shares with the other: none may need Discord to import.
DISCORD_FREE = ("bot.service", "bot.reply", "bot.feedback.votes")


def imports_discord(modules: list[str]) -> bool:
    """Whether importing these modules, in a fresh interpreter, loads discord.py."""
    code = f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\nprint('discord' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def test_the_renderers_the_reply_model_and_the_vote_vocabulary_need_no_discord() -> None:
    renderers = sorted(f"bot.render.{p.stem}" for p in (REPO / "bot" / "render").glob("*.py") if p.stem != "__init__")
    assert not imports_discord([*DISCORD_FREE, *renderers])


# -- the service, called directly ---------------------------------------------------------------------------

TRACEBACK = (REPO / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8")
ENTRY = "pytorch/mat1-mat2-shape-mismatch"
CHAT = "good morning everyone, anyone up for a paper reading tonight?"
# An error no entry covers: it ranks entries, but none is sure enough to answer with.
# A problem described loosely: no entry is likely enough for the full page, the closest are worth a look.
UNSURE = "training is slower than yesterday, what could cause that?"  # near entries, too vague to be sure of
VAGUE = "RuntimeError: flux capacitor overloaded in module wumpus"


@pytest.fixture
async def service(bundled_engine: Engine, tmp_path: Path) -> AsyncIterator[Service]:
    async with Store(tmp_path / "knownfix.sqlite3", workaround_ids(bundled_engine.kb)) as store:
        yield Service.over(bundled_engine, store)


def shown_reply(message_id: int, shown: tuple[str, ...]) -> StoredReply:
    return StoredReply(message_id, 10, 1, message_id + 1, 7, ENTRY, shown, 0.9, "high")


async def test_assess_answers_a_known_traceback_and_stays_silent_on_chat(service: Service) -> None:
    known = await service.assess(TRACEBACK)
    assert known.reply is not None and known.reply.entry.id == ENTRY
    assert known.reply.asker_error is not None and "mat1 and mat2" in known.reply.asker_error
    chat = await service.assess(CHAT)
    assert chat.reply is None and not chat.result.reply


async def test_answer_is_the_full_reply_or_the_closest_entries_and_counts_the_gap(service: Service) -> None:
    sure = await service.answer(TRACEBACK)
    assert sure.reply is not None and sure.reply.entry.id == ENTRY and sure.candidates == ()
    unsure = await service.answer(UNSURE)
    assert not unsure.result.answer and unsure.reply is None
    assert 0 < len(unsure.candidates) <= NO_CONFIDENT_CANDIDATES
    assert unsure.candidates == unsure.result.matches[: len(unsure.candidates)]
    unknown = await service.answer(VAGUE)
    assert unknown.reply is None and unknown.candidates == ()  # an error nothing is near: no list of strangers
    assert service.store is not None
    assert await service.store.top_gaps(FINGERPRINT_SCHEME, 10)  # asked and not answered: a gap for curators
    thanks = await service.answer(CHAT)
    assert thanks.reply is None and thanks.candidates == ()  # chat put to the bot gets no list of strangers


async def test_an_entry_is_shown_as_a_reply_with_no_match_behind_it(service: Service) -> None:
    reply = await service.show_entry(ENTRY)
    assert reply.looked_up and reply.score is None and reply.confidence is None
    assert reply.alternatives == () and reply.asker_error is None and reply.environment is None
    assert reply.workarounds[0].workaround.id == "set-features-real-flattened"
    # Both renderers say what it is, and claim no match score for it.
    embed = render_embed(reply).embed
    assert (embed.description or "").startswith(LOOKED_UP) and "% match" not in (embed.description or "")
    assert embed.colour is not None and embed.colour.value == ENTRY_COLOUR
    terminal = render_reply(reply)
    assert f"entry: {ENTRY}" in terminal and "confidence" not in terminal


async def test_an_entry_shown_ranks_its_workarounds_by_the_votes_so_far(service: Service) -> None:
    assert service.store is not None
    second = "let-pytorch-infer-features"
    await service.store.record_reply(shown_reply(100, ("set-features-real-flattened", second)))
    for user in range(30):
        await service.store.add_vote(100, user, workaround_option(second))
    reply = await service.show_entry(ENTRY)
    assert reply.workarounds[0].workaround.id == second and reply.workarounds[0].rate.reports >= 30


async def test_an_unknown_id_names_the_ids_it_is_probably_a_typo_of(service: Service) -> None:
    with pytest.raises(UnknownEntryError) as raised:
        await service.show_entry("pytorch/mat1-mat2-shape-mismatc")
    assert raised.value.close[0] == ENTRY


async def test_search_finds_an_entry_by_its_id_or_by_words(service: Service) -> None:
    assert [(h.entry.id, h.score) for h in await service.search(ENTRY)] == [(ENTRY, None)]
    hits = await service.search("mat1 and mat2 shapes cannot be multiplied")
    assert hits[0].entry.id == ENTRY and hits[0].score is not None
    assert ENTRY in [e.id for e in service.find_entries("mat1 mat2 shapes")]
    assert len(service.find_entries("")) == FIND_ENTRIES_MAX


async def test_a_vote_pressed_twice_is_taken_back_and_another_changes_it(service: Service) -> None:
    assert service.store is not None
    first, second = workaround_option("set-features-real-flattened"), workaround_option("let-pytorch-infer-features")
    await service.store.record_reply(shown_reply(100, ("set-features-real-flattened", "let-pytorch-infer-features")))
    cast = await service.toggle_vote(100, 5, first, via="button")
    assert cast is not None and cast.votes == (first,) and cast.taken_back is None
    again = await service.toggle_vote(100, 5, first, via="button")
    assert again is not None and again.votes == () and again.taken_back == first
    await service.toggle_vote(100, 5, NONE_FIXED, via="button")
    changed = await service.toggle_vote(100, 5, second, via="button")  # a fix contradicts "none worked"
    assert changed is not None and changed.votes == (second,)
    assert await service.votes_of(changed.reply, 5) == (second,)


async def test_a_vote_that_means_nothing_on_the_reply_is_refused(service: Service) -> None:
    assert service.store is not None
    await service.store.record_reply(shown_reply(100, ("set-features-real-flattened",)))
    assert await service.toggle_vote(100, 5, workaround_option("not-shown-here"), via="button") is None
    assert await service.toggle_vote(999, 5, NONE_FIXED, via="button") is None  # no reply the bot tracks
    assert await service.votes_of(shown_reply(100, ()), 5) == ()


async def test_the_effective_settings_are_a_servers_own_over_the_defaults(bundled_engine: Engine) -> None:
    servers = ServerSettingsCache(Settings(token="t", record_gaps=True))
    servers.put(42, {"record_gaps": "false", "passive_level": "normal"})
    service = Service(lambda: bundled_engine, server_settings=servers.get)
    mine, default = service.settings_for(42), service.settings_for(None)
    assert mine is not None and not mine.record_gaps and mine.thresholds.passive_level == "normal"
    assert default is not None and default.record_gaps
    assert Service.over(bundled_engine).settings_for(42) is None  # the command line: no servers


def test_no_face_fakes_a_match_to_show_an_entry() -> None:
    """An entry is shown from the entry (bot.reply.entry_reply), never from a match made up for it: an empty
    extraction, or a Match whose evidence is the id."""
    faked = re.compile(r'extract\(""\)|Match\([^)]*"id"\)')
    found = [str(p.relative_to(REPO)) for p in (REPO / "bot").rglob("*.py") if faked.search(p.read_text("utf-8"))]
    assert found == []
