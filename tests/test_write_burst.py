"""Many members writing at the same moment: every write is kept and answered, on both databases."""

import asyncio
import logging

import pytest
from sqlalchemy import func, insert, select

import storage.db
from adapters.memory import Chat
from storage.models.ideas import PracticeIdea
from storage.models.runtime import ScheduledJob

MEMBERS = 100


async def test_a_burst_of_joins_ideas_and_adoptions_never_fails(
    any_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await Chat.start(any_database_url)
    try:
        names = [f"m{i}" for i in range(MEMBERS)]
        await asyncio.gather(*(chat.say(name, f"/samskap bli-med Skole {i}") for i, name in enumerate(names)))
        await asyncio.gather(*(chat.say(name, f"/ide Uteskole nummer {i}") for i, name in enumerate(names)))
        await asyncio.gather(*(chat.say(name, f"/ide prøv {1 + i % 5}") for i, name in enumerate(names)))
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        async with chat.bot.db.read() as s:
            assert await s.scalar(select(func.count()).select_from(PracticeIdea)) == MEMBERS
    finally:
        await chat.close()


async def test_commands_wait_for_a_long_write_instead_of_failing_with_database_locked(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No waiting for SQLite's lock at all: a second connection that wants to write fails at once.
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 0)
    chat = await Chat.start(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        names = [f"m{i}" for i in range(20)]
        for i, name in enumerate(names):
            await chat.say(name, f"/samskap bli-med Skole {i}")
        holding, release = asyncio.Event(), asyncio.Event()

        async def long_write() -> None:
            async with chat.bot.db.session() as s:
                await s.execute(insert(ScheduledJob), {"key": "long", "kind": "x", "run_at": chat.clock.now()})
                holding.set()
                await release.wait()

        writer = asyncio.create_task(long_write())
        await holding.wait()
        commands = [asyncio.create_task(chat.say(name, f"/ide Uteskole nummer {i}")) for i, name in enumerate(names)]
        for _ in range(20):  # let every command reach its write
            await asyncio.sleep(0.01)
        release.set()
        await asyncio.gather(writer, *commands)
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        async with chat.bot.db.read() as s:
            assert await s.scalar(select(func.count()).select_from(PracticeIdea)) == len(names)
    finally:
        await chat.close()


async def test_a_unit_that_fails_leaves_the_others_in_its_group_alone(tmp_path) -> None:
    chat = await Chat.start(f"sqlite:///{tmp_path / 'samskap.db'}")
    try:
        now = chat.clock.now()

        async def add(key: str) -> None:
            async with chat.bot.db.session() as s:
                await s.execute(insert(ScheduledJob), {"key": key, "kind": "x", "run_at": now})

        keys = ["kari-a", "kari-b", "kari-a", "kari-c", "kari-b", "kari-d"]
        results = await asyncio.gather(*(add(k) for k in keys), return_exceptions=True)
        failures = [r for r in results if isinstance(r, Exception)]
        assert [type(r).__name__ for r in failures] == ["IntegrityError", "IntegrityError"]
        assert not [f for f in failures if "kari" in str(f)]  # the values are kept out of the message (logs)
        async with chat.bot.db.read() as s:
            stored = set(await s.scalars(select(ScheduledJob.key).where(ScheduledJob.kind == "x")))
        assert stored == set(keys)
    finally:
        await chat.close()
