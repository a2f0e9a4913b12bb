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
