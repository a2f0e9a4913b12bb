"""Durable scheduled work over APScheduler.

Jobs live in the `scheduled_jobs` table, so they survive restarts and several workers can share
them: a worker claims a due job with a conditional UPDATE, and only the worker whose UPDATE
changed the row runs it. APScheduler drives the tick in-process and computes the next fire time
of recurring (crontab) jobs in the network's time zone. Time always comes from the injected
clock, so `FakeClock.advance` + `run_due()` makes two weeks pass in a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from storage.db import Database
from storage.models.runtime import ScheduledJob

log = logging.getLogger(__name__)

JobHandler = Callable[[dict[str, Any]], Awaitable[None]]

LEASE = timedelta(minutes=5)
# To the table, not through the unit of work: half the cost on the path of "I'll try this".
_INSERT_JOB = insert(ScheduledJob.__table__)
MAX_ATTEMPTS = 5


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _crontab_weekdays(cron: str) -> str:
    """Crontab counts weekdays from Sunday = 0; APScheduler from Monday = 0. Use names, which both read alike."""
    fields = cron.split()
    if len(fields) == 5:
        fields[4] = re.sub(r"(?<![/\d])([0-7])(?!\d)", lambda m: _WEEKDAYS[int(m.group(1))], fields[4])
    return " ".join(fields)


def next_cron_time(cron: str, timezone: str, after: datetime) -> datetime:
    """The next time a crontab line fires after `after`, read in `timezone` (DST-aware)."""
    trigger = CronTrigger.from_crontab(_crontab_weekdays(cron), timezone=ZoneInfo(timezone))
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    assert fire is not None
    return fire


def _due(now: datetime) -> ColumnElement[bool]:
    """Due now, or claimed by a worker whose lease ran out (it stopped while running the job)."""
    return ((ScheduledJob.status == "pending") & (ScheduledJob.run_at <= now)) | (
        (ScheduledJob.status == "running") & (ScheduledJob.locked_until < now)
    )


class Scheduler:
    def __init__(self, db: Database, clock: Clock, *, tick_seconds: float = 1.0) -> None:
        self.db = db
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.handlers: dict[str, JobHandler] = {}
        self._aps: AsyncIOScheduler | None = None
        self._current_tick: asyncio.Task[Any] | None = None

    def handler(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        def register(fn: JobHandler) -> JobHandler:
            if kind in self.handlers:
                raise ValueError(f"job kind {kind} is registered twice")
            self.handlers[kind] = fn
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
        await session.execute(_INSERT_JOB, {"key": key, "kind": kind, "run_at": run_at, "payload": payload})

    @staticmethod
    async def _schedule_in(s: AsyncSession, kind: str, run_at: datetime, payload: dict[str, Any], key: str) -> bool:
        job = await s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
        if job is None:
            s.add(ScheduledJob(key=key, kind=kind, run_at=run_at, payload=payload))
            return True
        if job.status != "pending":
            return False
        job.run_at, job.payload, job.kind = run_at, payload, kind
        return True

    async def every(self, kind: str, cron: str, timezone: str, payload: dict[str, Any], *, key: str) -> datetime:
        """Schedule a recurring job (crontab line in `timezone`); returns its next run."""
        run_at = next_cron_time(cron, timezone, self.clock.now())
        async with self.db.session() as s:
            job = await s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
            if job is None:
                s.add(ScheduledJob(key=key, kind=kind, run_at=run_at, payload=payload, cron=cron, timezone=timezone))
            else:
                job.kind, job.cron, job.timezone, job.payload, job.run_at = kind, cron, timezone, payload, run_at
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
            rows = (
                await s.execute(select(ScheduledJob.id).where(_due(now)).order_by(ScheduledJob.run_at).limit(limit))
            ).all()
        for (job_id,) in rows:
            job = await self._claim(job_id, now)
            if job is None:
                continue
            await self._run(job)
            ran += 1
        return ran

    async def _claim(self, job_id: int, now: datetime) -> ScheduledJob | None:
        async with self.db.session() as s:
            result = await s.execute(
                update(ScheduledJob)
                .where(
                    ScheduledJob.id == job_id,
                    _due(now),
                )
                .values(status="running", locked_until=now + LEASE, attempts=ScheduledJob.attempts + 1)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await s.get(ScheduledJob, job_id)

    async def _run(self, job: ScheduledJob) -> None:
        handler = self.handlers.get(job.kind)
        error: str | None = None
        if handler is None:
            error = f"no handler for job kind {job.kind}"
            log.error("scheduler: %s (job %s)", error, job.key)
        else:
            try:
                await handler(dict(job.payload))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("scheduler: job %s (%s) failed", job.key, job.kind)
        await self._finish(job, error)

    async def _finish(self, job: ScheduledJob, error: str | None) -> None:
        now = self.clock.now()
        async with self.db.session() as s:
            row = await s.get(ScheduledJob, job.id)
            if row is None:  # cancelled while running
                return
            row.locked_until = None
            row.last_error = error
            if error is not None and row.attempts < MAX_ATTEMPTS:
                row.status = "pending"
                row.run_at = now + timedelta(seconds=30 * 2**row.attempts)
            elif row.cron and row.timezone:
                row.status, row.attempts = "pending", 0
                row.run_at = next_cron_time(row.cron, row.timezone, max(now, row.run_at))
            else:
                row.status = "failed" if error else "done"

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
        database call would leave the connection to be torn down while the database closes."""
        if self._aps is None:
            return
        self._aps.pause()
        running = self._current_tick
        if running is not None and not running.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(running), grace_seconds)
        self.shutdown()

    def shutdown(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
