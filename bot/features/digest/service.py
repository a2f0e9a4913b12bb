"""The digest: capturing shared links, reading their metadata and feeds, publishing each week.

Handlers stay thin; everything here works the same from any adapter, a scheduled job or a
benchmark. Publishing freezes the week's content in the issue row first, then fans it out
through the outbox with one key per (network, period, destination), so a retry, a restart or a
second worker never sends a destination the digest twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapter import DeliveryError, Destination
from bot.errors import UserError
from bot.events import Conversation
from bot.features.digest import compose, feeds
from bot.features.digest.fetch import (
    WEB_PORTS,
    AddressPolicy,
    Fetcher,
    FetchError,
    FetchSettings,
    Lookup,
    PageMeta,
    positive_setting,
)
from bot.features.digest.urls import MAX_LINKS_PER_MESSAGE, InvalidUrl, canonical_url, find_urls, remove_urls
from bot.i18n import Translator, translator
from bot.limits import check_length
from bot.messages import Message, Part, Section
from bot.outbox import sent_message
from bot.scheduler import next_cron_time
from storage.models.core import Member, Network
from storage.models.digest import DigestArticle, DigestFeed, DigestIssue
from storage.repositories.core import Members, Networks
from storage.repositories.digest import Digests
from storage.repositories.samlinger import Samlinger

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)

DEFAULT_CRON = "0 8 * * mon"
CAPTURE_SETTING = "lenkefangst"
DM_OPTION = "nettverksbrev"
MAX_COMMENT = 500
MAX_FEEDS = 20
FIRST_IMPORT = timedelta(days=14)
FETCH_BATCH = 256
REDELIVER_AFTER = timedelta(minutes=10)
# Weeks done ahead of time (skipped, or published early) that the next send time looks past.
MAX_WEEKS_AHEAD = 8


class _Unchanged(Exception):
    """Rolls a publishing transaction back: nothing to publish, or someone else published."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


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


class DigestProblem(UserError):
    """Something the user can fix; `msgid` is English, translated by the handler."""


@dataclass(frozen=True)
class Shared:
    url: str
    title: str
    new_article: bool
    new_share: bool
    recommended: bool


@dataclass(frozen=True)
class Published:
    status: str  # "published", "already", "empty", "skipped"
    period: str
    sent: int = 0
    pending: int = 0
    failed: int = 0


def _metadata_values(meta: PageMeta, now: datetime) -> dict[str, Any]:
    return {
        "title": meta.title[:500], "description": meta.description, "site_name": meta.site_name[:200],
        "language": meta.language, "content_type": meta.content_type[:100], "published_at": meta.published_at,
        "fetch_status": "ok" if meta.ok else "failed", "fetch_error": meta.error, "fetched_at": now,
    }  # fmt: skip


def weekly_key(network_id: int) -> str:
    return f"digest.weekly:{network_id}"


def delivery_key(network_id: int, period: str, destination: Destination) -> str:
    return f"digest:{network_id}:{period}:{destination.describe()}"


class DigestService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot
        section = bot.config.section("digest")
        self.fetch_settings = FetchSettings.from_section(section)
        self.fanout_concurrency = int(positive_setting(section, "fanout_concurrency", 16, int))
        self._scheduled: set[tuple[int, str]] = set()
        # Which addresses count as public and how names resolve: tests point these at loopback.
        self.address_policy = AddressPolicy(allow_private=self.fetch_settings.allow_private_addresses)
        self.lookup: Lookup | None = None
        self._scheduling: dict[tuple[int, str], asyncio.Future[None]] = {}

    def fetcher(self) -> Fetcher:
        """The one way this feature fetches pages and feeds."""
        return Fetcher(self.fetch_settings, policy=self.address_policy, lookup=self.lookup)

    # -- schedule ---------------------------------------------------------------------------------
    async def ensure_schedule(self, network: Network) -> None:
        """Give a network its weekly digest job the first time it is seen (Monday 08:00 local)."""
        seen = (network.id, network.timezone)
        if seen in self._scheduled:
            return
        # The many events of a network's first minute share one look at its job.
        task = self._scheduling.get(seen)
        if task is None:
            task = self._scheduling[seen] = asyncio.ensure_future(self._ensure_schedule(network))
            task.add_done_callback(lambda _: self._scheduling.pop(seen, None))
        await asyncio.shield(task)

    async def _ensure_schedule(self, network: Network) -> None:
        key, payload = weekly_key(network.id), {"network_id": network.id}
        job = await self.bot.scheduler.get(key)
        if job is None:
            await self.bot.scheduler.start_every("digest.weekly", DEFAULT_CRON, network.timezone, payload, key=key)
        elif job.timezone != network.timezone and job.status == "pending":
            # The network moved to another time zone: Monday 08:00 is local time.
            cron = job.cron or DEFAULT_CRON
            await self.bot.scheduler.every("digest.weekly", cron, network.timezone, payload, key=key)
        self._scheduled.add((network.id, network.timezone))

    async def set_schedule(self, network: Network, cron: str) -> datetime:
        self._scheduled.add((network.id, network.timezone))
        return await self.bot.scheduler.every(
            "digest.weekly", cron, network.timezone, {"network_id": network.id}, key=weekly_key(network.id)
        )

    async def next_run(self, network: Network) -> datetime:
        job = await self.bot.scheduler.get(weekly_key(network.id))
        if job is not None and job.cron and job.timezone:
            return job.run_at if job.status == "pending" else next_cron_time(job.cron, job.timezone, job.run_at)
        return next_cron_time(DEFAULT_CRON, network.timezone, self.bot.clock.now())

    async def next_send(self, network: Network) -> datetime:
        """When the next digest goes out: the next run, or the one after when that run's digest was
        already published early or skipped (the run then sends nothing)."""
        run_at = await self.next_run(network)
        job = await self.bot.scheduler.get(weekly_key(network.id))
        cron = job.cron if job is not None and job.cron else DEFAULT_CRON
        async with self.bot.db.session() as s:
            for _ in range(MAX_WEEKS_AHEAD):  # a week skipped and the next published early: two runs send nothing
                issue = await Digests(s).issue(network.id, compose.period_of(run_at, network.timezone))
                if issue is None or issue.status not in ("published", "skipped"):
                    break
                run_at = next_cron_time(cron, network.timezone, run_at)
        return run_at

    async def upcoming_period(self, network: Network) -> str:
        """The period of the next digest: the next run's week, or the one after if that is done."""
        return compose.period_of(await self.next_send(network), network.timezone)

    async def last_published_at(self, network: Network) -> datetime | None:
        async with self.bot.db.session() as s:
            issue = await Digests(s).latest_published(network.id)
        return issue.published_at if issue is not None else None

    # -- capturing --------------------------------------------------------------------------------
    def captures_links(self, network: Network) -> bool:
        return bool(self.bot.settings.network_value(network, CAPTURE_SETTING))

    async def capture(self, network: Network, member: Member, text: str) -> list[Shared]:
        """Links in a channel message, with the rest of the message as the comment."""
        if not self.captures_links(network):
            return []
        comment = remove_urls(text).strip()
        if len(comment) > MAX_COMMENT:
            # A chat message is not written for the digest: keep its start, marked as shortened.
            comment = comment[: MAX_COMMENT - 1].rstrip() + "…"
        shared = []
        for raw in find_urls(text)[:MAX_LINKS_PER_MESSAGE]:
            try:
                url = canonical_url(raw)
            except InvalidUrl:
                continue
            shared.append(await self._record(network.id, member, url, comment, explicit=False))
        return shared

    async def share(self, network: Network, member: Member, args: str) -> Shared:
        """`/del <url> [comment]`; raises DigestProblem for a missing or unusable address."""
        found = find_urls(args)
        if len(found) > 1:
            raise DigestProblem("Share one link at a time: /del <link> [comment].")
        if found:  # the link may come anywhere: "/del Bra om tillit https://..."
            raw, comment = found[0], remove_urls(args)
        else:
            raw, _, comment = args.strip().partition(" ")
        if not raw:
            raise DigestProblem("Write /del <link> [comment], e.g. /del https://www.udir.no/... Good about trust.")
        try:
            url = canonical_url(raw)
        except InvalidUrl as err:
            raise DigestProblem(err.reason) from None
        return await self._record(network.id, member, url, check_length(comment.strip(), MAX_COMMENT), explicit=True)

    async def _record(self, network_id: int, member: Member, url: str, comment: str, *, explicit: bool) -> Shared:
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            repo = Digests(s)
            article, new_article = await repo.ensure_article(network_id, url, now)
            share, new_share = await repo.add_share(article, member=member, comment=comment, explicit=explicit, now=now)
            result = Shared(url, article.title, new_article, new_share, share.recommended)
            pending = article.fetch_status == "pending"
            article_id = article.id
        if pending and self.fetch_settings.read_the_web:
            await self.bot.scheduler.schedule("digest.fetch", now, {}, key=f"digest.fetch:{article_id}")
        return result

    # -- metadata ---------------------------------------------------------------------------------
    async def fetch_pending(self, limit: int = 10_000) -> int:
        """Read the metadata of every article still waiting, a batch at a time; returns how many.

        A batch is fetched concurrently (bounded by the fetcher) and saved in one transaction, so
        memory stays bounded by the batch and the database sees one write per batch.
        """
        done, last_id = 0, 0
        async with self.fetcher() as fetcher:
            while done < limit:
                async with self.bot.db.session() as s:
                    batch = await Digests(s).pending_articles(min(FETCH_BATCH, limit - done), after_id=last_id)
                if not batch:
                    break
                metas = await asyncio.gather(*(fetcher.page_meta(url) for _, url in batch))
                now = self.bot.clock.now()
                async with self.bot.db.session() as s:
                    repo = Digests(s)
                    for (article_id, _), meta in zip(batch, metas, strict=True):
                        await repo.save_metadata(article_id, _metadata_values(meta, now))
                done += len(batch)
                last_id = batch[-1][0]
        return done

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

    # -- composing --------------------------------------------------------------------------------
    async def _week(self, repo: Digests, network: Network, period: str, now: datetime) -> compose.Week:
        """From the end of the last published digest (or a week back, or a skipped week's start) to now."""
        last = await repo.latest_published(network.id)
        if last is not None and last.window_end is not None:
            start = last.window_end
        else:
            skipped = await repo.earliest_skipped_start(network.id)
            start = min(now - timedelta(days=7), skipped or now)
        # The end includes this very instant; the next window starts just after it.
        end = now + timedelta(microseconds=1)
        return compose.Week(period, min(start, now), end)

    async def _compose(
        self, s: AsyncSession, network: Network, issue: DigestIssue, now: datetime, *, claimed: bool = False
    ) -> dict[str, Any]:
        """The issue's content: its claimed shares when publishing, the unclaimed ones for a preview."""
        repo = Digests(s)
        week = await self._week(repo, network, issue.period, now)
        shares = await repo.shares_of_issue(issue.id) if claimed else await repo.unclaimed_shares(network.id, week.end)
        return compose.build_content(
            week,
            intro=issue.intro,
            removed=issue.removed,
            shares=shares,
            ideas=await repo.ideas_between(network.id, week.start, week.end),
            reports=await repo.reports_between(network.id, week.start, week.end),
            notes=await repo.notes_between(network.id, week.start, week.end),
            next_meeting=next(iter(await Samlinger(s).upcoming(network.id, now, 1)), None),
        )

    async def draft(self, network: Network) -> tuple[DigestIssue, dict[str, Any]]:
        """The coming digest as it would be published now (with the leaders' intro and removals)."""
        now = self.bot.clock.now()
        period = await self.upcoming_period(network)
        async with self.bot.db.session() as s:
            issue = await Digests(s).ensure_issue(network.id, period, now)
            return issue, await self._compose(s, network, issue, now)

    def render(
        self, network: Network, content: dict[str, Any], *, preview: bool = False, numbered: bool = False
    ) -> Message:
        t = self.bot.translator_for(network=network)
        return compose.render(
            content, t, network_name=network.name, timezone=network.timezone, preview=preview, numbered=numbered
        )

    async def set_intro(self, network: Network, text: str) -> None:
        period = await self.upcoming_period(network)
        async with self.bot.db.session() as s:
            issue = await Digests(s).ensure_issue(network.id, period, self.bot.clock.now())
            if issue.status == "published":
                raise DigestProblem("This week's digest is already published; the introduction applies to the next.")
            issue.intro = text
            issue.updated_at = self.bot.clock.now()

    async def remove_from_draft(self, network: Network, number: int) -> str:
        issue, content = await self.draft(network)
        items = compose.items_in_order(content)
        if not 1 <= number <= len(items):
            raise DigestProblem("There is no item number {n} in the coming digest. See /digest forhåndsvis.", n=number)
        item = items[number - 1]
        async with self.bot.db.session() as s:
            row = await Digests(s).issue(network.id, issue.period)
            assert row is not None
            row.removed = [*row.removed, item["ref"]]
            row.updated_at = self.bot.clock.now()
        return compose.item_label(item)

    async def remove_from_published(self, network: Network, number: int) -> tuple[str, int]:
        """Take an item out of the latest published digest and update the messages already sent."""
        async with self.bot.db.session() as s:
            issue = await Digests(s).latest_published(network.id)
            if issue is None or issue.content is None:
                raise DigestProblem("No digest has been published yet.")
            items = compose.items_in_order(issue.content)
            if not 1 <= number <= len(items):
                raise DigestProblem("There is no item number {n} in the latest digest.", n=number)
            item = items[number - 1]
            issue.content = compose.without_item(issue.content, item["ref"])
            issue.removed = [*issue.removed, item["ref"]]
            issue.updated_at = self.bot.clock.now()
            content, period = issue.content, issue.period
        updated = await self._update_sent(network, period, self.render(network, content))
        return compose.item_label(item), updated

    async def _update_sent(self, network: Network, period: str, message: Message) -> int:
        updated = 0
        for destination in await self.destinations(network):
            row = await self.bot.outbox.get(delivery_key(network.id, period, destination))
            sent = sent_message(row) if row is not None and row.status == "sent" else None
            if sent is None:
                continue
            try:
                await self.bot.update(sent, message)
                updated += 1
            except DeliveryError as err:
                log.info("digest: could not update a sent digest (%s)", err.code)
        return updated

    async def skip(self, network: Network) -> str:
        """Skip the coming digest; returns the week(s) it would have covered, as its heading names them."""
        period = await self.upcoming_period(network)
        async with self.bot.db.session() as s:
            issue = await Digests(s).ensure_issue(network.id, period, self.bot.clock.now())
            if issue.status == "published":
                raise DigestProblem("This week's digest is already published.")
            # Remember where the skipped week began, so its content comes in the next digest.
            issue.window_start = (await self._week(Digests(s), network, period, self.bot.clock.now())).start
            issue.status = "skipped"
            issue.updated_at = self.bot.clock.now()
        # The week the skipped digest would have covered: the seven days before its planned run.
        run_at = await self.next_run(network)
        return compose.weeks_covered(run_at - timedelta(days=7), run_at, network.timezone)

    async def latest(self, network: Network, *, numbered: bool = False) -> Message | None:
        async with self.bot.db.session() as s:
            issue = await Digests(s).latest_published(network.id)
        if issue is None or issue.content is None:
            return None
        return self.render(network, issue.content, numbered=numbered)

    # -- publishing -------------------------------------------------------------------------------
    async def publish_now(self, network: Network) -> Published:
        """A leader publishes the coming digest early; a later job re-delivers whatever a crash left."""
        period = await self.upcoming_period(network)
        await self.bot.scheduler.schedule(
            "digest.redeliver", self.bot.clock.now() + REDELIVER_AFTER,
            {"network_id": network.id, "period": period}, key=f"digest.redeliver:{network.id}:{period}",
        )  # fmt: skip
        return await self.publish(network.id, period)

    async def publish(self, network_id: int, period: str, *, redeliver_only: bool = False) -> Published:
        """Publish `period` (or send it to destinations that have not had it yet). Idempotent."""
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            network = await Networks(s).get(network_id)
            issue = await Digests(s).ensure_issue(network_id, period, now) if network else None
        if network is None or issue is None:
            return Published("empty", period)
        if issue.status == "skipped":
            return Published("skipped", period)
        status = "already"
        if issue.status != "published":
            if redeliver_only:
                return Published("empty", period)
            status = await self._freeze(network, issue.id, now)
            if status == "empty":
                return Published("empty", period)
        async with self.bot.db.session() as s:
            issue = await Digests(s).issue(network_id, period)  # the winner's content, if another worker won
        if issue is None or issue.status != "published" or issue.content is None:
            return Published("skipped", period)
        counts = await self._fan_out(network, period, self.render(network, issue.content), issue.content)
        return Published(status, period, *counts)

    async def _freeze(self, network: Network, issue_id: int, now: datetime) -> str:
        """Claim the week's shares and store the content, in one transaction, or change nothing."""
        try:
            async with self.bot.db.session() as s:
                repo = Digests(s)
                issue = await s.get(DigestIssue, issue_id)
                assert issue is not None
                week = await self._week(repo, network, issue.period, now)
                await repo.claim_shares(network.id, issue.id, week.end)
                content = await self._compose(s, network, issue, now, claimed=True)
                if compose.is_empty(content):
                    raise _Unchanged("empty")
                if not await repo.mark_published(issue.id, content, week.start, week.end, now):
                    raise _Unchanged("already")  # another worker (or the leader) published it first
        except _Unchanged as outcome:
            if outcome.status == "empty":
                async with self.bot.db.session() as s:
                    await Digests(s).mark_empty(issue_id)
            return outcome.status
        return "published"

    async def destinations(self, network: Network) -> list[Destination]:
        async with self.bot.db.session() as s:
            channels = await Networks(s).channels(network.id)
            members = await Members(s).in_network(network.id)
        found = [Destination.channel(Conversation(c.platform, c.workspace_id, c.channel_id)) for c in channels]
        found += [Destination.dm(self.bot.user_of(m)) for m in members if self.bot.settings.member_value(m, DM_OPTION)]
        return found

    async def _by_mail(self, network: Network, content: dict[str, Any] | None) -> list[tuple[Destination, Message]]:
        """Confirmed e-mail addresses, each with the issue in the language its reader chose."""
        mail = self.bot.services.mailing_list
        if mail is None or content is None:
            return []
        rendered: dict[str, Message] = {}
        found = []
        for destination, language in await mail.destinations(network):
            if language not in rendered:
                rendered[language] = compose.render(
                    content, translator(language), network_name=network.name, timezone=network.timezone
                )
            found.append((destination, rendered[language]))
        return found

    async def _fan_out(
        self, network: Network, period: str, message: Message, content: dict[str, Any] | None = None
    ) -> tuple[int, int, int]:
        pairs = [(d, message) for d in await self.destinations(network)] + await self._by_mail(network, content)
        async with self.bot.db.session() as s:
            leaders = await Members(s).leaders(network.id)
        notify = leaders[0].id if leaders else None
        limit = asyncio.Semaphore(self.fanout_concurrency)
        tally = {"sent": 0, "duplicate": 0, "pending": 0, "failed": 0}

        async def one(destination: Destination, message: Message) -> None:
            async with limit:
                result = await self.bot.outbox.deliver(
                    delivery_key(network.id, period, destination), destination, message,
                    notify_member_id=notify if destination.kind == "channel" else None,
                )  # fmt: skip
                tally[result.status] = tally.get(result.status, 0) + 1

        tasks = [asyncio.ensure_future(one(d, m)) for d, m in pairs]
        try:
            await asyncio.gather(*tasks)
        finally:
            # If we are stopped half-way, stop every send with us: none may run on unobserved.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        log.info("digest: network %s %s: %s", network.id, period, tally)
        return tally["sent"] + tally["duplicate"], tally["pending"], tally["failed"]

    # -- the member's overview --------------------------------------------------------------------
    async def home(self, member: Member, t: Translator) -> list[Part]:
        """The latest digest and how many of the member's links wait for the next one."""
        async with self.bot.db.session() as s:
            repo = Digests(s)
            latest = await repo.latest_published(member.network_id)
            waiting = await repo.count_unclaimed_shares_of(member.id)
            network = await Networks(s).get(member.network_id)
        if latest is None and not waiting:
            return []
        fields: list[tuple[str, str]] = []
        if latest is not None:
            week = latest.period.split("-W")[-1].lstrip("0")
            if latest.window_start is not None and latest.window_end is not None and network is not None:
                week = compose.weeks_covered(latest.window_start, latest.window_end, network.timezone)
            fields.append((t.t("Latest digest"), t.t("week {week} — see it with /digest", week=week)))
        fields.append((t.t("Your links for the next digest"), str(waiting)))
        return [Section(t.t("The network digest"), tuple(fields))]

    # -- personal data ----------------------------------------------------------------------------
    async def export(self, s: AsyncSession, member: Member) -> dict[str, Any]:
        repo = Digests(s)
        return {
            "shared_links": [
                {
                    "url": article.url,
                    "title": article.title,
                    "description": article.description,
                    "site_name": article.site_name,
                    "comment": share.comment,
                    "recommended": share.recommended,
                    "shared_at": share.created_at.isoformat(),
                }
                for share, article in await repo.shares_of(member.id)
            ],
            "feeds_added": [{"url": f.url, "title": f.title} for f in await repo.feeds_added_by(member.id)],
        }

    async def erase(self, s: AsyncSession, member: Member) -> None:
        """Shares cascade with the member, and a page only they shared goes with them (its address and
        title say what they read); published snapshots keep names and comments, so scrub them."""
        await Digests(s).remove_articles_only_shared_by(member.id)
        for issue in await Digests(s).issues_with_content(member.network_id):
            assert issue.content is not None
            issue.content = compose.without_member(issue.content, member.id)


__all__ = ["DigestArticle", "DigestProblem", "DigestService", "Published", "Shared"]
