from datetime import UTC, datetime, timedelta

from adapters.memory import Chat
from bot.scheduler import JobRun, Late, next_cron_time


def test_crontab_weekdays_count_from_sunday_and_follow_the_network_time_zone() -> None:
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    monday_8 = next_cron_time("0 8 * * 1", "Europe/Oslo", friday)
    assert monday_8 == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 in Oslo (CET)
    assert next_cron_time("0 8 * * 0", "Europe/Oslo", friday).weekday() == 6
    assert next_cron_time("0 8 * * 1-5", "Europe/Oslo", friday) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    summer = next_cron_time("0 8 * * mon", "Europe/Oslo", datetime(2026, 6, 3, tzinfo=UTC))
    assert summer == datetime(2026, 6, 8, 6, 0, tzinfo=UTC)  # 08:00 in Oslo (CEST)


async def test_recurring_job_runs_each_week_and_a_failing_job_is_retried(chat: Chat) -> None:
    runs: list[str] = []
    fail = {"left": 1}

    async def weekly(payload: dict, run: JobRun) -> None:
        if fail["left"]:
            fail["left"] -= 1
            raise RuntimeError("a passing fault")
        runs.append(payload["n"])

    chat.bot.scheduler.handler("test.weekly", grace=timedelta(days=1), late=Late.SKIP)(weekly)
    await chat.bot.scheduler.every("test.weekly", "0 8 * * 1", "Europe/Oslo", {"n": "x"}, key="weekly")
    await chat.advance(timedelta(days=7))  # first run fails
    assert runs == []
    await chat.advance(timedelta(minutes=5))  # retried after a back-off
    assert runs == ["x"]
    await chat.advance(timedelta(days=7))
    assert runs == ["x", "x"]


async def test_a_running_job_keeps_its_lease_and_a_dead_workers_job_is_taken_over_after_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A job that runs longer than the lease keeps it (the worker renews it); a job whose worker died
    is run by another worker once the lease is over, not minutes later."""
    import asyncio
    from datetime import timedelta

    from bot.clock import SystemClock
    from bot.scheduler import Late, Scheduler
    from storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    await db.migrate()
    lease = timedelta(seconds=0.6)
    first, second = Scheduler(db, SystemClock(), lease=lease), Scheduler(db, SystemClock(), lease=lease)
    runs: list[str] = []
    release = asyncio.Event()

    async def slow(_payload: dict, _run: object) -> None:
        runs.append("first")
        await release.wait()

    async def quick(_payload: dict, _run: object) -> None:
        runs.append("second")

    first.handler("work", grace=timedelta(hours=1), late=Late.RUN)(slow)  # type: ignore[arg-type]
    second.handler("work", grace=timedelta(hours=1), late=Late.RUN)(quick)  # type: ignore[arg-type]
    try:
        await first.schedule("work", SystemClock().now(), {}, key="work:1")
        running = asyncio.create_task(first.run_due())
        await asyncio.sleep(1.5)  # more than two leases: the first worker has renewed it meanwhile
        assert await second.run_due() == 0 and runs == ["first"]
        running.cancel()  # the first worker "dies": its renewals stop with it
        await asyncio.gather(running, return_exceptions=True)
        await asyncio.sleep(0.8)
        assert await second.run_due() == 1 and runs == ["first", "second"]
    finally:
        release.set()
        await db.dispose()
