"""Durable scheduled work over APScheduler.

Jobs live in the `scheduled_jobs` table, so they survive restarts and several workers can share
them: a worker claims a due job under a lease (`storage.leases`), and only the worker whose claim
took the row runs it. APScheduler drives the tick in-process and computes the next fire time
of recurring (crontab) jobs in the network's time zone. Time always comes from the injected
clock, so `FakeClock.advance` + `run_due()` makes two weeks pass in a test.

Every kind of job declares what lateness means for it (`Lateness`): how late it may run as
planned (the grace), and what happens past that: skip it, run it as is, or run it with words
that fit the real gap. A job runs late when the bot was down across its time or the clock
jumped; the handler is told when the job was planned and how late it is (`JobRun`). A recurring
job keeps to its plan: a missed time is run once (as the latest missed time) or skipped, and
the next time is always the plan's next, never "now plus an interval".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.metrics import Metrics
from bot.times import CRON_WEEKDAYS
from storage.compiled import built_once
from storage.db import Database
from storage.leases import Leases
from storage.models.runtime import ScheduledJob

log = logging.getLogger(__name__)


class Late(StrEnum):
    """What a job does when it comes later than its grace allows."""

    SKIP = "skip"  # it does not run; a recurring job waits for its next planned time
    RUN = "run"  # it runs as is: its message or change is still right, however late
    REWORD = "reword"  # it runs, and its handler fits the words to the real gap (`JobRun.late_by`)


@dataclass(frozen=True)
class Lateness:
    grace: timedelta
    late: Late


@dataclass(frozen=True)
class JobRun:
    """When a job was planned and when it runs, so a handler can say "yesterday" only when it is true."""

    kind: str
    planned: datetime
    now: datetime
    grace: timedelta

    @property
    def late_by(self) -> timedelta:
        return max(self.now - self.planned, timedelta())

    @property
    def late(self) -> bool:
        """Later than the kind's grace."""
        return self.late_by > self.grace


JobHandler = Callable[[dict[str, Any], JobRun], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    handler: JobHandler
    lateness: Lateness
    on_skip: JobHandler | None = None  # called when a job is skipped, e.g. to arm a series' next time


# How long a claimed job is a worker's before another may take it over. The worker running it renews
# the lease while it runs, so a long job keeps it and a killed worker's job is taken over soon.
LEASE = timedelta(seconds=60)
# To the table, not through the unit of work, and run on the driver's connection where it can be
# (every column with a default is given): the path of "I'll try this".
_INSERT_JOB = built_once(insert(ScheduledJob.__table__))
MAX_ATTEMPTS = 5


def _crontab_weekdays(cron: str) -> str:
    """Crontab counts weekdays from Sunday = 0; APScheduler from Monday = 0. Use names, which both read alike."""
    fields = cron.split()
    if len(fields) == 5:
        fields[4] = re.sub(r"(?<![/\d])([0-7])(?!\d)", lambda m: CRON_WEEKDAYS[(int(m.group(1)) - 1) % 7], fields[4])
    return " ".join(fields)


def next_cron_time(cron: str, timezone: str, after: datetime) -> datetime:
    """The next time a crontab line fires after `after`, read in `timezone` (DST-aware)."""
    trigger = CronTrigger.from_crontab(_crontab_weekdays(cron), timezone=ZoneInfo(timezone))
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    assert fire is not None
    return fire


def latest_cron_time(cron: str, timezone: str, planned: datetime, now: datetime, grace: timedelta) -> datetime:
    """The latest planned time of a recurring job that is due: the one a late run stands for.

    Times more than `grace` before `now` are not looked at (a long outage would mean many);
    when none is left within the grace, `planned` comes back and the run is late past its grace.
    """
    latest = planned
    after = max(planned, now - grace - timedelta(seconds=1))
    while (following := next_cron_time(cron, timezone, after)) <= now:
        latest = after = following
    return latest


# Due now, or claimed by a worker whose lease ran out (it stopped while running the job).
JOBS = Leases(ScheduledJob, ScheduledJob.run_at, held="running")


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        tick_seconds: float = 1.0,
        lease: timedelta = LEASE,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.lease = lease
        self.kinds: dict[str, JobKind] = {}
        self._aps: AsyncIOScheduler | None = None
        self._current_tick: asyncio.Task[Any] | None = None
        self._running_job: int | None = None  # the job this worker is running now

    def handler(
        self, kind: str, *, grace: timedelta, late: Late, on_skip: JobHandler | None = None
    ) -> Callable[[JobHandler], JobHandler]:
        """Register the job kind's handler with what lateness means for it (see `Late`).

        `on_skip` runs instead of the handler when a job of this kind is skipped for being late.
        """

        def register(fn: JobHandler) -> JobHandler:
            if kind in self.kinds:
                raise ValueError(f"job kind {kind} is registered twice")
            self.kinds[kind] = JobKind(fn, Lateness(grace, late), on_skip)
            return fn

        return register

    async def schedule(
        self,
        kind: str,
        run_at: datetime,
        payload: dict[str, Any],
        *,
        key: str,
        session: AsyncSession | None = None,
    ) -> bool:
        """Schedule a one-off job; a second call with the same key replaces a pending one.

        With `session`, the job is written in the caller's transaction, so it exists exactly when
        what it follows up does. Returns False when the key's job has already run (nothing twice).
        """
        if session is not None:
            return await self._schedule_in(session, kind, run_at, payload, key)
        async with self.db.session() as s:
            return await self._schedule_in(s, kind, run_at, payload, key)

    async def add(
        self, kind: str, run_at: datetime, payload: dict[str, Any], *, key: str, session: AsyncSession
    ) -> None:
        """Schedule a one-off job whose key is new (it holds an id just made), in the caller's transaction.

        One statement fewer than `schedule`, which first looks for a job to replace.
        """
        values = {"key": key, "kind": kind, "run_at": run_at, "planned_at": run_at, "payload": payload,
                  "status": "pending", "attempts": 0}  # fmt: skip
        await session.execute(_INSERT_JOB, values)

    @staticmethod
    async def _schedule_in(s: AsyncSession, kind: str, run_at: datetime, payload: dict[str, Any], key: str) -> bool:
        job = await s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
        if job is None:
            s.add(ScheduledJob(key=key, kind=kind, run_at=run_at, planned_at=run_at, payload=payload))
            return True
        if job.status != "pending":
            return False
        job.run_at, job.planned_at, job.payload, job.kind = run_at, run_at, payload, kind
        return True

    async def every(self, kind: str, cron: str, timezone: str, payload: dict[str, Any], *, key: str) -> datetime:
        """Schedule a recurring job (crontab line in `timezone`); returns its next run."""
        run_at = next_cron_time(cron, timezone, self.clock.now())
        async with self.db.session() as s:
            job = await s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
            if job is None:
                job = ScheduledJob(key=key, kind=kind, run_at=run_at, planned_at=run_at, payload=payload)
                job.cron, job.timezone = cron, timezone
                s.add(job)
            else:
                job.kind, job.cron, job.timezone, job.payload = kind, cron, timezone, payload
                job.run_at = job.planned_at = run_at
                job.status = "pending"
        return run_at

    async def start_every(self, kind: str, cron: str, timezone: str, payload: dict[str, Any], *, key: str) -> bool:
        """Schedule a recurring job unless the key has one already; True if this call added it.

        One statement that inserts or does nothing, so that several events (or workers) that see
        a new network at the same moment do not race to add the same job.
        """
        run_at = next_cron_time(cron, timezone, self.clock.now())
        values = {"key": key, "kind": kind, "run_at": run_at, "payload": payload, "cron": cron, "timezone": timezone,
                  "status": "pending", "attempts": 0}  # fmt: skip
        dialect_insert = postgresql_insert if self.db.is_postgres else sqlite_insert
        statement = dialect_insert(ScheduledJob.__table__).values(values).on_conflict_do_nothing(index_elements=["key"])
        async with self.db.one_statement() as s:
            return bool((await s.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def cancel(self, key: str, *, session: AsyncSession | None = None) -> bool:
        """Remove a pending job (in the caller's transaction when `session` is given)."""
        statement = delete(ScheduledJob).where(ScheduledJob.key == key, ScheduledJob.status == "pending")
        if session is not None:
            return bool((await session.execute(statement)).rowcount)  # type: ignore[attr-defined]
        async with self.db.session() as s:
            return bool((await s.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def get(self, key: str) -> ScheduledJob | None:
        async with self.db.session() as s:
            return await s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))

    async def run_due(self, limit: int = 100) -> int:
        """Run every job that is due now; returns how many ran. Safe to call from any worker."""
        now = self.clock.now()
        ran = 0
        async with self.db.read() as s:
            due = len((await s.execute(select(ScheduledJob.id).where(JOBS.due(now)).limit(limit))).all())
        # As many as were due when the tick began, each claimed just before it runs and at its own time:
        # the jobs before it may have taken longer than a lease, and a lease counted from the tick's
        # start would have run out already (another worker would run the job at the same time).
        for _ in range(due):
            now = self.clock.now()
            job = await self._claim(now)
            if job is None:  # other workers took the rest
                break
            self._running_job = job.id
            await self._run(job, now)
            self._running_job = None
            ran += 1
        return ran

    async def _claim(self, now: datetime) -> ScheduledJob | None:
        """The earliest due job, claimed for this worker (None when none is left)."""
        async with self.db.session() as s:  # a session: the claimed row comes back as a model object
            claimed = await JOBS.claim(s, now, self.lease)
        return claimed[0] if claimed else None

    @staticmethod
    def job_run(job: ScheduledJob, lateness: Lateness, now: datetime) -> JobRun:
        """The run a claimed job stands for: a recurring job late by several times runs as the latest."""
        planned = job.planned_at or job.run_at
        if job.cron and job.timezone:
            planned = latest_cron_time(job.cron, job.timezone, planned, now, lateness.grace)
        return JobRun(job.kind, planned, now, lateness.grace)

    async def _run(self, job: ScheduledJob, now: datetime) -> None:
        kind = self.kinds.get(job.kind)
        error: str | None = None
        skipped = False
        if kind is None:
            error = f"no handler for job kind {job.kind}"
            log.error("scheduler: %s (job %s)", error, job.key)
        else:
            run = self.job_run(job, kind.lateness, now)
            # Lateness is judged when the job first comes up: a retry carries on work that began in time.
            skipped = run.late and kind.lateness.late is Late.SKIP and job.attempts <= 1
            if skipped:
                log.info("scheduler: job %s (%s) skipped, %s late", job.key, job.kind, run.late_by)
                await self._after_skip(job, kind, run)
            else:
                renewing = asyncio.create_task(self._keep_lease(job.id))
                try:
                    await kind.handler(dict(job.payload), run)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"[:500]
                    log.exception("scheduler: job %s (%s) failed", job.key, job.kind)
                finally:
                    renewing.cancel()
        outcome = "skipped" if skipped else "failed" if error else "ok"
        self.metrics.job_ran(job.kind, outcome, job.planned_at or job.run_at, now)
        await self._finish(job, error, skipped=skipped)

    async def _keep_lease(self, job_id: int) -> None:
        """Renew a running job's lease every third of it, so only a worker that died loses the job."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.db.one_statement() as s:
                    await JOBS.renew(s, [job_id], self.clock.now() + self.lease)
            except Exception:  # the database is away for a moment: the next renewal tries again
                log.warning("scheduler: could not renew the lease of job %s", job_id)

    @staticmethod
    async def _after_skip(job: ScheduledJob, kind: JobKind, run: JobRun) -> None:
        # Not retried: a retry would not be judged late again, and would run the skipped job itself.
        if kind.on_skip is None:
            return
        try:
            await kind.on_skip(dict(job.payload), run)
        except Exception:
            log.exception("scheduler: after skipping job %s (%s)", job.key, job.kind)

    async def _finish(self, job: ScheduledJob, error: str | None, *, skipped: bool = False) -> None:
        now = self.clock.now()
        async with self.db.session() as s:
            row = await s.get(ScheduledJob, job.id)
            if row is None:  # cancelled while running
                return
            row.locked_until = None
            row.last_error = error
            if error is not None and row.attempts < MAX_ATTEMPTS:
                # A retry moves the run, not the plan: lateness stays measured from the plan.
                row.status = "pending"
                row.run_at = now + timedelta(seconds=30 * 2**row.attempts)
            elif row.cron and row.timezone:
                # The plan's next time after now, never "now plus a week": the series keeps its day and hour.
                row.status, row.attempts = "pending", 0
                row.run_at = row.planned_at = next_cron_time(row.cron, row.timezone, max(now, row.run_at))
            else:
                row.status = "failed" if error else "skipped" if skipped else "done"

    # -- the in-process driver -----------------------------------------------------------
    def start(self, tick: Callable[[], Awaitable[Any]] | None = None) -> None:
        """Call `tick` (default: `run_due`) every `tick_seconds`, never two at once."""
        work = tick or self.run_due

        async def tracked_tick() -> None:
            self._current_tick = asyncio.current_task()
            try:
                await work()
            finally:
                self._current_tick = None

        self._aps = AsyncIOScheduler()
        self._aps.add_job(
            tracked_tick, "interval", seconds=self.tick_seconds, max_instances=1, coalesce=True, id="tick"
        )
        self._aps.start()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop ticking, letting a tick in progress finish first: cancelling it halfway through a
        database call would leave the connection to be torn down while the database closes.
        A tick still running after `grace_seconds` is cancelled (see `hand_back`)."""
        if self._aps is None:
            return
        self._aps.pause()
        running = self._current_tick
        if running is not None and not running.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(running), grace_seconds)
            if not running.done():
                running.cancel()
                await asyncio.wait({running}, timeout=1.0)
        self.shutdown()

    async def hand_back(self) -> int:
        """Give up the lease of a job that was stopped halfway, so another worker runs it at once."""
        job_id, self._running_job = self._running_job, None
        if job_id is None:
            return 0
        async with self.db.one_statement() as s:
            return await JOBS.release(s, [job_id], self.clock.now())

    def shutdown(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
