"""Operations on PostgreSQL: several workers starting at once, and a database that cuts connections."""

import asyncio
import logging
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from adapters.memory import Chat
from storage.db import Database


async def test_several_workers_migrate_a_fresh_database_at_once(postgres_url: str) -> None:
    workers = [Database(postgres_url) for _ in range(4)]
    try:
        await asyncio.gather(*(db.migrate() for db in workers))
    finally:
        for db in workers:
            await db.dispose()
    chat = await Chat.start(postgres_url)
    try:
        assert "Velkommen" in (await chat.say("kari", "/samskap bli-med Nordby"))[0].text
    finally:
        await chat.close()


async def test_the_next_command_succeeds_after_the_database_ends_every_connection(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await Chat.start(postgres_url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby")
        await chat.say("kari", "/ide Vennskapsbenk")
        await asyncio.gather(*(chat.say("kari", "/ideer") for _ in range(5)))  # several pooled connections
        admin = await asyncpg.connect(postgres_url)
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        assert ended >= 1
        await asyncio.sleep(0.2)  # a worker is idle for a moment between events
        caplog.clear()
        replies = await chat.say("kari", "/ide Uteskole hver fredag")
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert "went wrong" not in replies[0].text
        assert "Uteskole" in (await chat.say("kari", "/ideer"))[0].text
    finally:
        await chat.close()


async def test_a_worker_waits_for_a_connection_when_the_database_allows_no_more(postgres_url: str) -> None:
    role = f"samskap_limited_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 3")
    await admin.execute(f"GRANT ALL ON SCHEMA public TO {role}")
    limited_url = postgres_url.replace("postgres@", f"{role}@", 1)
    migrated = Database(postgres_url)
    await migrated.migrate()
    await migrated.dispose()
    db = Database(limited_url, pool_size=10)
    try:

        async def slow_read() -> int:
            async with db.read() as s:
                return int(await s.scalar(text("SELECT 1 FROM pg_sleep(0.05)")))

        assert await asyncio.gather(*(slow_read() for _ in range(12))) == [1] * 12
    finally:
        await db.dispose()
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()
