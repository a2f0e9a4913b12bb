"""RSS/Atom feeds: conditional polling and parsing with feedparser, and the back-off on errors."""

from __future__ import annotations

import asyncio
import calendar
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser

from bot.features.digest.fetch import Fetcher, FetchError
from bot.features.digest.urls import InvalidUrl, canonical_url, storable

POLL_INTERVAL = timedelta(hours=1)
MAX_BACKOFF = timedelta(days=1)
MAX_ENTRIES = 50
FEED_SIZE_FACTOR = 8


@dataclass(frozen=True)
class FeedEntry:
    url: str  # canonical
    title: str
    summary: str
    published_at: datetime | None


@dataclass(frozen=True)
class FeedPoll:
    """What one poll found. `not_modified` means the server answered 304 (nothing new)."""

    not_modified: bool
    title: str = ""
    entries: tuple[FeedEntry, ...] = ()
    etag: str | None = None
    last_modified: str | None = None


class NotAFeed(Exception):
    """The address answered, but not with RSS or Atom."""


def next_poll_delay(failures: int) -> timedelta:
    """One hour when healthy; doubling after each failure in a row, at most a day."""
    if failures <= 0:
        return POLL_INTERVAL
    return min(MAX_BACKOFF, POLL_INTERVAL * 2**failures)


async def poll(fetcher: Fetcher, url: str, *, etag: str | None, last_modified: str | None) -> FeedPoll:
    """Fetch the feed with If-None-Match / If-Modified-Since; raises FetchError or NotAFeed."""
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # Feeds carry whole articles more often than pages carry big heads: allow them more.
    resp = await fetcher.get(url, headers=headers, max_bytes=fetcher.settings.max_bytes * FEED_SIZE_FACTOR)
    if resp.status == 304:
        return FeedPoll(True, etag=etag, last_modified=last_modified)
    if resp.truncated:
        raise FetchError("too_large")
    try:
        parsed = await asyncio.to_thread(feedparser.parse, resp.body)
    except Exception as exc:  # feedparser is lenient; anything it cannot take is simply not a feed
        raise NotAFeed() from exc
    return FeedPoll(
        False,
        title=_text(parsed.feed.get("title", ""), 300),
        entries=_entries(parsed, base=resp.url),
        etag=_header(resp.headers.get("etag"), 300),
        last_modified=_header(resp.headers.get("last-modified"), 100),
    )


def _entries(parsed: feedparser.FeedParserDict, base: str) -> tuple[FeedEntry, ...]:
    if not parsed.get("version") and not parsed.entries:
        raise NotAFeed()
    found: list[FeedEntry] = []
    for entry in parsed.entries[:MAX_ENTRIES]:
        link = entry.get("link") or ""
        try:
            url = canonical_url(link)
        except InvalidUrl:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
        found.append(
            FeedEntry(url, _text(entry.get("title", ""), 300), _text(entry.get("summary", ""), 600), published)
        )
    return tuple(found)


def _header(value: str | None, limit: int) -> str | None:
    """A validator to send back next time; one that would not fit its column is not kept."""
    value = storable(value or "").strip()
    return value if value and len(value) <= limit else None


def _text(value: str, limit: int) -> str:
    value = storable(html.unescape(re.sub(r"<[^>]+>", " ", value or "")))
    value = re.sub(r"\s+", " ", value).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
