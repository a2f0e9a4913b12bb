"""`db.one_statement()`: one statement, no session; it fails alone and keeps the lookups' rule."""

import asyncio

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.memory import Chat
from storage.models.core import Member
from storage.models.runtime import ScheduledJob


async def test_a_statement_that_fails_leaves_the_others_written_beside_it_alone(any_database_url: str) -> None:
    chat = await Chat.start(any_database_url)
    try:
        now = chat.clock.now()

        async def add(key: str) -> None:
            async with chat.bot.db.one_statement() as s:
                await s.execute(insert(ScheduledJob.__table__), {"key": key, "kind": "x", "run_at": now})

        keys = ["kari-a", "kari-b", "kari-a", "kari-c", "kari-b", "kari-d"]
        results = await asyncio.gather(*(add(k) for k in keys), return_exceptions=True)
        assert [type(r).__name__ for r in results if isinstance(r, Exception)] == ["IntegrityError", "IntegrityError"]
        async with chat.bot.db.read() as s:
            stored = set(await s.scalars(select(ScheduledJob.key).where(ScheduledJob.kind == "x")))
        assert stored == set(keys)
    finally:
        await chat.close()


async def test_a_failed_statement_inside_a_unit_of_work_keeps_the_units_other_writes(database_url: str) -> None:
    # SQLite: the statement joins the unit's transaction (on PostgreSQL it has a connection of its own).
    chat = await Chat.start(database_url)
    try:
        db, now = chat.bot.db, chat.clock.now()
        async with db.session() as s:
            await s.execute(insert(ScheduledJob), {"key": "first", "kind": "x", "run_at": now})
            with pytest.raises(IntegrityError):
                async with db.one_statement() as one:
                    await one.execute(insert(ScheduledJob.__table__), {"key": "first", "kind": "x", "run_at": now})
            await s.execute(insert(ScheduledJob), {"key": "second", "kind": "x", "run_at": now})
        async with db.read() as s:
            stored = set(await s.scalars(select(ScheduledJob.key).where(ScheduledJob.kind == "x")))
        assert stored == {"first", "second"}
    finally:
        await chat.close()


async def test_members_are_not_changed_in_one_statement(network_chat: Chat) -> None:
    # Outside a session the change would not be noticed, and every worker would go on using the old member.
    db = network_chat.bot.db
    with pytest.raises(RuntimeError, match=r"db\.session"):
        async with db.one_statement() as s:
            await s.execute(update(Member).values(display_name="Someone else"))
    async with db.read() as s:
        assert await s.scalar(select(func.count()).where(Member.display_name == "Someone else")) == 0


async def test_one_statement_offers_nothing_but_the_statement(network_chat: Chat) -> None:
    with pytest.raises(AttributeError, match=r"db\.session"):
        async with network_chat.bot.db.one_statement() as s:
            s.add(ScheduledJob(key="k", kind="x", run_at=network_chat.clock.now()))
