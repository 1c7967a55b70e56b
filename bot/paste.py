"""Paste links: recognise a link to a known paste site and read the paste's text, without Discord.

Only an allowlist of providers is ever contacted, and only at their raw endpoints. A link is recognised
when its host is *exactly* one of a provider's public hosts (no IP literal, no userinfo, no port, no
look-alike), its path has the provider's id shape (so the request we build cannot be steered elsewhere),
and it is then fetched from the provider's raw origin, never from the URL as written. Redirects are
followed by hand, each hop checked against the same allowlist; only text (or the provider's JSON API)
is read, capped in size and time.

Every provider's origin can be replaced by a base URL (`KNOWNFIX_PASTE_BASE_URLS`), which is how the tests
point them all at a loopback fake paste server; the links people post keep naming the real hosts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import yarl

log = logging.getLogger(__name__)

PASTE_TIMEOUT_S = 10.0  # one paste, every hop included: a slow host must not hold a reply for long
MAX_REDIRECTS = 3  # real paste links redirect at most once or twice (http -> https, hastebin -> toptal)
# A host that ignores Range sends the whole paste: read at most this many times the limit, keeping its
# tail (a log's error is at the bottom), as attachments are read.
MAX_READ_FACTOR = 4
# A JSON API escapes the paste's text (quotes, newlines, non-ASCII), so its body is larger than the text.
JSON_READ_FACTOR = 2
MAX_LINKS_SCANNED = 50  # URL-shaped words looked at per text: a wall of links costs a bounded scan
BINARY_SAMPLE = 8192  # bytes looked at for NUL to tell a binary file from text
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
TEXT_TYPES = ("text/",)
JSON_TYPES = ("application/json",)

# A URL as people write it in chat: stops at white space, quotes, brackets (Markdown links, <no embed>)
# and backslashes (so `https://pastebin.com\@evil/` is cut to a host-only URL). Bounded, hence linear.
URL_IN_TEXT = re.compile(r"https?://[^\s<>()\[\]{}\"'`\\|^]{1,2048}", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?*_~"


class PasteError(Exception):
    """A paste that could not be read; the message says why in a few words (for the log line)."""


class Reader(Enum):
    TEXT = "text"  # the body is the paste
    PINNWAND = "pinnwand"  # {"files": [{"content": ...}]}
    GIST = "gist"  # {"files": {name: {"content": ..., "truncated": bool, "raw_url": ...}}}
    PASTE_GG = "paste.gg"  # {"result": {"files": [{"content": {"format": "text", "value": ...}}]}}


@dataclass(frozen=True)
class Route:
    """Where a recognised link's text is read: a path on one of the provider's origins, and how."""

    origin: str  # a key of Provider.origins
    path: str  # path (and query) on that origin, built from validated parts only
    reader: Reader


@dataclass(frozen=True)
class Provider:
    name: str  # the key in KNOWNFIX_PASTE_BASE_URLS
    hosts: frozenset[str]  # the hosts a link may name
    origins: Mapping[str, str]  # origin key -> the real scheme://host the provider serves raw text from
    route: Callable[[str, str], Route | None]  # (link host, link path) -> Route, or None: not a paste link


@dataclass(frozen=True)
class PasteLink:
    provider: str
    route: Route

    @property
    def label(self) -> str:
        """The link in logs: provider and the validated path we fetch, never the text as the user wrote it."""
        return f"{self.provider}:{self.route.path}"


# -- the providers ------------------------------------------------------------------------------------------

PINNWAND_SLUG = r"[A-Za-z2-7]{2,64}"  # pinnwand slugs are base32: routes match [A-Z2-7]+


def _pinnwand(host: str, path: str) -> Route | None:
    """paste.pythondiscord.com and bpa.st both run pinnwand (github.com/supakeen/pinnwand,
    src/pinnwand/app.py): `/<paste slug>` is a page, `/api/v1/paste/<slug>` its files as JSON (one paste
    may hold several files), `/raw/<file slug>` and `/<file slug>/raw` one file's text."""
    if m := re.fullmatch(rf"/(?:raw/({PINNWAND_SLUG})|({PINNWAND_SLUG})/raw)", path):
        return Route("site", f"/raw/{(m[1] or m[2]).upper()}", Reader.TEXT)
    if m := re.fullmatch(rf"/(?:show/)?({PINNWAND_SLUG})/?", path):
        return Route("site", f"/api/v1/paste/{m[1].upper()}", Reader.PINNWAND)
    return None


def _pastebin(host: str, path: str) -> Route | None:
    """pastebin.com/<id> is a page, pastebin.com/raw/<id> its text (pastebin.com/doc_scraping_api)."""
    if m := re.fullmatch(r"/(?:raw/|dl/)?([A-Za-z0-9]{8})/?", path):
        return Route("site", f"/raw/{m[1]}", Reader.TEXT)
    return None


GIST_ID = r"[0-9a-f]{20,40}"
GIST_PART = r"[A-Za-z0-9._-]{1,100}"


def _gist(host: str, path: str) -> Route | None:
    """A gist page (gist.github.com/<user>/<id>) may hold several files: the REST API's "Get a gist"
    (GET api.github.com/gists/<id>, docs.github.com/en/rest/gists/gists) returns all of them, each with its
    content, or `truncated` and a `raw_url` on gist.githubusercontent.com for one over a megabyte.
    A gist.githubusercontent.com/<user>/<id>/raw/... link is one file's text already."""
    if host == "gist.githubusercontent.com":
        if re.fullmatch(rf"/{GIST_PART}/{GIST_ID}/raw(?:/{GIST_PART}){{0,2}}", path) and ".." not in path:
            return Route("raw", path, Reader.TEXT)
        return None
    if m := re.fullmatch(rf"/(?:{GIST_PART}/)?({GIST_ID})(?:/[0-9a-f]{{40}})?/?", path):
        return Route("api", f"/gists/{m[1]}", Reader.GIST)
    return None


HASTE_KEY = r"[A-Za-z0-9]{4,32}"


def _hastebin(host: str, path: str) -> Route | None:
    """hastebin.com moved to toptal.com/developers/hastebin; links of both shapes (`/<key>`,
    `/share/<key>`, with an extension or not) read `/raw/<key>` on hastebin.com, the endpoint its
    documentation names (toptal.com/developers/hastebin/documentation). That endpoint now wants an API
    token, which this bot does not hold: such links are refused by the host with 401 and logged."""
    prefix = "/developers/hastebin" if host.endswith("toptal.com") else ""
    if not path.startswith(prefix):
        return None
    if m := re.fullmatch(rf"/(?:share/|raw/)?({HASTE_KEY})(?:\.[A-Za-z0-9]{{1,10}})?/?", path[len(prefix) :]):
        return Route("site", f"/raw/{m[1]}", Reader.TEXT)
    return None


def _paste_gg(host: str, path: str) -> Route | None:
    """paste.gg/p/<user>/<id> (or paste.gg/<id>) may hold several files: its API's
    GET api.paste.gg/v1/pastes/<id>?full=true returns them with their content
    (github.com/ascclemens/paste, api.md)."""
    if m := re.fullmatch(r"/(?:p/[A-Za-z0-9_-]{1,64}/)?([0-9a-f]{32})(?:/files/[0-9a-f]{32}(?:/raw)?)?/?", path):
        return Route("api", f"/v1/pastes/{m[1]}?full=true", Reader.PASTE_GG)
    return None


def _dpaste_org(host: str, path: str) -> Route | None:
    """dpaste.org (the dpaste Django app, github.com/DarrenOfficial/dpaste): `/<slug>/raw` is the text."""
    if m := re.fullmatch(r"/([A-Za-z0-9]{4,32})(?:/raw)?/?", path):
        return Route("site", f"/{m[1]}/raw", Reader.TEXT)
    return None


def _dpaste_com(host: str, path: str) -> Route | None:
    """dpaste.com/<ID> is a page; its API documentation (dpaste.com/api/v2/) gives `<ID>.txt` as the text."""
    if m := re.fullmatch(r"/([A-Za-z0-9]{4,32})(?:\.txt)?/?", path):
        return Route("site", f"/{m[1]}.txt", Reader.TEXT)
    return None


def _null_pointer(host: str, path: str) -> Route | None:
    """0x0.st serves the uploaded file itself at `/<name>.<ext>` (or `/s/<secret>/<name>.<ext>`)."""
    if re.fullmatch(r"/(?:s/[A-Za-z0-9_-]{1,64}/)?[A-Za-z0-9_-]{1,32}(?:\.[A-Za-z0-9]{1,10})?", path):
        return Route("site", path, Reader.TEXT)
    return None


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "pythondiscord", frozenset({"paste.pythondiscord.com"}), {"site": "https://paste.pythondiscord.com"}, _pinnwand
    ),
    Provider("pastebin", frozenset({"pastebin.com", "www.pastebin.com"}), {"site": "https://pastebin.com"}, _pastebin),
    Provider(
        "gist",
        frozenset({"gist.github.com", "gist.githubusercontent.com"}),
        {"api": "https://api.github.com", "raw": "https://gist.githubusercontent.com"},
        _gist,
    ),
    Provider(
        "hastebin",
        frozenset({"hastebin.com", "www.toptal.com", "toptal.com"}),
        {"site": "https://hastebin.com"},
        _hastebin,
    ),
    Provider("pastegg", frozenset({"paste.gg"}), {"api": "https://api.paste.gg"}, _paste_gg),
    Provider("dpaste-org", frozenset({"dpaste.org"}), {"site": "https://dpaste.org"}, _dpaste_org),
    Provider("dpaste-com", frozenset({"dpaste.com"}), {"site": "https://dpaste.com"}, _dpaste_com),
    Provider("bpaste", frozenset({"bpa.st"}), {"site": "https://bpa.st"}, _pinnwand),
    Provider("0x0", frozenset({"0x0.st"}), {"site": "https://0x0.st"}, _null_pointer),
)
PROVIDER_NAMES = tuple(p.name for p in PROVIDERS)
BY_HOST = {host: provider for provider in PROVIDERS for host in provider.hosts}


# -- recognising links --------------------------------------------------------------------------------------


def paste_link(url: str) -> PasteLink | None:
    """The paste a URL links, or None when it is not exactly a link to an allowlisted provider."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    # The host must be the whole netloc: "@" (userinfo: pastebin.com@evil), ":" (a port, or an IPv6
    # literal), "%" (encoded tricks) and "\" never occur in an allowlisted host.
    if any(c in parts.netloc for c in "@:%\\[]"):
        return None
    host = parts.netloc.lower()
    provider = BY_HOST.get(host)
    if provider is None:
        return None
    route = provider.route(host, parts.path)
    return PasteLink(provider.name, route) if route is not None else None


def _words(text: str) -> Iterator[str]:
    for count, match in enumerate(URL_IN_TEXT.finditer(text)):
        if count >= MAX_LINKS_SCANNED:
            return
        yield match[0].rstrip(TRAILING_PUNCTUATION)


def find_paste_links(text: str, most: int) -> list[PasteLink]:
    """The first `most` distinct paste links in `text`, in order."""
    found: list[PasteLink] = []
    for word in _words(text):
        link = paste_link(word)
        if link is not None and link not in found:
            found.append(link)
            if len(found) >= most:
                break
    return found


def has_paste_link(text: str) -> bool:
    return bool(find_paste_links(text, 1))


# -- where providers live: the real origins, or the configured base URLs ------------------------------------


def check_base_url(provider: str, url: str) -> str:
    """A base URL for `provider`, checked: http(s), a host, no userinfo, query or fragment. Raises ValueError
    with a one-line reason."""
    if provider not in PROVIDER_NAMES:
        raise ValueError(f"unknown paste provider {provider!r} (known: {', '.join(PROVIDER_NAMES)})")
    try:
        parsed = yarl.URL(url.strip())
    except ValueError:
        raise ValueError(f"{provider}: {url!r} is not a URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"{provider}: {url!r} must be an http:// or https:// URL with a host")
    if parsed.user or parsed.password or parsed.query_string or parsed.fragment:
        raise ValueError(f"{provider}: {url!r} must not hold a user, query or fragment")
    return str(parsed).rstrip("/")


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int | None
    prefix: str  # path prefix ("" for a real provider; "/pastebin" on the test server)

    @classmethod
    def of(cls, base: str) -> Origin:
        url = yarl.URL(base)
        return cls(url.scheme, (url.host or "").lower(), url.port, url.path.rstrip("/"))

    def holds(self, url: yarl.URL) -> bool:
        if (url.scheme, (url.host or "").lower(), url.port) != (self.scheme, self.host, self.port):
            return False
        return not self.prefix or url.path == self.prefix or url.path.startswith(self.prefix + "/")


class PasteSources:
    """The providers' effective origins: the real ones, or the base URLs configured in their place."""

    def __init__(self, base_urls: Mapping[str, str] | None = None) -> None:
        base_urls = base_urls or {}
        self._bases: dict[tuple[str, str], str] = {}
        for provider in PROVIDERS:
            for key, real in provider.origins.items():
                self._bases[provider.name, key] = base_urls.get(provider.name, real).rstrip("/")
        self._origins = tuple({Origin.of(base) for base in self._bases.values()})

    def url_of(self, link: PasteLink) -> yarl.URL:
        return yarl.URL(self._bases[link.provider, link.route.origin] + link.route.path, encoded=True)

    def may_fetch(self, url: yarl.URL) -> bool:
        """Whether a URL (a redirect's target, or a raw_url an API returned) is on the allowlist."""
        if url.user is not None or url.password is not None or ".." in url.raw_path:
            return False
        return any(origin.holds(url) for origin in self._origins)


# -- reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    data: bytes
    charset: str | None
    cut: bool  # the paste was longer than what was kept


async def read_tail(response: aiohttp.ClientResponse, limit: int, most: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of the body, the last ones (a log's error is at the bottom), and whether more was
    sent. A 206 is the tail already; a server that ignores Range and answers 200 is read for at most `most`
    bytes, keeping only the latest. Attachments and pastes both read their text through this."""
    kept = bytearray()
    read = 0
    async for chunk in response.content.iter_chunked(65536):
        kept += chunk
        read += len(chunk)
        if len(kept) > 2 * limit:
            del kept[: len(kept) - limit]
        if response.status == 206 and read >= limit:
            break
        if read >= most:
            return bytes(kept[-limit:]), True
    return bytes(kept[-limit:]), read > limit


async def _read_whole(response: aiohttp.ClientResponse, cap: int) -> bytes:
    """The whole body (JSON cannot be parsed from a part), refused past `cap` bytes."""
    data = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        data += chunk
        if len(data) > cap:
            raise PasteError(f"too large (over {cap} bytes of JSON)")
    return bytes(data)


def _allowed_type(content_type: str, reader: Reader) -> bool:
    return content_type.startswith(JSON_TYPES if reader is not Reader.TEXT else TEXT_TYPES)


def _next_hop(response: aiohttp.ClientResponse, sources: PasteSources) -> yarl.URL:
    location = response.headers.get("Location")
    if not location:
        raise PasteError(f"HTTP {response.status} without a Location")
    try:
        target = response.url.join(yarl.URL(location))
    except ValueError:
        raise PasteError("redirect to a malformed URL") from None
    if not sources.may_fetch(target):
        raise PasteError(f"redirect off the allowlist (to {target.host or 'no host'})")
    return target


async def fetch(
    session: aiohttp.ClientSession, url: yarl.URL, sources: PasteSources, reader: Reader, limit: int
) -> Body:
    """One guarded GET: redirects followed by hand (each hop on the allowlist), status 200/206 only,
    text (or JSON for an API) only, size capped."""
    if not sources.may_fetch(url):
        raise PasteError(f"not on the allowlist ({url.host or 'no host'})")
    # Range asks for the tail, as for attachments; an API's JSON must come whole.
    headers = {"Range": f"bytes=-{limit}"} if reader is Reader.TEXT else {"Accept": "application/json"}
    for _ in range(MAX_REDIRECTS + 1):
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            if response.status in REDIRECT_STATUSES:
                url = _next_hop(response, sources)
                continue
            if response.status not in (200, 206):
                raise PasteError(f"HTTP {response.status}")
            if not _allowed_type(response.content_type, reader):
                wanted = "text" if reader is Reader.TEXT else "JSON"
                raise PasteError(f"not {wanted} ({response.content_type or 'no content type'})")
            if reader is Reader.TEXT:
                data, cut = await read_tail(response, limit, MAX_READ_FACTOR * limit)
            else:
                data, cut = await _read_whole(response, JSON_READ_FACTOR * limit), False
            return Body(data, response.charset, cut)
    raise PasteError(f"more than {MAX_REDIRECTS} redirects")


def decode(body: Body) -> str:
    if b"\x00" in body.data[:BINARY_SAMPLE]:
        raise PasteError("binary content")
    try:
        return body.data.decode(body.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.data.decode("utf-8", errors="replace")


def _json(body: Body) -> Any:
    try:
        return json.loads(body.data.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        raise PasteError("malformed JSON from the API") from None


def _pinnwand_texts(data: Any) -> list[str]:
    files = data.get("files") if isinstance(data, dict) else None
    return [f["content"] for f in files or [] if isinstance(f, dict) and isinstance(f.get("content"), str)]


def _paste_gg_texts(data: Any) -> list[str]:
    result = data.get("result") if isinstance(data, dict) else None
    files = result.get("files") if isinstance(result, dict) else None
    texts = []
    for file in files or []:
        content = file.get("content") if isinstance(file, dict) else None
        # Only text files: base64, gzip and xz hold binaries (api.md's formats).
        if isinstance(content, dict) and content.get("format") == "text" and isinstance(content.get("value"), str):
            texts.append(content["value"])
    return texts


async def _gist_texts(session: aiohttp.ClientSession, data: Any, sources: PasteSources, limit: int) -> list[str]:
    files = data.get("files") if isinstance(data, dict) else None
    texts = []
    for file in files.values() if isinstance(files, dict) else ():
        if not isinstance(file, dict):
            continue
        if file.get("truncated") and isinstance(file.get("raw_url"), str):
            try:
                raw_url = yarl.URL(file["raw_url"])
            except ValueError:
                continue
            # The API names the raw file's URL: it is checked like a redirect.
            texts.append(decode(await fetch(session, raw_url, sources, Reader.TEXT, limit)))
        elif isinstance(file.get("content"), str):
            texts.append(file["content"])
    return texts


async def _texts(session: aiohttp.ClientSession, link: PasteLink, sources: PasteSources, limit: int) -> list[str]:
    body = await fetch(session, sources.url_of(link), sources, link.route.reader, limit)
    reader = link.route.reader
    if reader is Reader.TEXT:
        if body.cut:
            log.info("paste %s: longer than %d bytes, its last %d kept", link.label, limit, limit)
        return [decode(body)]
    data = _json(body)
    if reader is Reader.PINNWAND:
        return _pinnwand_texts(data)
    if reader is Reader.PASTE_GG:
        return _paste_gg_texts(data)
    return await _gist_texts(session, data, sources, limit)


async def read_paste(
    session: aiohttp.ClientSession,
    link: PasteLink,
    sources: PasteSources,
    limit: int,
    timeout: float = PASTE_TIMEOUT_S,
) -> str:
    """The paste's text (a multi-file paste's files joined), at most `limit` characters, its tail kept.
    Raises PasteError with the reason for anything that went wrong, the network's errors included."""
    try:
        async with asyncio.timeout(timeout):
            texts = await _texts(session, link, sources, limit)
    except TimeoutError:
        raise PasteError(f"timed out after {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise PasteError(f"download failed ({str(exc) or type(exc).__name__})") from None
    text = "\n\n".join(t for t in texts if t)
    if not text.strip():
        raise PasteError("empty")
    return text[-limit:]
