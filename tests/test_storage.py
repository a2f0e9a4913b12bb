"""Storage, scheduler and outbox behaviour that must hold on SQLite and PostgreSQL alike."""

import asyncio
from datetime import timedelta

from adapters.memory import Chat, MemoryAdapter
from bot.adapter import DeliveryError, Destination
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from bot.messages import Message
from bot.scheduler import JobRun, Late
from tests.support import dms_to


async def test_ideas_and_follow_ups_work_on_both_databases(any_database_url: str) -> None:
    chat = await Chat.start(any_database_url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby")
        await chat.say("ola", "/samskap bli-med Sørby")
        await chat.say("kari", "/ide Vennskapsbenk")
        await chat.say("ola", "/ide prøv 1")
        await chat.advance(timedelta(days=15))
        assert len(dms_to(chat, "ola")) == 1
        listing = (await chat.say("ola", "/ideer benk"))[0].text
        assert "Vennskapsbenk" in listing
    finally:
        await chat.close()


async def test_two_workers_run_a_due_job_once(any_database_url: str) -> None:
    clock = FakeClock()
    a = await build_bot(Config(database_url=any_database_url), clock=clock, adapters=[MemoryAdapter()])
    b = await build_bot(Config(database_url=any_database_url), clock=clock, adapters=[MemoryAdapter()], migrate=False)
    runs: list[str] = []

    async def job(payload: dict, run: JobRun) -> None:
        runs.append(payload["who"])
        await asyncio.sleep(0.01)

    for worker in (a, b):
        worker.scheduler.handler("test.job", grace=timedelta(minutes=5), late=Late.RUN)(job)
    for i in range(20):
        await a.scheduler.schedule("test.job", clock.now(), {"who": str(i)}, key=f"job-{i}")
    await asyncio.gather(a.scheduler.run_due(), b.scheduler.run_due())
    assert sorted(runs, key=int) == [str(i) for i in range(20)]
    await a.db.dispose()
    await b.db.dispose()


async def test_outbox_retries_a_rate_limited_message_and_never_sends_twice(any_database_url: str) -> None:
    clock = FakeClock()
    adapter = MemoryAdapter()
    bot = await build_bot(Config(database_url=any_database_url), clock=clock, adapters=[adapter])
    dest = Destination.channel(adapter.channel())
    adapter.failures = [DeliveryError("rate_limited", retryable=True, retry_after=30)]
    first = await bot.outbox.deliver("digest:1", dest, Message.text("hei"))
    assert first.status == "pending" and adapter.sent == []
    clock.advance(timedelta(seconds=31))
    await bot.outbox.retry_due()
    again = await bot.outbox.deliver("digest:1", dest, Message.text("hei"))
    await bot.outbox.retry_due()
    assert again.status == "duplicate"
    assert [s.text for s in adapter.sent] == ["hei"]
    await bot.db.dispose()


async def test_outbox_gives_up_on_a_permanent_error_and_keeps_the_message(any_database_url: str) -> None:
    clock = FakeClock()
    adapter = MemoryAdapter()
    bot = await build_bot(Config(database_url=any_database_url), clock=clock, adapters=[adapter])
    adapter.failures = [DeliveryError("channel_not_found", retryable=False)]
    result = await bot.outbox.deliver("x", Destination.channel(adapter.channel()), Message.text("behold meg"))
    assert result.status == "failed"
    row = await bot.outbox.get("x")
    assert row is not None and Message.from_dict(row.message).plain_text() == "behold meg"
    await bot.db.dispose()
