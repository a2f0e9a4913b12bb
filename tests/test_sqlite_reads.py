"""SQLite reads run on the event loop's thread (most take microseconds; a trip to a thread cost more
than the read), and a long one is moved to a thread so that it does not hold up everyone else.
Reads of plain columns that a module built once run on sqlite3 directly (`storage.reads`), and
answer as SQLAlchemy would."""

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Executable, Integer, MetaData, Table, bindparam, event, func, literal, select, text
from sqlalchemy.exc import OperationalError

from adapters.memory import Chat
from storage.compiled import built_once
from storage.db import Database
from storage.models.core import Member
from storage.reads import LOOP_READ_SECONDS
from storage.repositories.ideas import Ideas, _search_statement
from tests.support import eventually

COUNT_TO = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :top) SELECT count(*) FROM n")


def _counted() -> Executable:
    n = select(literal(1).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < bindparam("top")))
    return built_once(select(func.count()).select_from(n))


COUNTED = _counted()  # the same count, run directly


def through_sqlalchemy(db: Database) -> list[str]:
    """Every statement SQLAlchemy runs for reads from now on."""
    seen: list[str] = []
    event.listen(db._read_engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


@pytest.mark.parametrize("count_to", [COUNT_TO, COUNTED], ids=["through_sqlalchemy", "directly"])
async def test_a_long_read_is_moved_off_the_event_loop_and_the_others_go_on(
    tmp_path: Path, count_to: Executable
) -> None:
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
            assert await s.scalar(count_to, {"top": 2_000_000}) == 2_000_000
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


async def test_a_list_of_ideas_is_read_directly_and_reads_back_as_through_sqlalchemy(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk «ute» 💬 i friminuttet #friminutt #ute")
    await chat.say("ola", "/ide Uteskole hver fredag")
    await chat.say("per", "/ide prøv 1")
    db = chat.bot.db
    seen = through_sqlalchemy(db)
    async with db.read() as s:
        network_id = await s.scalar(select(Member.network_id).where(Member.user_id == "kari"))
        listed = await Ideas(s).summaries(network_id, "friminutt ute")
        direct = (
            await s.execute(
                _search_statement(2), {"network_id": network_id, "limit": 10, "word0": "%friminutt%", "word1": "%ute%"}
            )
        ).all()
    assert [sql for sql in seen if "practice_ideas" in sql] == []
    assert [(i.idea.id, i.idea.tags, i.trying) for i in listed] == [(1, ["friminutt", "ute"], 1)]
    # The same statement through SQLAlchemy (an execution option sends it there): the same rows and names.
    async with db.read() as s:
        params = {"network_id": network_id, "limit": 10, "word0": "%friminutt%", "word1": "%ute%"}
        through = (await s.execute(_search_statement(2), params, execution_options={"compiled_cache": None})).all()
    assert [sql for sql in seen if "practice_ideas" in sql] != []
    assert direct == through and [row._fields for row in direct] == [row._fields for row in through]
    assert direct[0].text == "Vennskapsbenk «ute» 💬 i friminuttet #friminutt #ute"


async def test_a_direct_read_that_fails_is_sqlalchemys_error_and_objects_still_load(network_chat: Chat) -> None:
    missing = Table("no_such_table", MetaData(), Column("secret", Integer))
    query = built_once(select(missing.c.secret).where(missing.c.secret == bindparam("value")))
    with pytest.raises(OperationalError, match="no such table") as failed:
        async with network_chat.bot.db.read() as s:
            await s.execute(query, {"value": 424242})
    assert "424242" not in str(failed.value)
    members = built_once(select(Member).where(Member.user_id == bindparam("user_id")))
    async with network_chat.bot.db.read() as s:
        kari = await s.scalar(members, {"user_id": "kari"})
    assert isinstance(kari, Member) and kari.display_name


async def test_a_read_moved_to_a_thread_keeps_its_connection_until_the_thread_is_done(tmp_path: Path) -> None:
    """Whoever asked may stop waiting (cancelled); the thread still reads on that connection."""
    db = Database(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        await db.migrate()
        reads = db._loop_reads
        assert reads is not None

        async def long_read() -> int:
            async with db.read() as s:
                return int(await s.scalar(COUNTED, {"top": 3_000_000}))

        reading = asyncio.create_task(long_read())
        await asyncio.sleep(0.05)  # past its time on the event loop's thread: on a thread now
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        assert reads._spare == [], "the connection was handed out again while its thread still read"
        await eventually(lambda: len(reads._spare) == 1, what="the connection spare again", within=30)
        async with db.read() as s:
            assert await s.scalar(COUNTED, {"top": 10}) == 10
    finally:
        await db.dispose()
