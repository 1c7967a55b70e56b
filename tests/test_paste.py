"""Paste links: which URLs are read (and from where), which are refused, and the guarded fetch against a
real loopback paste server (tests/fakediscord/paste.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import yarl

from bot.paste import (
    MAX_READ_FACTOR,
    PasteError,
    PasteLink,
    PasteSources,
    Reader,
    find_paste_links,
    paste_link,
    read_paste,
)
from bot.settings import SettingsError, load_settings
from tests.fakediscord.paste import FakePasteServer

GIST = "0123456789abcdef0123456789abcdef"
PASTE_GG = "fedcba9876543210fedcba9876543210"


@pytest.mark.parametrize(
    ("url", "provider", "origin", "path", "reader"),
    [
        ("https://pastebin.com/AbCd1234", "pastebin", "site", "/raw/AbCd1234", Reader.TEXT),
        ("https://pastebin.com/raw/AbCd1234", "pastebin", "site", "/raw/AbCd1234", Reader.TEXT),
        ("http://PASTEBIN.com/AbCd1234/", "pastebin", "site", "/raw/AbCd1234", Reader.TEXT),
        ("https://paste.pythondiscord.com/QWERTY7", "pythondiscord", "site", "/api/v1/paste/QWERTY7", Reader.PINNWAND),
        ("https://paste.pythondiscord.com/raw/ABC2", "pythondiscord", "site", "/raw/ABC2", Reader.TEXT),
        ("https://bpa.st/abcd", "bpaste", "site", "/api/v1/paste/ABCD", Reader.PINNWAND),
        ("https://bpa.st/ABCD/raw", "bpaste", "site", "/raw/ABCD", Reader.TEXT),
        (f"https://gist.github.com/sam/{GIST}", "gist", "api", f"/gists/{GIST}", Reader.GIST),
        (f"https://gist.github.com/{GIST}", "gist", "api", f"/gists/{GIST}", Reader.GIST),
        (
            f"https://gist.githubusercontent.com/sam/{GIST}/raw/train.log",
            "gist",
            "raw",
            f"/sam/{GIST}/raw/train.log",
            Reader.TEXT,
        ),
        ("https://hastebin.com/share/ijaxuvigaf.py", "hastebin", "site", "/raw/ijaxuvigaf", Reader.TEXT),
        ("https://hastebin.com/ijaxuvigaf", "hastebin", "site", "/raw/ijaxuvigaf", Reader.TEXT),
        ("https://www.toptal.com/developers/hastebin/ijaxuvigaf", "hastebin", "site", "/raw/ijaxuvigaf", Reader.TEXT),
        (
            f"https://paste.gg/p/anonymous/{PASTE_GG}",
            "pastegg",
            "api",
            f"/v1/pastes/{PASTE_GG}?full=true",
            Reader.PASTE_GG,
        ),
        ("https://dpaste.org/Hk3x", "dpaste-org", "site", "/Hk3x/raw", Reader.TEXT),
        ("https://dpaste.com/8LZQH3UBP", "dpaste-com", "site", "/8LZQH3UBP.txt", Reader.TEXT),
        ("https://0x0.st/Hx4c.txt", "0x0", "site", "/Hx4c.txt", Reader.TEXT),
    ],
)
def test_a_paste_link_maps_to_its_providers_raw_endpoint(
    url: str, provider: str, origin: str, path: str, reader: Reader
) -> None:
    link = paste_link(url)
    assert link is not None
    assert (link.provider, link.route.origin, link.route.path, link.route.reader) == (provider, origin, path, reader)


@pytest.mark.parametrize(
    "url",
    [
        "https://pastebin.com@evil.example/AbCd1234",  # userinfo: the host is evil.example
        "https://user:pw@pastebin.com/AbCd1234",  # userinfo, even in front of the right host
        "https://pastebin.com:8443/AbCd1234",  # another port
        "https://pastebin.com:443/AbCd1234",  # an explicit port at all
        "https://pastebin.com.evil.example/AbCd1234",  # the provider as a subdomain of another host
        "https://evilpastebin.com/AbCd1234",  # a look-alike
        "https://evil.example/pastebin.com/AbCd1234",  # the provider in the path
        "https://127.0.0.1/raw/AbCd1234",  # an IP literal
        "https://[::1]/raw/AbCd1234",  # an IPv6 literal
        "https://2130706433/raw/AbCd1234",  # an IPv4 address as one number
        "https://pastebin.com%2f@evil.example/AbCd1234",  # an encoded slash before userinfo
        "https://pastebіn.com/AbCd1234",  # a Cyrillic i
        "ftp://pastebin.com/AbCd1234",  # another scheme
        "https://pastebin.com/",  # no paste id
        "https://pastebin.com/u/someone",  # a page, not a paste
        f"https://gist.githubusercontent.com/sam/{GIST}/raw/../../../etc",  # climbing out of the raw path
        "https://0x0.st/../admin",
        "https://www.toptal.com/developers/other/ijaxuvigaf",  # toptal, but not hastebin
    ],
)
def test_anything_but_exactly_an_allowlisted_paste_is_refused(url: str) -> None:
    assert paste_link(url) is None


def test_links_are_found_in_chat_markup() -> None:
    text = (
        "my run dies, see [this](https://pastebin.com/AbCd1234) and <https://bpa.st/ABCD>.\n"
        "```\nhttps://dpaste.com/8LZQH3UBP\n```\nagain: https://pastebin.com/AbCd1234, and https://example.com/x"
    )
    links = find_paste_links(text, 5)
    assert [link.label for link in links] == [
        "pastebin:/raw/AbCd1234",
        "bpaste:/api/v1/paste/ABCD",
        "dpaste-com:/8LZQH3UBP.txt",
    ]
    assert len(find_paste_links(text, 2)) == 2


def test_a_backslash_does_not_smuggle_another_host() -> None:
    # Browsers read `\` as `/`: https://pastebin.com\@evil.example/ would go to evil.example.
    assert find_paste_links(r"https://pastebin.com\@evil.example/AbCd1234", 3) == []


def test_settings_take_a_base_url_per_provider(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "DISCORD_TOKEN": "x",
            "KNOWNFIX_PASTE_BASE_URLS": "pastebin=http://127.0.0.1:9/pastebin/, gist=https://gist.test",
        }
    )
    assert settings.paste_base_urls == {"pastebin": "http://127.0.0.1:9/pastebin", "gist": "https://gist.test"}
    config = tmp_path / "knownfix.toml"
    config.write_text('token = "x"\n[paste_base_urls]\nbpaste = "http://127.0.0.1:9/b"\n', encoding="utf-8")
    assert load_settings(config, environ={}).paste_base_urls == {"bpaste": "http://127.0.0.1:9/b"}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("pastebin", "must be provider=url pairs"),
        ("nopaste=http://127.0.0.1:9", "unknown paste provider 'nopaste'"),
        ("pastebin=ftp://127.0.0.1/x", "must be an http:// or https:// URL"),
        ("pastebin=http://me:pw@127.0.0.1/x", "must not hold a user"),
        ("pastebin=http://127.0.0.1/x?y=1", "must not hold a user, query"),
    ],
)
def test_a_bad_paste_base_url_is_one_clear_line(value: str, says: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"DISCORD_TOKEN": "x", "KNOWNFIX_PASTE_BASE_URLS": value})
    assert says in str(err.value) and str(err.value).startswith("paste_base_urls: ") and "\n" not in str(err.value)


def test_only_the_configured_origins_may_be_fetched() -> None:
    sources = PasteSources({"pastebin": "http://127.0.0.1:9/pastebin"})
    assert sources.may_fetch(yarl.URL("http://127.0.0.1:9/pastebin/raw/x"))
    assert sources.may_fetch(yarl.URL("https://bpa.st/raw/X"))  # providers not configured keep their host
    assert not sources.may_fetch(yarl.URL("https://pastebin.com/raw/x"))  # replaced by the base URL
    assert not sources.may_fetch(yarl.URL("http://127.0.0.1:9/admin"))  # the right port, outside the prefix
    assert not sources.may_fetch(yarl.URL("http://127.0.0.1:9/pastebinx/raw"))
    assert not sources.may_fetch(yarl.URL("http://127.0.0.1:10/pastebin/raw/x"))
    assert not sources.may_fetch(yarl.URL("https://bpa.st:8443/raw/X"))
    assert not sources.may_fetch(yarl.URL("http://bpa.st/raw/X"))  # https only, as configured


# -- the fetch, against a real loopback server ------------------------------------------------------------

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 3, in <module>\n'
    "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x61504 and 14400x10)\n"
)
LIMIT = 100_000


@pytest_asyncio.fixture
async def pastes() -> AsyncIterator[FakePasteServer]:
    async with FakePasteServer() as server:
        yield server


@pytest_asyncio.fixture
async def evil() -> AsyncIterator[FakePasteServer]:
    """Another loopback server: what a redirect off the allowlist would reach."""
    async with FakePasteServer() as server:
        server.put("pastebin", "/secret", "internal metadata")
        yield server


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def link(url: str) -> PasteLink:
    found = paste_link(url)
    assert found is not None
    return found


async def read(session: aiohttp.ClientSession, server: FakePasteServer, url: str, **kw: float) -> str:
    return await read_paste(session, link(url), PasteSources(server.base_urls()), LIMIT, **kw)


@pytest.mark.asyncio
async def test_a_raw_paste_is_read_from_the_configured_base(
    pastes: FakePasteServer, session: aiohttp.ClientSession
) -> None:
    pastes.put("pastebin", "/raw/AbCd1234", TRACEBACK)
    assert await read(session, pastes, "https://pastebin.com/AbCd1234") == TRACEBACK


@pytest.mark.asyncio
async def test_multi_file_pastes_are_read_whole(pastes: FakePasteServer, session: aiohttp.ClientSession) -> None:
    pastes.put_json("bpaste", "/api/v1/paste/ABCD", {"files": [{"content": "import torch"}, {"content": TRACEBACK}]})
    assert await read(session, pastes, "https://bpa.st/ABCD") == f"import torch\n\n{TRACEBACK}"
    pastes.put_json(
        "pastegg",
        f"/v1/pastes/{PASTE_GG}",
        {
            "status": "success",
            "result": {
                "files": [
                    {"content": {"format": "text", "value": TRACEBACK}},
                    {"content": {"format": "base64", "value": "AAAA"}},  # a binary file is left out
                ]
            },
        },
    )
    assert await read(session, pastes, f"https://paste.gg/p/anonymous/{PASTE_GG}") == TRACEBACK


@pytest.mark.asyncio
async def test_a_gist_reads_every_file_and_fetches_a_truncated_one_raw(
    pastes: FakePasteServer, session: aiohttp.ClientSession
) -> None:
    raw_url = f"{pastes.url}/gist/sam/{GIST}/raw/abc/train.log"
    pastes.put("gist", f"/sam/{GIST}/raw/abc/train.log", TRACEBACK)
    files = {
        "model.py": {"content": "import torch", "truncated": False},
        "train.log": {"content": "Traceback (most", "truncated": True, "raw_url": raw_url},
    }
    pastes.put_json("gist", f"/gists/{GIST}", {"files": files})
    assert await read(session, pastes, f"https://gist.github.com/sam/{GIST}") == f"import torch\n\n{TRACEBACK}"


@pytest.mark.asyncio
async def test_a_gist_raw_url_off_the_allowlist_is_not_fetched(
    pastes: FakePasteServer, evil: FakePasteServer, session: aiohttp.ClientSession
) -> None:
    files = {"a.log": {"truncated": True, "raw_url": f"{evil.url}/pastebin/secret"}}
    pastes.put_json("gist", f"/gists/{GIST}", {"files": files})
    with pytest.raises(PasteError, match="not on the allowlist"):
        await read(session, pastes, f"https://gist.github.com/{GIST}")
    assert evil.requests == []


@pytest.mark.asyncio
async def test_a_redirect_within_the_allowlist_is_followed(
    pastes: FakePasteServer, session: aiohttp.ClientSession
) -> None:
    # hastebin.com sends people on to toptal; here: one provider's path to another's.
    pastes.redirect("hastebin", "/raw/ijaxuvigaf", f"{pastes.url}/dpaste-org/Hk3x/raw")
    pastes.put("dpaste-org", "/Hk3x/raw", TRACEBACK)
    assert await read(session, pastes, "https://hastebin.com/ijaxuvigaf") == TRACEBACK


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["another host", "same host outside the providers", "relative outside"])
async def test_a_redirect_off_the_allowlist_is_refused(
    pastes: FakePasteServer, evil: FakePasteServer, session: aiohttp.ClientSession, where: str
) -> None:
    location = {
        "another host": f"{evil.url}/pastebin/secret",
        "same host outside the providers": f"{pastes.url}/admin",
        "relative outside": "/admin",
    }[where]
    pastes.put("pastebin", "/admin", "the server's own admin page")  # outside every provider prefix
    pastes.answers["/admin"] = pastes.answers.pop("/pastebin/admin")
    pastes.redirect("pastebin", "/raw/AbCd1234", location)
    with pytest.raises(PasteError, match="redirect off the allowlist"):
        await read(session, pastes, "https://pastebin.com/AbCd1234")
    assert evil.requests == [] and not [r for r in pastes.requests if r.path == "/admin"]


@pytest.mark.asyncio
async def test_a_redirect_loop_ends(pastes: FakePasteServer, session: aiohttp.ClientSession) -> None:
    pastes.redirect("pastebin", "/raw/AbCd1234", f"{pastes.url}/pastebin/raw/AbCd1234")
    with pytest.raises(PasteError, match="redirects"):
        await read(session, pastes, "https://pastebin.com/AbCd1234")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b"\x89PNG\r\n", "image/png", "not text (image/png)"),
        (b"<html>", "application/octet-stream", "not text"),
        (b"ab\x00\x00cd" * 100, "text/plain", "binary content"),
        (b'{"files": []}', "text/html", "not JSON"),
    ],
)
async def test_only_text_is_read(
    pastes: FakePasteServer, session: aiohttp.ClientSession, body: bytes, content_type: str, says: str
) -> None:
    pastes.put("pastebin", "/raw/AbCd1234", body, content_type)
    pastes.put("bpaste", "/api/v1/paste/ABCD", body, content_type)
    url = "https://bpa.st/ABCD" if says == "not JSON" else "https://pastebin.com/AbCd1234"
    with pytest.raises(PasteError, match=re.escape(says)):
        await read(session, pastes, url)


@pytest.mark.asyncio
async def test_a_missing_paste_is_an_http_error(pastes: FakePasteServer, session: aiohttp.ClientSession) -> None:
    with pytest.raises(PasteError, match="HTTP 404"):
        await read(session, pastes, "https://pastebin.com/AbCd1234")


@pytest.mark.asyncio
async def test_a_big_paste_is_asked_for_its_tail(pastes: FakePasteServer, session: aiohttp.ClientSession) -> None:
    pastes.put("pastebin", "/raw/AbCd1234", "noise line\n" * 100_000 + TRACEBACK)
    text = await read(session, pastes, "https://pastebin.com/AbCd1234")
    assert text.endswith(TRACEBACK) and len(text) <= LIMIT
    assert pastes.seen("pastebin", "/raw/AbCd1234")[-1].range == f"bytes=-{LIMIT}"


@pytest.mark.asyncio
async def test_a_host_that_sends_without_end_is_cut_off(
    pastes: FakePasteServer, session: aiohttp.ClientSession
) -> None:
    pastes.endless("pastebin", "/raw/AbCd1234")
    # The guard only turns a failure into a failure instead of a hung test run; no time is asserted.
    text = await asyncio.wait_for(read(session, pastes, "https://pastebin.com/AbCd1234", timeout=300), 120)
    assert len(text) <= LIMIT
    served = pastes.seen("pastebin", "/raw/AbCd1234")[-1]
    await asyncio.sleep(0)
    assert served.served < 50 * MAX_READ_FACTOR * LIMIT  # stopped reading, far short of "forever"


@pytest.mark.asyncio
async def test_a_host_that_stalls_times_out(pastes: FakePasteServer, session: aiohttp.ClientSession) -> None:
    pastes.hang("pastebin", "/raw/AbCd1234")
    with pytest.raises(PasteError, match="timed out"):
        await read(session, pastes, "https://pastebin.com/AbCd1234", timeout=0.2)


@pytest.mark.asyncio
async def test_a_json_api_answer_past_the_cap_is_refused(
    pastes: FakePasteServer, session: aiohttp.ClientSession
) -> None:
    pastes.put_json("bpaste", "/api/v1/paste/ABCD", {"files": [{"content": "x" * (3 * LIMIT)}]})
    with pytest.raises(PasteError, match="too large"):
        await read(session, pastes, "https://bpa.st/ABCD")
