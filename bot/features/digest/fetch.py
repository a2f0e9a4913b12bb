"""Fetching pages and feeds safely: metadata from the HTML head, conditional feed requests.

Every request is bounded: a semaphore limits how many run at once, a timeout limits how long
each takes, at most `max_bytes` are read, redirects are followed here (at most `max_redirects`),
and only http(s) is spoken. A shared link, a feed or a redirect must not make the bot reach into
the server's own network (server-side request forgery), so every URL, every hop included, is
read once by `urls.web_address` and the HTTP client is given that reading's host, with nothing
left to fold. An address written as the host is checked before the request; a name is checked
by the resolver, which returns only the addresses it checked, so what is checked is what is
connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from types import TracebackType
from typing import Any
from urllib.parse import quote, urljoin

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.features.digest.urls import NOT_WEB, InvalidUrl, canonical_url, storable, title_from_url, web_address

log = logging.getLogger(__name__)

USER_AGENT = "samskap-digest/1.0 (+link preview for a teachers' learning network)"
PAGE_HEADERS = {"Accept": "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.8,*/*;q=0.5"}


@dataclass(frozen=True)
class FetchSettings:
    # False: the bot fetches nothing from the web (no link previews, no feeds), for servers that must not.
    read_the_web: bool = True
    allow_private_addresses: bool = False
    timeout: float = 10.0
    max_bytes: int = 512 * 1024
    max_redirects: int = 5
    concurrency: int = 32

    @staticmethod
    def from_section(section: dict[str, Any]) -> FetchSettings:
        """From the `[digest]` configuration section; a wrong value stops start-up with its name."""
        allow = section.get("allow_private_addresses", False)
        read = section.get("read_the_web", True)
        if not isinstance(allow, bool) or not isinstance(read, bool):
            raise ValueError("[digest] allow_private_addresses and read_the_web must be true or false")
        return FetchSettings(
            read_the_web=read,
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
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Resolves a host name to its addresses; the seam tests use to make names point anywhere.
Lookup = Callable[[str, int], Awaitable[Sequence[str]]]

WEB_PORTS = frozenset({80, 443, 8080, 8443})
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, which is where a packet to it really goes:
    IPv4-mapped and -translated, IPv4-compatible (::a.b.c.d), NAT64, 6to4 and Teredo (server and client)."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in _IPV4_TRANSLATED or any(ip in net for net in _NAT64):
        return [low32]
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # :: and ::1 are themselves, not IPv4
        return [low32]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses and ports the fetcher may connect to.

    Only public unicast addresses, and only the usual web ports (the server's own public address
    may serve more than the web on other ports). An IPv6 address that carries an IPv4 address is
    judged by the IPv4 address. `treat_as_public` is for tests: loopback addresses that stand in
    for the internet.
    """

    allow_private: bool = False
    ports: frozenset[int] | None = WEB_PORTS  # None: any port
    treat_as_public: frozenset[IPAddress] = frozenset()

    def permits(self, ip: IPAddress) -> bool:
        if self.allow_private:
            return True
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.scope_id:
                return False
            inner = embedded_ipv4(ip)
            if inner:
                return all(self.permits(v4) for v4 in inner)
        if ip in self.treat_as_public:
            return True
        # is_global is False for private, loopback, link-local, shared (CGNAT), reserved and
        # documentation ranges; multicast is global but never a web server.
        return ip.is_global and not ip.is_multicast

    def permits_name(self, host: str) -> bool:
        """`localhost` is the machine itself whatever DNS says (RFC 6761)."""
        return self.allow_private or not (host == "localhost" or host.endswith(".localhost"))

    def permits_port(self, port: int) -> bool:
        return self.allow_private or self.ports is None or port in self.ports


def is_public_address(address: str, policy: AddressPolicy = AddressPolicy()) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return policy.permits(ip)


async def system_lookup(host: str, port: int) -> list[str]:
    """The operating system's resolver, off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedResolver(AbstractResolver):
    """Resolves a name and refuses it if any of its addresses is not permitted; the connection
    goes to the addresses returned here, so what was checked is what is connected to."""

    def __init__(self, policy: AddressPolicy, lookup: Lookup = system_lookup) -> None:
        self._policy = policy
        self._lookup = lookup

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            found = await self._lookup(host, port)
        except (OSError, UnicodeError):
            raise FetchError("connection") from None
        addresses = []
        for text in found:
            try:
                addresses.append(ipaddress.ip_address(text))
            except ValueError:
                raise FetchError("connection") from None
        if not addresses:
            raise FetchError("connection")
        if not all(self._policy.permits(ip) for ip in addresses):
            raise FetchError("blocked_address")
        if not self._policy.permits_port(port):
            raise FetchError("blocked_port")
        return [_result(host, ip, port) for ip in addresses]

    async def close(self) -> None:
        return None


def _result(host: str, ip: IPAddress, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    flags = socket.AI_NUMERICHOST
    return {"hostname": host, "host": str(ip), "port": port, "family": family, "proto": 0, "flags": flags}


def request_url(url: str, policy: AddressPolicy) -> yarl.URL:
    """The URL the HTTP client is given for `url`, after the one normalisation and check.

    The host is the normalised one (so the client has nothing left to fold) and credentials are
    dropped. An address written as the host is checked here, since the client connects to it
    without asking the resolver; a name is checked by the resolver, address first, then port, so
    an internal target is refused with the same code whatever its port.
    """
    try:
        address = web_address(url)
    except InvalidUrl as err:
        raise FetchError("bad_scheme" if err.reason == NOT_WEB else "bad_url") from None
    ip = address.ip
    if ip is None:
        if not policy.permits_name(address.host):
            raise FetchError("blocked_address")
    elif not policy.permits(ip):
        raise FetchError("blocked_address")
    elif not policy.permits_port(address.port):  # a name's port is checked after its addresses
        raise FetchError("blocked_port")
    built = yarl.URL.build(
        scheme=address.scheme,
        host=f"[{address.host}]" if ":" in address.host else address.host,
        port=address.port,
        path=quote(address.path, safe=_PATH_SAFE) or "/",
        query_string=quote(address.query, safe=_QUERY_SAFE),
        encoded=True,
    )
    if built.raw_host != address.host:  # the client would read the host differently: refuse
        raise FetchError("bad_url")
    return built


# -- the fetcher ------------------------------------------------------------------------------
class Fetcher:
    """An HTTP client for untrusted URLs. Use as `async with Fetcher(settings) as fetcher:`.

    `policy` and `lookup` are seams for tests: which addresses count as public, and how names
    resolve. By default the settings decide the first and the operating system the second.
    """

    def __init__(
        self, settings: FetchSettings, *, policy: AddressPolicy | None = None, lookup: Lookup | None = None
    ) -> None:
        self.settings = settings
        self.policy = policy or AddressPolicy(allow_private=settings.allow_private_addresses)
        self._lookup = lookup or system_lookup
        self._limit = asyncio.Semaphore(max(1, settings.concurrency))
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.policy, self._lookup),
            limit=max(1, self.settings.concurrency),
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT, "Accept-Language": "nb, no;q=0.9, en;q=0.5"},
            auto_decompress=True,
            trust_env=False,  # a proxy from the environment would connect to addresses we never checked
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
            target = request_url(url, self.policy)  # every hop: the same normalisation and check
            if str(target) in seen:
                raise FetchError("redirect_loop")
            seen.add(str(target))
            async with self._session.get(target, headers=headers, allow_redirects=False) as resp:
                if resp.status in (301, 302, 303, 307, 308):
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(f"http_{resp.status}")
                    url = urljoin(str(target), location)
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
        try:
            return meta_from_response(url, resp)
        except Exception:  # one page's odd head must not stop the batch it is read with
            log.warning("could not read the metadata of a fetched page", exc_info=True)
            return PageMeta(url, title=title_from_url(url), error="unreadable")


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
    except (LookupError, UnicodeError):  # an unknown charset, or one like idna that cannot replace
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
    text = re.sub(r"\s+", " ", storable(text)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _language(value: str) -> str:
    value = storable(value).strip().replace("_", "-").lower()
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
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the first instant a datetime holds
        return None


def safe_canonical(url: str) -> str | None:
    try:
        return canonical_url(url)
    except InvalidUrl:
        return None
