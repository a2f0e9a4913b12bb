"""Local web servers for digest tests: article pages, a PDF, feeds, redirects, slow and failing answers,
and an "internal" server that only counts who reached it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support import FakeServer, Recorded, recorded

ARTICLE = """<!doctype html>
<html lang="nb"><head>
<meta charset="utf-8">
<title>Fallback-tittel</title>
<meta property="og:title" content="Trygt og godt skolemiljø">
<meta property="og:description" content="Hvordan ressurslærere &amp; skoleledere jobber sammen mot mobbing.">
<meta property="og:site_name" content="Utdanningsdirektoratet">
<meta property="article:published_time" content="2026-09-03T10:00:00+02:00">
</head><body><p>Innhold</p></body></html>"""

PLAIN = """<html><head><title> Relasjoner i klasserommet </title>
<meta name="description" content="Om lærer–elev-relasjonen."></head><body>x</body></html>"""

PDF = b"%PDF-1.4\n1 0 obj << /Title (Veileder mot mobbing) /Author (Senteret) >> endobj\n%%EOF"

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Læringsmiljøsenteret</title><link>http://example.org/</link>
<item><title>Nytt om skolemiljø</title><link>{base}/news/1?utm_source=rss</link>
<description>&lt;p&gt;Ny kunnskap om &lt;b&gt;skolemiljø&lt;/b&gt;.&lt;/p&gt;</description>
<pubDate>{date}</pubDate></item>
{extra}<item><title>Gammel sak</title><link>{base}/news/old</link><description>Eldre</description>
<pubDate>Mon, 01 Jan 2024 08:00:00 GMT</pubDate></item>
</channel></rss>"""

# A page whose date is before the first instant a datetime can hold in UTC.
ANCIENT = """<html><head><title>Gammel side</title>
<meta property="article:published_time" content="0001-01-01T00:00:00+05:00"></head><body>x</body></html>"""

# NUL and other control characters, in the raw bytes, in a character reference and in a meta value.
CONTROL_CHARACTERS = (
    b"<html><head><title>Mobbing\x00 og\x07 trivsel</title>"
    b'<meta name="description" content="Om\x00 relasjoner\x1b[31m"></head><body>x</body></html>'
)

# A feed with NUL and an escape character in its title and an item (feedparser passes them on).
CONTROL_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Kilde\x00 med\x1b[0m tegn</title>
<item><title>Sak\x00 om trivsel</title><link>{base}/news/nul%00</link><description>Om\x00 trivsel</description>
<pubDate>{date}</pubDate></item>
<item><title>Sak om relasjoner</title><link>{base}/news/3</link><description>Ren tekst</description>
<pubDate>{date}</pubDate></item>
</channel></rss>"""

SECOND_ITEM = """<item><title>Ny veileder</title><link>{base}/news/2</link><description>Om relasjoner</description>
<pubDate>{date}</pubDate></item>
"""


@dataclass
class DigestWebServer(FakeServer[Recorded]):
    """Routes: /article, /plain, /doc.pdf, /bin, /huge, /slow, /fail, /redirect/N, /loop, /feed.xml,
    /not-a-feed, /broken-feed, open redirects /go?to=<address> and /go-twice?to=<address>, and
    pages and a feed with control characters or an impossible date.
    `feed_date` is the RFC 822 date of the newest feed item."""

    feed_date: str = "Mon, 07 Sep 2026 06:00:00 GMT"
    feed_fails: bool = False
    feed_moved_to: str | None = None  # /feed.xml redirects here (raw, as given) when set
    # A second, newer item appears in the feed (and the ETag changes with `feed_date`).
    feed_has_second_item: bool = False
    slow_seconds: float = 5.0

    def link(self, path: str) -> str:
        """The address of `path` on this server."""
        return self.url + path

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def routes(self, app: web.Application) -> None:
        app.middlewares.append(self._record)
        app.router.add_get("/article", self._text(ARTICLE))
        app.router.add_get("/plain", self._text(PLAIN))
        app.router.add_get("/news/{n}", self._text(PLAIN))
        app.router.add_get("/doc.pdf", self._pdf)
        app.router.add_get("/bin", self._bin)
        app.router.add_get("/untyped", self._untyped)
        app.router.add_get("/huge", self._huge)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/fail", self._fail)
        app.router.add_get("/redirect/{n}", self._redirect)
        app.router.add_get("/loop", self._loop)
        app.router.add_get("/to-ftp", self._to_ftp)
        app.router.add_get("/to-private", self._to_private)
        app.router.add_get("/to-localhost", self._to_localhost)
        app.router.add_get("/go", self._go, name="go")
        app.router.add_get("/go-twice", self._go_twice)
        app.router.add_get("/ancient", self._text(ANCIENT))
        app.router.add_get("/control-characters", self._control_characters)
        app.router.add_get("/control-feed.xml", self._control_feed)
        app.router.add_get("/odd-charset", self._odd_charset)
        app.router.add_get("/feed.xml", self._feed)
        app.router.add_get("/not-a-feed", self._text(PLAIN))

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(recorded(request))
        return await handler(request)

    @staticmethod
    def _text(body: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            return web.Response(text=body, content_type="text/html", charset="utf-8")

        return handle

    async def _pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=PDF, content_type="application/pdf")

    async def _bin(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x00" * 100, content_type="application/octet-stream")

    async def _untyped(self, request: web.Request) -> web.Response:
        # Some servers send HTML without a content type.
        return web.Response(body=PLAIN.encode(), headers={"Content-Type": ""})

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        # Twenty megabytes with no end of head: the reader must stop at its cap.
        resp = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await resp.prepare(request)
        await resp.write(b"<html><head><title>Stor side</title>")
        chunk = b"<!-- " + b"x" * 65_000 + b" -->"
        try:
            for _ in range(320):
                await resp.write(chunk)
        except (ConnectionResetError, RuntimeError):
            pass
        return resp

    async def _slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.slow_seconds)
        return web.Response(text=PLAIN, content_type="text/html")

    async def _fail(self, request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def _redirect(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = "/article" if n <= 1 else f"/redirect/{n - 1}"
        raise web.HTTPFound(target)

    async def _loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def _to_private(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("http://10.0.0.1/admin")

    async def _to_localhost(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://localhost:{self.port}/article")

    async def _go(self, request: web.Request) -> web.Response:
        """An open redirect: /go?to=<any address>, sent on exactly as given (raw Unicode included)."""
        return web.Response(status=302, headers={"Location": request.query["to"]})

    async def _go_twice(self, request: web.Request) -> web.Response:
        """Two hops: first to /go on this server, then on to `to`."""
        raise web.HTTPFound(request.app.router["go"].url_for().with_query(to=request.query["to"]))

    async def _control_characters(self, request: web.Request) -> web.Response:
        return web.Response(body=CONTROL_CHARACTERS, content_type="text/html", charset="utf-8")

    async def _odd_charset(self, request: web.Request) -> web.Response:
        # A charset Python knows, but that cannot decode with replacement characters.
        return web.Response(body=PLAIN.encode(), headers={"Content-Type": "text/html; charset=idna"})

    async def _control_feed(self, request: web.Request) -> web.Response:
        body = CONTROL_FEED.format(base=self.url, date=self.feed_date)
        return web.Response(text=body, content_type="application/rss+xml", charset="utf-8")

    async def _to_ftp(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("ftp://127.0.0.1/file")

    async def _feed(self, request: web.Request) -> web.Response:
        if self.feed_moved_to is not None:
            return web.Response(status=301, headers={"Location": self.feed_moved_to})
        if self.feed_fails:
            return web.Response(status=503, text="down")
        etag = f'"{abs(hash(self.feed_date))}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        extra = SECOND_ITEM.format(base=self.url, date=self.feed_date) if self.feed_has_second_item else ""
        body = RSS.format(base=self.url, date=self.feed_date, extra=extra)
        return web.Response(
            text=body, content_type="application/rss+xml", charset="utf-8",
            headers={"ETag": etag, "Last-Modified": self.feed_date},
        )  # fmt: skip


@dataclass
class InternalServer(FakeServer[Recorded]):
    """Stands for a service inside the server's network: answers anything with a secret page and
    keeps every request that reached it, on each address and port it listens on (all or none:
    `start` raises OSError if one is taken)."""

    listen: list[tuple[str, int]]

    def addresses(self) -> list[tuple[str, int]]:
        return self.listen

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._secret)

    async def _secret(self, request: web.Request) -> web.Response:
        self.requests.append(recorded(request))
        return web.Response(text=INTERNAL_PAGE, content_type="text/html", charset="utf-8")


INTERNAL_PAGE = """<html><head><title>INTERNAL admin</title><meta name="description" content="INTERNAL secret">
</head><body>x</body></html>"""
