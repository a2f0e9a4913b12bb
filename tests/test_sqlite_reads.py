"""SQLite reads run on the event loop's thread (most take microseconds; a trip to a thread cost more
than the read), and a long one is moved to a thread so that it does not hold up everyone else."""

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import LOOP_READ_SECONDS, Database

COUNT_TO = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :top) SELECT count(*) FROM n")


async def test_a_long_read_is_moved_off_the_event_loop_and_the_others_go_on(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        await db.migrate()
        gaps: list[float] = []
        reading = True

        async def other_members() -> None:
            last = time.perf_counter()
            while reading:
                await asyncio.sleep(0)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        others = asyncio.create_task(other_members())
        await asyncio.sleep(0)
        started = time.perf_counter()
        async with db.read() as s:
            assert await s.scalar(COUNT_TO, {"top": 2_000_000}) == 2_000_000
        took = time.perf_counter() - started
        reading = False
        await others
        assert took > 20 * LOOP_READ_SECONDS, "the read was meant to be long"
        # The loop stopped only for the read's first milliseconds on it, not for the whole read.
        assert len(gaps) > 100 and max(gaps) < took / 4
    finally:
        await db.dispose()


async def test_short_reads_and_failing_reads_answer_as_before(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        await db.migrate()
        async with db.read() as s:
            assert await s.scalar(COUNT_TO, {"top": 10}) == 10
            assert (await s.execute(text("SELECT 1 AS a, 'å' AS b"))).one()._asdict() == {"a": 1, "b": "å"}
        with pytest.raises(OperationalError, match="no such table"):
            async with db.read() as s:
                await s.execute(text("SELECT * FROM no_such_table"))
        results = await asyncio.gather(*(read_one(db, n) for n in range(200)))  # more than the pool holds
        assert results == list(range(200))
    finally:
        await db.dispose()


async def read_one(db: Database, n: int) -> int:
    async with db.read() as s:
        first = int(await s.scalar(text("SELECT :n"), {"n": n}))
        await asyncio.sleep(0.01)  # a session holding its connection across an await
        return first + int(await s.scalar(text("SELECT 0")))
