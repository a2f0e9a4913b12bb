"""The weekly issue: when it goes out, what it holds, and publishing it once to every destination.

Publishing freezes the week's content in the issue row first, then fans it out through the outbox with
one key per (network, period, destination), so a retry, a restart or a second worker never sends a
destination the digest twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapter import DeliveryError, Destination
from bot.events import Conversation
from bot.features.digest import cards
from bot.features.digest.common import (
    DEFAULT_CRON,
    DM_OPTION,
    MAX_WEEKS_AHEAD,
    REDELIVER_AFTER,
    DigestProblem,
)
from bot.i18n import translator
from bot.messages import Message
from bot.outbox import sent_message
from bot.scheduler import next_cron_time
from storage.models.core import Network
from storage.models.digest import DigestIssue
from storage.repositories.core import Members, Networks
from storage.repositories.digest import Digests
from storage.repositories.samlinger import Samlinger

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)


class _Unchanged(Exception):
    """Rolls a publishing transaction back: nothing to publish, or someone else published."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Published:
    status: str  # "published", "already", "empty", "skipped"
    period: str
    sent: int = 0
    pending: int = 0
    failed: int = 0


def weekly_key(network_id: int) -> str:
    return f"digest.weekly:{network_id}"


def delivery_key(network_id: int, period: str, destination: Destination) -> str:
    return f"digest:{network_id}:{period}:{destination.describe()}"


class Issues:
    def __init__(self, bot: CoreApi, fanout_concurrency: int) -> None:
        self.bot, self.fanout_concurrency = bot, fanout_concurrency
        self._scheduled: set[tuple[int, str]] = set()
        self._scheduling: dict[tuple[int, str], asyncio.Future[None]] = {}

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
                issue = await Digests(s).issue(network.id, cards.period_of(run_at, network.timezone))
                if issue is None or issue.status not in ("published", "skipped"):
                    break
                run_at = next_cron_time(cron, network.timezone, run_at)
        return run_at

    async def upcoming_period(self, network: Network) -> str:
        """The period of the next digest: the next run's week, or the one after if that is done."""
        return cards.period_of(await self.next_send(network), network.timezone)

    async def last_published_at(self, network: Network) -> datetime | None:
        async with self.bot.db.session() as s:
            issue = await Digests(s).latest_published(network.id)
        return issue.published_at if issue is not None else None

    # -- composing --------------------------------------------------------------------------------
    async def _week(self, repo: Digests, network: Network, period: str, now: datetime) -> cards.Week:
        """From the end of the last published digest (or a week back, or a skipped week's start) to now."""
        last = await repo.latest_published(network.id)
        if last is not None and last.window_end is not None:
            start = last.window_end
        else:
            skipped = await repo.earliest_skipped_start(network.id)
            start = min(now - timedelta(days=7), skipped or now)
        # The end includes this very instant; the next window starts just after it.
        end = now + timedelta(microseconds=1)
        return cards.Week(period, min(start, now), end)

    async def _compose(
        self, s: AsyncSession, network: Network, issue: DigestIssue, now: datetime, *, claimed: bool = False
    ) -> dict[str, Any]:
        """The issue's content: its claimed shares when publishing, the unclaimed ones for a preview."""
        repo = Digests(s)
        week = await self._week(repo, network, issue.period, now)
        shares = await repo.shares_of_issue(issue.id) if claimed else await repo.unclaimed_shares(network.id, week.end)
        return cards.build_content(
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
        return cards.render(
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
        items = cards.items_in_order(content)
        if not 1 <= number <= len(items):
            raise DigestProblem("There is no item number {n} in the coming digest. See /digest forhåndsvis.", n=number)
        item = items[number - 1]
        async with self.bot.db.session() as s:
            row = await Digests(s).issue(network.id, issue.period)
            assert row is not None
            row.removed = [*row.removed, item["ref"]]
            row.updated_at = self.bot.clock.now()
        return cards.item_label(item)

    async def remove_from_published(self, network: Network, number: int) -> tuple[str, int]:
        """Take an item out of the latest published digest and update the messages already sent."""
        async with self.bot.db.session() as s:
            issue = await Digests(s).latest_published(network.id)
            if issue is None or issue.content is None:
                raise DigestProblem("No digest has been published yet.")
            items = cards.items_in_order(issue.content)
            if not 1 <= number <= len(items):
                raise DigestProblem("There is no item number {n} in the latest digest.", n=number)
            item = items[number - 1]
            issue.content = cards.without_item(issue.content, item["ref"])
            issue.removed = [*issue.removed, item["ref"]]
            issue.updated_at = self.bot.clock.now()
            content, period = issue.content, issue.period
        updated = await self._update_sent(network, period, self.render(network, content))
        return cards.item_label(item), updated

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
        return cards.weeks_covered(run_at - timedelta(days=7), run_at, network.timezone)

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
                if cards.is_empty(content):
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
                rendered[language] = cards.render(
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
