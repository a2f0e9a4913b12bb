"""Scale-out: three workers share the work, and when the busiest dies the others finish it.

Three real `samskap run` processes (Slack over HTTP, against the fake Slack on 127.0.0.1) share one
PostgreSQL database. Two networks' weekly digests fall due at once, 500 channels in all, while 30
"how did it go?" follow-ups fall due one after another over 8 s. Once half of the digests have
arrived, the worker that has posted most is killed with SIGKILL in the middle of a post: the
platform kept the message, the worker never heard back, and it held a running digest job and the
deliveries it was sending. With short leases (3 s) the other two take that over and finish
everything within 15 s of the kill. What arrived is counted on the fake Slack's side: every channel
has its digest once, every member their follow-up once. (With the leases at their defaults, or
either of them, nothing is taken over within the 15 s and the test fails.)

Two networks rather than many: a worker runs its due jobs one after another, so with a digest job
for every worker the follow-ups would wait for a fan-out to end.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from worker_processes import scale_out_with_a_kill

from bot.clock import FakeClock
from bot.features.ideas.service import FOLLOW_UP_JOB
from bot.scheduler import JobRun, Late, Scheduler
from storage.db import Database
from storage.models.ideas import FollowUp, FollowUpStatus
from storage.models.runtime import Delivery, ScheduledJob

TAKE_OVER_WITHIN = 15.0  # seconds from the kill until everything is done


@pytest.mark.postgres
async def test_the_busiest_of_three_workers_is_killed_and_the_others_finish_everything(
    postgres_url: str, tmp_path: Path
) -> None:
    run = await scale_out_with_a_kill(postgres_url, tmp_path, within=TAKE_OVER_WITHIN)

    # The work was shared, and the one killed had posted most.
    assert len(run.posts_at_kill) == 3 and min(run.posts_at_kill.values()) > 0, run.posts_at_kill
    assert run.posts_at_kill[run.killed] == max(run.posts_at_kill.values())

    # Everything arrived exactly once: the digest in every channel, the follow-up with every member.
    expected = run.work.channels + run.work.dm_channels
    assert [c for c in expected if run.arrived.get(c, 0) == 0] == [], "missing"
    assert [c for c in expected if run.arrived.get(c, 0) > 1] == [], "sent twice"
    assert sorted(run.arrived) == sorted(expected)

    # What the killed worker held was taken over by the others: the job it was running, and the message
    # it had posted and never heard back about (found on the platform and recorded, not posted again).
    assert run.in_flight in run.taken_over, "the message the killed worker was posting was never taken over"
    assert run.killed_job in run.held.jobs.values()
    assert run.take_over_seconds <= run.finish_seconds <= TAKE_OVER_WITHIN

    db = Database(postgres_url)
    try:
        async with db.read() as s:
            statuses = dict((await s.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all())
            follow_ups = (await s.scalars(select(FollowUp.status))).all()
            follow_up_jobs = (
                await s.scalars(select(ScheduledJob.status).where(ScheduledJob.kind == FOLLOW_UP_JOB))
            ).all()
    finally:
        await db.dispose()
    assert statuses == {"sent": run.work.messages}
    assert follow_ups == [FollowUpStatus.SENT] * len(run.work.followed_up)
    assert follow_up_jobs == ["done"] * len(run.work.followed_up)


async def test_a_job_claimed_late_in_a_long_tick_is_not_run_by_another_worker_at_the_same_time(
    any_database_url: str,
) -> None:
    """A worker's tick runs its due jobs one after another. A job claimed after a long one (a digest to
    many channels) holds a lease counted from its own claim: counted from the tick's start, it has run
    out already, and another worker's tick runs the same job at the same time."""
    clock = FakeClock()
    db = Database(any_database_url)
    await db.migrate()
    lease = timedelta(minutes=1)
    first, second = Scheduler(db, clock, lease=lease), Scheduler(db, clock, lease=lease)
    runs: list[str] = []
    ran_meanwhile: list[int] = []

    async def long(payload: dict[str, Any], run: JobRun) -> None:
        clock.advance(2 * lease)

    def short(worker: str) -> Any:
        async def handler(payload: dict[str, Any], run: JobRun) -> None:
            runs.append(worker)
            if worker == "first":  # the other worker's tick comes while this job runs
                ran_meanwhile.append(await second.run_due())

        return handler

    for scheduler, worker in ((first, "first"), (second, "second")):
        scheduler.handler("test.long", grace=timedelta(hours=1), late=Late.RUN)(long)
        scheduler.handler("test.short", grace=timedelta(hours=1), late=Late.RUN)(short(worker))
    try:
        await first.schedule("test.long", clock.now() - timedelta(seconds=2), {}, key="long")
        await first.schedule("test.short", clock.now() - timedelta(seconds=1), {}, key="short")
        assert await first.run_due() == 2
        assert runs == ["first"] and ran_meanwhile == [0]
    finally:
        await db.dispose()
