"""SQLite's writer: writes that come in together share one commit, each acknowledged after it."""

import asyncio
import threading
from datetime import UTC, datetime

from sqlalchemy import bindparam, event, func, insert, select, update

import storage.db
from adapters.memory import Chat
from storage.compiled import built_once
from storage.db import Database
from storage.models.core import Network
from storage.models.ideas import PracticeIdea
from storage.models.runtime import ScheduledJob
from tests.conftest import join_the_network


async def test_commands_that_come_in_together_share_a_commit(tmp_path) -> None:
    chat = await Chat.start(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        names = [f"m{i}" for i in range(20)]
        for i, name in enumerate(names):
            await chat.say(name, f"/samskap bli-med Skole {i}")
        await asyncio.gather(*(chat.say(name, "/ideer") for name in names))  # who they are is remembered
        db = chat.bot.db
        assert db.writer is not None
        committed_before = db.writer._commits
        stored_when_answered: list[int] = []

        async def post(name: str) -> None:
            await chat.say(name, f"/ide Uteskole for {name}")
            async with db.read() as s:  # answered only once committed: another connection sees it
                stored_when_answered.append(
                    await s.scalar(select(func.count()).where(PracticeIdea.text == f"Uteskole for {name}"))
                )

        # Each command writes twice (the idea, then where its card was posted); nobody waits for
        # the writer as each write begins, yet the other commands are ready to run.
        await asyncio.gather(*(post(name) for name in names))
        assert db.writer._commits - committed_before <= 4
        assert stored_when_answered == [1] * len(names)
    finally:
        await chat.close()


async def test_a_unit_of_work_can_use_its_connection_directly(tmp_path) -> None:
    # The writer's statements run inline, never waiting; the connection a session gives must still take them.
    chat = await Chat.start(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        db = chat.bot.db
        async with db.session() as s:
            connection = await s.connection()
            job = {"key": "k", "kind": "x", "run_at": chat.clock.now()}
            await connection.execute(insert(ScheduledJob.__table__), job)
            await connection.exec_driver_sql("UPDATE scheduled_jobs SET kind = 'y' WHERE key = 'k'")
        async with db.read() as s:
            assert await s.scalar(select(ScheduledJob.kind).where(ScheduledJob.key == "k")) == "y"
    finally:
        await chat.close()


async def test_a_unit_of_work_does_not_keep_the_writer_once_its_block_has_ended(tmp_path) -> None:
    # Units whose blocks do not wait for anything never wait for one another: ending a unit
    # must not give the event loop a turn while the writer is still held.
    chat = await Chat.start(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        db, now = chat.bot.db, chat.clock.now()
        assert db.writer is not None
        waiting_seen: list[int] = []

        async def add(key: str) -> None:
            async with db.session() as s:
                await s.execute(insert(ScheduledJob.__table__), {"key": key, "kind": "x", "run_at": now})
                waiting_seen.append(db.writer.waiting)

        await asyncio.gather(*(add(f"k{i}") for i in range(20)))
        assert waiting_seen == [0] * 20
    finally:
        await chat.close()


async def test_closing_the_database_waits_for_a_checkpoint_under_way(tmp_path, monkeypatch) -> None:
    # A checkpoint that outlived the close kept a connection's thread running, and the process never exited.
    monkeypatch.setattr(storage.db, "CHECKPOINT_EVERY", 1)
    before = set(threading.enumerate())
    db = Database(f"sqlite:///{tmp_path / 'samskap.db'}")
    await db.migrate()
    async with db.session() as s:
        await s.execute(insert(ScheduledJob.__table__), {"key": "k", "kind": "x", "run_at": datetime.now(UTC)})
    await db.dispose()
    await asyncio.sleep(0.2)
    assert [t.name for t in threading.enumerate() if t not in before and t.is_alive()] == []


# Built once, so that a unit of work runs them on the writer's connection directly.
ADD_JOB = built_once(insert(ScheduledJob.__table__))
JOB_KINDS = built_once(select(ScheduledJob.key, ScheduledJob.kind).order_by(ScheduledJob.key))
RENAME_NETWORK = built_once(update(Network.__table__).values(name=bindparam("new_name")))


def job(key: str, now: datetime) -> dict[str, object]:
    return {"key": key, "kind": "x", "run_at": now, "planned_at": now, "payload": {}, "status": "pending",
            "attempts": 0}  # fmt: skip


async def test_a_unit_that_fails_after_direct_writes_leaves_nothing_and_the_others_keep_theirs(tmp_path) -> None:
    chat = await Chat.start(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        db, now = chat.bot.db, chat.clock.now()
        through_sqlalchemy: list[str] = []
        event.listen(db.writer.engine.sync_engine, "before_cursor_execute",  # type: ignore[union-attr]
                     lambda *args: through_sqlalchemy.append(args[2]))  # fmt: skip

        async def fails() -> None:
            async with db.session() as s:
                await s.execute(ADD_JOB, job("lost", now))
                await s.execute(ADD_JOB, job("lost too", now))
                raise RuntimeError("the second step failed")

        async def keeps(key: str) -> None:
            async with db.session() as s:
                await s.execute(ADD_JOB, job(key, now))

        outcomes = await asyncio.gather(keeps("a"), fails(), keeps("b"), return_exceptions=True)
        assert isinstance(outcomes[1], RuntimeError) and outcomes[0] is None and outcomes[2] is None
        async with db.read() as s:
            assert (await s.execute(JOB_KINDS)).all() == [("a", "x"), ("b", "x")]
        assert not [sql for sql in through_sqlalchemy if "scheduled_jobs" in sql]
    finally:
        await chat.close()


async def test_a_direct_statement_sees_what_the_session_holds_and_members_change_through_sqlalchemy(
    tmp_path,
) -> None:
    chat = await Chat.start(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        await join_the_network(chat)
        db, now = chat.bot.db, chat.clock.now()
        async with db.session() as s:
            s.add(ScheduledJob(**job("added", now)))  # not flushed yet
            assert ("added", "x") in (await s.execute(JOB_KINDS)).all()
            (await s.scalars(select(ScheduledJob).where(ScheduledJob.key == "added"))).one().kind = "changed"
            assert ("added", "changed") in (await s.execute(JOB_KINDS)).all()
        await chat.say("kari", "/ideer")  # who kari is, and her network, are remembered
        assert db.lookups.remembered_keys()
        async with db.session() as s:  # a change to networks: the remembered lookups must hear of it
            await s.execute(RENAME_NETWORK, {"new_name": "Nytt navn"})
        assert db.lookups.remembered_keys() == []
    finally:
        await chat.close()
