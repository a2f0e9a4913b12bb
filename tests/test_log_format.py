"""The log as an operator reads it: JSON lines on request, and nothing while the bot is idle."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.memory import Chat
from bot.logs import LIBRARY_LEVELS, configure_logging


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in LIBRARY_LEVELS})
    stream = io.StringIO()
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def _point_at(stream: io.StringIO) -> None:
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "samskap", False)]
    handler.setStream(stream)  # type: ignore[attr-defined]


def test_json_format_writes_one_object_per_line_with_event_fields(captured: io.StringIO) -> None:
    configure_logging("INFO", log_format="json")
    _point_at(captured)
    logging.getLogger("samskap.test").info("job done", extra={"kind": "digest.weekly", "duration_ms": 12.5})
    [line] = captured.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO" and record["logger"] == "samskap.test" and record["message"] == "job done"
    assert record["kind"] == "digest.weekly" and record["duration_ms"] == 12.5 and "timestamp" in record


def test_a_busy_worker_does_not_log_each_skipped_tick(captured: io.StringIO) -> None:
    configure_logging("INFO")
    _point_at(captured)
    skipped = 'Execution of job "tick" skipped: maximum number of running instances reached (1)'
    logging.getLogger("apscheduler.scheduler").warning(skipped)
    logging.getLogger("apscheduler.scheduler").error("a real failure")
    assert "skipped" not in captured.getvalue() and "a real failure" in captured.getvalue()


async def test_an_idle_bot_writes_nothing_at_info(captured: io.StringIO, database_url: str) -> None:
    chat = await Chat.start(database_url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby skole")
        configure_logging("INFO")
        _point_at(captured)
        chat.bot.scheduler.start()  # the real APScheduler ticking every second, as in production
        for _ in range(5):
            await chat.advance(timedelta(minutes=1))
        import asyncio

        await asyncio.sleep(2.5)  # let APScheduler run its one-second tick a few times
    finally:
        await chat.close()
    assert captured.getvalue().splitlines() == []
