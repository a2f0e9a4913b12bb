"""The network's sources: RSS and Atom feeds a leader adds, polled for news for the digest."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.features.digest import feeds
from bot.features.digest.common import (
    FIRST_IMPORT,
    MAX_FEEDS,
    DigestProblem,
    FetcherFactory,
)
from bot.features.digest.fetch import WEB_PORTS, FetchError, FetchSettings
from bot.features.digest.urls import InvalidUrl, canonical_url
from storage.models.core import Member, Network
from storage.models.digest import DigestFeed
from storage.repositories.digest import Digests

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)


def feed_problem(code: str) -> DigestProblem:
    """Why a feed could not be read, in words a leader can act on (not the fetcher's code)."""
    if code == "blocked_address":
        return DigestProblem("I can't read that feed: its address is private or local, and I only read public ones.")
    if code == "blocked_port":
        ports = ", ".join(str(port) for port in sorted(WEB_PORTS))
        return DigestProblem("I can't read that feed: I only read the usual web ports ({ports}).", ports=ports)
    if code in ("bad_url", "bad_scheme"):
        return DigestProblem("I can't read that feed: it sends me on to an address that is not a web page.")
    if code == "timeout":
        return DigestProblem("I can't read that feed: the server took too long to answer. Try again later.")
    if code == "too_large":
        return DigestProblem("I can't read that feed: it is larger than I read.")
    if code in ("redirect_loop", "too_many_redirects"):
        return DigestProblem("I can't read that feed: the address sends me on through too many redirects.")
    if code == "connection":
        return DigestProblem("I can't read that feed: I could not reach the server. Check the address.")
    if code.startswith("http_"):
        return DigestProblem("I can't read that feed: the server answered with error {status}.", status=code[5:])
    return DigestProblem("I can't read that feed. Check the address, or try again later.")


class Sources:
    def __init__(self, bot: CoreApi, fetcher: FetcherFactory, settings: FetchSettings) -> None:
        self.bot, self.fetcher, self.fetch_settings = bot, fetcher, settings

    # -- feeds ------------------------------------------------------------------------------------
    async def add_feed(self, network: Network, member: Member, raw: str) -> DigestFeed:
        if not self.fetch_settings.read_the_web:
            raise DigestProblem("This server does not read the web, so it cannot follow feeds; share links with /del.")
        try:
            url = canonical_url(raw)
        except InvalidUrl as err:
            raise DigestProblem(err.reason) from None
        async with self.bot.db.session() as s:
            repo = Digests(s)
            if await repo.feed_by_url(network.id, url) is not None:
                raise DigestProblem("That feed is already a source.")
            if len(await repo.feeds(network.id)) >= MAX_FEEDS:
                raise DigestProblem("The network already has {n} sources; remove one first.", n=MAX_FEEDS)
        async with self.fetcher() as fetcher:
            try:
                found = await feeds.poll(fetcher, url, etag=None, last_modified=None)
            except feeds.NotAFeed:
                raise DigestProblem("That address answers, but it is not an RSS or Atom feed.") from None
            except FetchError as err:
                raise feed_problem(err.code) from None
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            repo = Digests(s)
            feed = await repo.add_feed(network.id, url, found.title or url, member, now, now + feeds.POLL_INTERVAL)
            feed.etag, feed.last_modified, feed.polls, feed.last_polled_at = found.etag, found.last_modified, 1, now
            await self._import_entries(repo, feed, found.entries, now)
        await self._schedule_poll(feed)
        return feed

    async def _import_entries(
        self, repo: Digests, feed: DigestFeed, entries: Sequence[feeds.FeedEntry], now: datetime
    ) -> int:
        # Items older than the feed's first fortnight in the network are history, not news.
        cutoff = feed.created_at - FIRST_IMPORT
        added = 0
        for entry in entries:
            if entry.published_at is not None and entry.published_at < cutoff:
                continue
            article, _ = await repo.ensure_article(feed.network_id, entry.url, now)
            if await repo.was_published(article.id):
                continue  # members shared it and a digest carried it already: not news again
            if article.fetch_status == "pending":
                # The feed already says what the page is about: no need to fetch it.
                article.title, article.description = entry.title or article.url, entry.summary
                article.published_at, article.site_name = entry.published_at, feed.title[:200]
                article.fetch_status, article.fetched_at = "ok", now
            _, new = await repo.add_share(article, feed=feed, now=now)
            added += new
        return added

    async def _schedule_poll(self, feed: DigestFeed) -> None:
        await self.bot.scheduler.schedule(
            "digest.poll_feed", feed.next_poll_at, {"feed_id": feed.id}, key=f"digest.feed:{feed.id}:{feed.polls}"
        )

    async def poll_feed(self, feed_id: int) -> int:
        """One conditional poll of a feed; returns how many new items it brought."""
        async with self.bot.db.session() as s:
            feed = await Digests(s).feed(feed_id)
        if feed is None:  # removed since the poll was scheduled
            return 0
        error: str | None = None
        found: feeds.FeedPoll | None = None
        async with self.fetcher() as fetcher:
            try:
                found = await feeds.poll(fetcher, feed.url, etag=feed.etag, last_modified=feed.last_modified)
            except feeds.NotAFeed:
                error = "not_a_feed"
            except FetchError as err:
                error = err.code
        now = self.bot.clock.now()
        added = 0
        async with self.bot.db.session() as s:
            repo = Digests(s)
            row = await repo.feed(feed_id)
            if row is None:
                return 0
            row.polls += 1
            row.last_polled_at = now
            if error is not None or found is None:
                row.failures += 1
                row.last_error = error
                log.info("digest: feed %s failed (%s), %d in a row", row.id, error, row.failures)
            else:
                row.failures, row.last_error = 0, None
                if not found.not_modified:
                    row.etag, row.last_modified = found.etag, found.last_modified
                    added = await self._import_entries(repo, row, found.entries, now)
            row.next_poll_at = now + feeds.next_poll_delay(row.failures)
            feed = row
        await self._schedule_poll(feed)
        return added

    async def feeds_of(self, network: Network) -> list[DigestFeed]:
        async with self.bot.db.session() as s:
            return await Digests(s).feeds(network.id)

    async def remove_feed(self, network: Network, number: int) -> DigestFeed:
        async with self.bot.db.session() as s:
            repo = Digests(s)
            listed = await repo.feeds(network.id)
            if not 1 <= number <= len(listed):
                raise DigestProblem("There is no source number {n}. See them with /digest kilde liste.", n=number)
            feed = listed[number - 1]
            await repo.remove_feed(feed)
        return feed
