"""Fetching pages and feeds safely: metadata from the HTML head, conditional feed requests.

Every request is bounded: a semaphore limits how many run at once, a timeout limits how long
each takes, at most `max_bytes` are read, redirects are followed here (at most `max_redirects`,
each hop checked again), only http(s) is spoken, and the addresses a host resolves to are
checked before connecting, so a shared link cannot make the bot reach into the server's own
network (server-side request forgery). The resolver does that check itself, so the address
that was checked is the address that is connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.features.digest.urls import InvalidUrl, canonical_url, title_from_url

log = logging.getLogger(__name__)

USER_AGENT = "samskap-digest/1.0 (+link preview for a teachers' learning network)"
PAGE_HEADERS = {"Accept": "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.8,*/*;q=0.5"}


@dataclass(frozen=True)
class FetchSettings:
    allow_private_addresses: bool = False
    timeout: float = 10.0
    max_bytes: int = 512 * 1024
    max_redirects: int = 5
    concurrency: int = 32

    @staticmethod
    def from_section(section: dict[str, Any]) -> FetchSettings:
        """From the `[digest]` configuration section; a wrong value stops start-up with its name."""
        allow = section.get("allow_private_addresses", False)
        if not isinstance(allow, bool):
            raise ValueError("[digest] allow_private_addresses must be true or false")
        return FetchSettings(
            allow_private_addresses=allow,
            timeout=positive_setting(section, "fetch_timeout", 10.0, float),
            max_bytes=positive_setting(section, "fetch_max_bytes", 512 * 1024, int),
            max_redirects=positive_setting(section, "fetch_max_redirects", 5, int),
            concurrency=positive_setting(section, "fetch_concurrency", 32, int),
        )


def positive_setting(section: dict[str, Any], name: str, default: Any, kind: type) -> Any:
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"[digest] {name} must be a positive number (it is {value!r})")
    return kind(value)


class FetchError(Exception):
    """A page or feed could not be fetched; `code` is short and safe to store and show."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool
    headers: dict[str, str]  # names lower-cased


def _lower_keys(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@dataclass(frozen=True)
class PageMeta:
    url: str
    title: str = ""
    description: str = ""
    site_name: str = ""
    language: str = ""
    published_at: datetime | None = None
    content_type: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# -- the address guard ------------------------------------------------------------------------
def is_public_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (CGNAT), reserved and
    # documentation ranges; multicast is global but never a web server.
    return ip.is_global and not ip.is_multicast


class GuardedResolver(AbstractResolver):
    """Resolves a host and refuses it if any of its addresses is private, loopback or link-local."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not self._allow_private and any(not is_public_address(r["host"]) for r in results):
            raise FetchError("blocked_address")
        return results

    async def close(self) -> None:
        await self._inner.close()


def _check_literal_host(url: str, allow_private: bool) -> None:
    """aiohttp skips the resolver for IP literals, so those are checked here."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host in ("localhost",) or host.endswith(".localhost"):
            if not allow_private:
                raise FetchError("blocked_address") from None
        return
    if not allow_private and not is_public_address(host):
        raise FetchError("blocked_address")


# -- the fetcher ------------------------------------------------------------------------------
class Fetcher:
    """An HTTP client for untrusted URLs. Use as `async with Fetcher(settings) as fetcher:`."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._limit = asyncio.Semaphore(max(1, settings.concurrency))
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.settings.allow_private_addresses),
            limit=max(1, self.settings.concurrency),
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT, "Accept-Language": "nb, no;q=0.9, en;q=0.5"},
            auto_decompress=True,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        stop_at_head: bool = False,
        max_bytes: int | None = None,
    ) -> Response:
        """GET `url`, following redirects ourselves; raises FetchError with a short code."""
        assert self._session is not None, "use the Fetcher as an async context manager"
        async with self._limit:
            try:
                limit = max_bytes or self.settings.max_bytes
                return await asyncio.wait_for(
                    self._follow(url, headers or {}, stop_at_head, limit), self.settings.timeout
                )
            except TimeoutError:
                raise FetchError("timeout") from None
            except FetchError:
                raise
            except aiohttp.ClientResponseError as exc:
                raise FetchError(f"http_{exc.status}") from None
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                log.debug("fetch failed: %s", type(exc).__name__)
                raise FetchError("connection") from None

    async def _follow(self, url: str, headers: dict[str, str], stop_at_head: bool, limit: int) -> Response:
        assert self._session is not None
        seen: set[str] = set()
        for _hop in range(self.settings.max_redirects + 1):
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                raise FetchError("bad_scheme")
            if url in seen:
                raise FetchError("redirect_loop")
            seen.add(url)
            _check_literal_host(url, self.settings.allow_private_addresses)
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                if resp.status in (301, 302, 303, 307, 308):
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(f"http_{resp.status}")
                    url = urljoin(url, location)
                    continue
                if resp.status == 304:
                    return Response(url, 304, "", None, b"", False, _lower_keys(resp.headers))
                if resp.status >= 400:
                    raise FetchError(f"http_{resp.status}")
                body, truncated = await self._read_capped(resp, stop_at_head, limit)
                return Response(
                    url, resp.status, resp.content_type or "", resp.charset, body, truncated, _lower_keys(resp.headers)
                )
        raise FetchError("too_many_redirects")

    async def _read_capped(self, resp: aiohttp.ClientResponse, stop_at_head: bool, limit: int) -> tuple[bytes, bool]:
        """Read at most `limit` bytes; for HTML, stop as soon as the head is complete."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(16 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                return b"".join(chunks)[:limit], True
            if stop_at_head and b"</head" in chunk.lower():
                return b"".join(chunks), True
        return b"".join(chunks), False

    async def page_meta(self, url: str) -> PageMeta:
        """Metadata for `url`; never raises: a page that cannot be read has `error` set."""
        try:
            resp = await self.get(url, headers=PAGE_HEADERS, stop_at_head=True)
        except FetchError as err:
            return PageMeta(url, title=title_from_url(url), error=err.code)
        return meta_from_response(url, resp)


def meta_from_response(url: str, resp: Response) -> PageMeta:
    content_type = resp.content_type.lower()
    vague = content_type in ("", "application/octet-stream", "text/plain")
    if content_type in ("text/html", "application/xhtml+xml") or (vague and _looks_like_html(resp.body)):
        head = parse_head(decode(resp.body, resp.charset))
        title = head.get("og:title") or head.get("twitter:title") or head.get("title") or title_from_url(url)
        return PageMeta(
            url,
            title=_clean(title, 300),
            description=_clean(head.get("og:description") or head.get("description") or "", 600),
            site_name=_clean(head.get("og:site_name") or "", 150),
            language=_language(head.get("lang") or head.get("og:locale") or ""),
            published_at=_parse_date(
                head.get("article:published_time") or head.get("date") or head.get("dc.date") or ""
            ),
            content_type=content_type,
        )
    if content_type == "application/pdf" or resp.body.startswith(b"%PDF"):
        return PageMeta(url, title=pdf_title(resp.body) or title_from_url(url), content_type="application/pdf")
    return PageMeta(url, title=title_from_url(url), content_type=content_type)


def _looks_like_html(body: bytes) -> bool:
    start = body[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<head" in start


def decode(body: bytes, charset: str | None) -> str:
    if not charset:
        match = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", body[:4096], re.IGNORECASE)
        charset = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


class _HeadParser(HTMLParser):
    """Collects <title>, <html lang> and <meta> values until </head> or <body>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._in_title = False
        self._title: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and a.get("lang"):
            self.values.setdefault("lang", a["lang"])
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.values.setdefault(key, a["content"])
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            self.values.setdefault("title", "".join(self._title))
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done:
            self._title.append(data)


def parse_head(html: str) -> dict[str, str]:
    parser = _HeadParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this only guards against pathological input
        log.debug("could not parse a page head")
    if "title" not in parser.values and parser._title:
        parser.values["title"] = "".join(parser._title)
    return parser.values


def pdf_title(body: bytes) -> str:
    """The /Title from a PDF's info dictionary when it is a plain literal in the bytes we read."""
    match = re.search(rb"/Title\s*\(((?:[^()\\]|\\.){1,300})\)", body[: 256 * 1024])
    if not match:
        return ""
    raw = match.group(1)
    if raw.startswith(b"\xfe\xff"):
        text = raw[2:].decode("utf-16-be", errors="ignore")
    else:
        text = re.sub(rb"\\(.)", rb"\1", raw).decode("latin-1", errors="ignore")
    return _clean(text, 300)


def _clean(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _language(value: str) -> str:
    value = value.strip().replace("_", "-").lower()
    return value[:16]


def _parse_date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def safe_canonical(url: str) -> str | None:
    try:
        return canonical_url(url)
    except InvalidUrl:
        return None
