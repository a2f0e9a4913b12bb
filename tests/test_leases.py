"""Claiming a due row under a lease (`storage.leases`), as the scheduler and the outbox do, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage.db import Database
from storage.leases import Leases
from storage.models.runtime import ScheduledJob

JOBS = Leases(ScheduledJob, ScheduledJob.run_at, held="running")
NOW = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)


async def with_jobs(url: str, *minutes_ago: int) -> Database:
    db = Database(url)
    await db.migrate()
    async with db.session() as s:
        for i, ago in enumerate(minutes_ago):
            s.add(ScheduledJob(key=f"job:{i}", kind="work", run_at=NOW - timedelta(minutes=ago), payload={}))
        s.add(ScheduledJob(key="later", kind="work", run_at=NOW + timedelta(minutes=5), payload={}))
    return db


async def claim(db: Database, now: datetime, limit: int = 1) -> list[str]:
    async with db.session() as s:
        return [job.key for job in await JOBS.claim(s, now, LEASE, limit=limit)]


async def test_the_earliest_due_row_is_claimed_once_until_its_lease_runs_out(any_database_url: str) -> None:
    db = await with_jobs(any_database_url, 1, 3)
    try:
        async with db.session() as s:
            (job,) = await JOBS.claim(s, NOW, LEASE)
        assert (job.key, job.status, job.attempts, job.locked_until) == ("job:1", "running", 1, NOW + LEASE)
        assert await claim(db, NOW, limit=5) == ["job:0"]  # the other due one; "later" is not due
        assert await claim(db, NOW + LEASE - timedelta(seconds=1)) == []  # both are held
        async with db.session() as s:
            assert await JOBS.renew(s, [job.id], NOW + 2 * LEASE) == 1
        assert await claim(db, NOW + LEASE + timedelta(seconds=1)) == ["job:0"]  # its lease ran out
        async with db.session() as s:
            assert await JOBS.release(s, [job.id], NOW) == 1
        async with db.session() as s:
            (taken_over,) = await JOBS.claim(s, NOW, LEASE)
        assert (taken_over.key, taken_over.attempts) == ("job:1", 2)
    finally:
        await db.dispose()


async def test_no_more_rows_are_claimed_than_asked_for(any_database_url: str) -> None:
    db = await with_jobs(any_database_url, 1, 1, 1, 2, 3)
    try:
        assert await claim(db, NOW) == ["job:4"]
        assert sorted(await claim(db, NOW, limit=2)) == ["job:0", "job:3"]
        assert len(await claim(db, NOW, limit=5)) == 2
    finally:
        await db.dispose()


async def test_only_the_rows_a_condition_allows_are_claimed(any_database_url: str) -> None:
    db = await with_jobs(any_database_url, 1, 3)
    try:
        async with db.session() as s:
            assert [j.key for j in await JOBS.claim(s, NOW, LEASE, where=ScheduledJob.key == "job:0")] == ["job:0"]
            assert await JOBS.claim(s, NOW, LEASE, where=ScheduledJob.key == "later") == []
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_worker_takes_the_next_row_instead_of_waiting_for_one_being_claimed(postgres_url: str) -> None:
    """Two workers claiming at once: the second skips the row the first has locked (SKIP LOCKED)."""
    db = await with_jobs(postgres_url, 1, 3)
    other = Database(postgres_url)
    try:
        async with db.session() as first:
            assert [j.key for j in await JOBS.claim(first, NOW, LEASE)] == ["job:1"]  # locked, not committed yet
            second = await asyncio.wait_for(claim(other, NOW), timeout=5)
        assert second == ["job:0"]
        assert await claim(db, NOW) == []
    finally:
        await other.dispose()
        await db.dispose()
