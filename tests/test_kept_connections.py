"""PostgreSQL: one-statement writes run on a few connections kept out of the pool (`KeptConnections`),
and a connection whose statement failed or was stopped half-way is not kept."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from storage.compiled import built_once
from storage.db import KEPT_CONNECTIONS, Database
from storage.models.runtime import ScheduledJob
from tests.conftest import fresh_postgres_database

pytestmark = pytest.mark.postgres

COUNT_JOBS = built_once(select(func.count()).select_from(ScheduledJob))


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with fresh_postgres_database() as url:
        database = Database(url)
        await database.migrate()
        yield database
        await database.dispose()


async def add_job(db: Database, key: str) -> None:
    async with db.one_statement() as s:
        await s.execute(text("INSERT INTO scheduled_jobs (key, kind, run_at, status, attempts, payload) "
                             "VALUES (:key, 'x', now(), 'pending', 0, '{}')"), {"key": key})  # fmt: skip


async def test_one_statement_writes_take_nothing_from_the_pool_once_their_connections_are_kept(db: Database) -> None:
    await asyncio.gather(*(add_job(db, f"first{n}") for n in range(KEPT_CONNECTIONS)))
    checkouts: list[object] = []
    event.listen(db.engine.sync_engine, "checkout", lambda *args: checkouts.append(args))
    for n in range(50):
        await add_job(db, f"kept{n}")
    assert checkouts == []
    # More at once than are kept: the others take connections from the pool, and all are written.
    await asyncio.gather(*(add_job(db, f"burst{n}") for n in range(3 * KEPT_CONNECTIONS)))
    assert len(checkouts) >= KEPT_CONNECTIONS
    async with db.read() as s:
        assert await s.scalar(COUNT_JOBS) == KEPT_CONNECTIONS + 50 + 3 * KEPT_CONNECTIONS


async def test_a_failed_statement_or_a_connection_the_server_closed_costs_no_later_write(db: Database) -> None:
    await add_job(db, "a")
    with pytest.raises(IntegrityError):
        await add_job(db, "a")  # the same key again: that connection is not kept
    await asyncio.gather(*(add_job(db, f"before{n}") for n in range(KEPT_CONNECTIONS)))
    async with db.read() as s:  # the server ends every other connection to this database (a restart, a failover)
        await s.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))  # fmt: skip
    await asyncio.sleep(0.3)
    for n in range(2 * KEPT_CONNECTIONS):  # none of them fails on a connection the server closed
        await add_job(db, f"after{n}")
    async with db.read() as s:
        assert await s.scalar(COUNT_JOBS) == 1 + 3 * KEPT_CONNECTIONS
