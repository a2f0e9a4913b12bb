"""A new network's weekly digest job, when many events and workers see the network at once."""

import asyncio
import logging

import pytest
from sqlalchemy import select

from adapters.memory import MemoryAdapter
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from storage.models.runtime import ScheduledJob


async def test_a_new_network_gets_one_digest_job_when_two_workers_see_it_at_once(
    any_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    adapters = [MemoryAdapter(), MemoryAdapter()]
    a = await build_bot(Config(database_url=any_database_url), clock=clock, adapters=[adapters[0]])
    b = await build_bot(Config(database_url=any_database_url), clock=clock, adapters=[adapters[1]], migrate=False)
    try:
        joins = [
            bot.dispatch(adapter.command_event(f"{name}{i}", f"/samskap bli-med Skole {i}"), adapter)
            for i in range(40)
            for bot, adapter, name in ((a, adapters[0], "a"), (b, adapters[1], "b"))
        ]
        await asyncio.gather(*joins)
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        async with a.db.read() as s:
            jobs = list(await s.scalars(select(ScheduledJob.key).where(ScheduledJob.kind == "digest.weekly")))
        assert len(jobs) == 1
    finally:
        await a.db.dispose()
        await b.db.dispose()
