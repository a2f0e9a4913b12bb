"""Statements built once run on the driver's connection directly (`storage.compiled`: sqlite3 for
SQLite's writer, asyncpg for PostgreSQL's one-statement writes): what they store reads back as
SQLAlchemy would have stored it, failures are SQLAlchemy's errors without the values, and statements
only SQLAlchemy can run (Python-side defaults, `IN` lists, statements built for each call) still go
through it."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from adapters.memory import Chat
from storage.compiled import CompiledStatements, built_once
from storage.leases import Leases
from storage.models.core import Member, Network
from storage.models.ideas import PracticeIdea
from storage.models.runtime import ScheduledJob
from storage.repositories.ideas import Ideas
from tests.conftest import join_the_network

NO_SUCH_JOB = built_once(update(ScheduledJob.__table__).where(ScheduledJob.key == "none").values(kind="y"))


@pytest.fixture
async def both_chat(any_database_url: str) -> AsyncIterator[Chat]:
    chat = await Chat.start(any_database_url)
    yield await join_the_network(chat)
    await chat.close()


async def kari(chat: Chat) -> tuple[Network, Member]:
    async with chat.bot.db.read() as s:
        member = await s.scalar(select(Member).where(Member.user_id == "kari"))
        assert member is not None
        network = await s.get(Network, member.network_id)
    assert network is not None
    return network, member


def statements_through_sqlalchemy(chat: Chat) -> list[str]:
    """Every statement SQLAlchemy runs for writes from now on (but BEGIN)."""
    seen: list[str] = []
    db = chat.bot.db
    engine = db.writer.engine if db.writer is not None else db.engine
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda *args: seen.append(args[2]) if args[2] != "BEGIN IMMEDIATE" else None,
    )
    return seen


async def test_an_idea_and_where_it_was_posted_are_written_directly_and_read_back_the_same(both_chat: Chat) -> None:
    db = both_chat.bot.db
    network, member = await kari(both_chat)
    through_sqlalchemy = statements_through_sqlalchemy(both_chat)
    now = both_chat.clock.now()
    text = "Vennskapsbenk «ute» 💬 — prøv\nto linjer"
    async with db.one_statement() as s:
        idea_id = await Ideas(s).add(network.id, member, text, ["friminutt", "ute"], now)
    where: dict[str, Any] = {"platform": "memory", "id": "generelt", "thread_id": None, "nested": {"a": [1, 2]}}
    async with db.one_statement() as s:
        await Ideas(s).set_posted(idea_id, where, "m-1")
    assert through_sqlalchemy == []
    async with db.read() as s:
        stored = await s.get(PracticeIdea, idea_id)
    assert stored is not None
    assert (stored.text, stored.tags, stored.posted_in, stored.posted_message_id) == (
        text, ["friminutt", "ute"], where, "m-1",
    )  # fmt: skip
    assert stored.created_at == now and stored.created_at.utcoffset() == timedelta(0)


async def test_a_direct_write_that_fails_is_sqlalchemys_error_without_what_was_written(both_chat: Chat) -> None:
    network, member = await kari(both_chat)
    member.id = 987654  # no such member: the foreign key refuses the idea
    with pytest.raises(IntegrityError) as failed:
        async with both_chat.bot.db.one_statement() as s:
            await Ideas(s).add(network.id, member, "Hemmelig tekst om Ola", [], both_chat.clock.now())
    assert "foreign key" in str(failed.value).lower()
    assert "Hemmelig" not in str(failed.value) and "Hemmelig" not in repr(failed.value.params)


async def test_statements_only_sqlalchemy_can_run_still_run(both_chat: Chat) -> None:
    db, now = both_chat.bot.db, both_chat.clock.now()
    through_sqlalchemy = statements_through_sqlalchemy(both_chat)
    async with db.one_statement() as s:  # `status` and `attempts` have defaults computed in Python
        await s.execute(insert(ScheduledJob.__table__), {"key": "a", "kind": "x", "run_at": now})
    jobs = Leases(ScheduledJob, ScheduledJob.run_at, "running")
    async with db.session() as s:
        claimed = await jobs.claim(s, now, timedelta(minutes=1))
    async with db.one_statement() as s:  # an IN list, expanded when it runs
        assert await jobs.renew(s, [job.id for job in claimed], now + timedelta(minutes=5)) == 1
    async with db.one_statement() as s:  # no rows match: a direct write says so
        result = await s.execute(NO_SUCH_JOB)
        assert result.rowcount == 0
    assert any(sql.startswith("INSERT INTO scheduled_jobs") for sql in through_sqlalchemy)
    assert any(sql.startswith("UPDATE scheduled_jobs") and " IN " in sql for sql in through_sqlalchemy)
    async with db.read() as s:
        job = await s.scalar(select(ScheduledJob).where(ScheduledJob.key == "a"))
    assert job is not None and (job.status, job.attempts, job.locked_until) == (
        "running",
        1,
        now + timedelta(minutes=5),
    )


def test_only_statements_built_once_get_plans() -> None:
    """A statement built for each call would be compiled each time and kept: SQLAlchemy runs it."""
    statements = CompiledStatements(sqlite.dialect())
    for name in ("a", "b", "c"):
        assert statements.plan(update(Network.__table__).values(name=name), None) is None
    once = built_once(update(Network.__table__).values(name=bindparam("name")))
    assert statements.plan(once, {"name": "a"}) is statements.plan(once, {"name": "b"}) is not None


async def test_trying_an_idea_writes_directly_on_sqlite(network_chat: Chat) -> None:
    """`/ide prøv` is a unit of several statements: on SQLite's writer they all skip SQLAlchemy."""
    await network_chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    through_sqlalchemy = statements_through_sqlalchemy(network_chat)
    replies = await network_chat.say("ola", "/ide prøv 1")
    assert "idé 1" in replies[-1].text.lower()
    assert through_sqlalchemy == []
    async with network_chat.bot.db.read() as s:
        assert await s.scalar(select(ScheduledJob.kind).where(ScheduledJob.kind == "ideas.follow_up")) is not None


async def test_a_list_of_ideas_is_read_directly_on_both_databases(both_chat: Chat) -> None:
    await both_chat.say("kari", "/ide Vennskapsbenk «ute» 💬 #friminutt")
    await both_chat.say("per", "/ide prøv 1")
    db = both_chat.bot.db
    network, _member = await kari(both_chat)
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    engine = db._read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        async with db.read() as s:
            listed = await Ideas(s).summaries(network.id, "ute")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert [sql for sql in seen if "practice_ideas" in sql] == []
    [idea] = listed
    assert (idea.idea.text, idea.idea.tags, idea.author_school, idea.trying) == (
        "Vennskapsbenk «ute» 💬 #friminutt", ["friminutt"], "Nordby skole", 1,
    )  # fmt: skip
