"""SIGTERM in the middle of a fan-out: the worker finishes or hands back what it holds, exits 0,
and the next worker sends the rest at once; every message arrives exactly once.

Real `samskap run` processes, as PID 1 of their own PID namespace where the machine allows it
(as in a container, where a process without its own SIGTERM handler never hears SIGTERM).
What arrived is counted on the fake platform's side.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from worker_processes import (
    Worker,
    all_sent,
    can_run_as_pid1,
    delivery_statuses,
    start_worker,
    store_fan_out,
)

from bot.adapter import Destination
from bot.events import Conversation
from storage.db import Database
from storage.models.runtime import Delivery
from tests.support import answers, eventually, free_port

FAN_OUT = 40
SIGTERM_AT = 8  # the post during which the worker is asked to stop
SIGNING_SECRET = "test-signing-secret"
# Short ticks, a short grace so the test is quick, and the lease left at its two minutes: the next
# worker can only finish soon if the stopping one handed its lease back.
SETTINGS = {"scheduler_tick_seconds": 0.1, "shutdown_grace_seconds": 2.0}


@dataclass
class Platform:
    """A fake platform, the destinations of the fan-out on it, and how a worker reaches it."""

    adapter: str
    destinations: list[Destination]
    env: dict[str, str]
    fake: Any
    port: int | None = None

    def counts(self) -> dict[str, int]:
        """Messages that arrived, by destination channel."""
        return {channel: len(messages) for channel, messages in self.fake.messages.items()}

    def channels(self) -> list[str]:
        return [d.conversation.id for d in self.destinations if d.conversation]


@pytest.fixture(params=["slack_http", "slack_socket_mode", "discord"])
async def platform(request: pytest.FixtureRequest) -> AsyncIterator[Platform]:
    """Each way a worker meets a platform: Slack over HTTP, Slack in Socket Mode, Discord."""
    if request.param == "discord":
        async with fake_discord() as found:
            yield found
        return
    async with fake_slack(socket_mode=request.param == "slack_socket_mode") as found:
        yield found


@pytest.fixture
async def slack_http() -> AsyncIterator[Platform]:
    async with fake_slack(socket_mode=False) as found:
        yield found


@asynccontextmanager
async def fake_slack(*, socket_mode: bool) -> AsyncIterator[Platform]:
    from fake_slack import FakeSlack

    fake = await FakeSlack().start()
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url}
    env.update({"SLACK_APP_TOKEN": "xapp-test"} if socket_mode else {"SLACK_SIGNING_SECRET": SIGNING_SECRET})
    try:
        yield Platform("slack", slack_channels(), env, fake, port=None if socket_mode else free_port())
    finally:
        await fake.close()


@asynccontextmanager
async def fake_discord() -> AsyncIterator[Platform]:
    from fake_discord import GUILD_ID, FakeDiscord

    fake = await FakeDiscord().start()
    env = {"DISCORD_BOT_TOKEN": "fake-token", "SAMSKAP_DISCORD_API_URL": fake.api_url,
           "SAMSKAP_DISCORD_GATEWAY_URL": fake.gateway_url}  # fmt: skip
    channels = [str(220000000000000000 + index) for index in range(FAN_OUT)]
    try:
        yield Platform("discord", [Destination.channel(Conversation("discord", GUILD_ID, c)) for c in channels],
                       env, fake)  # fmt: skip
    finally:
        await fake.close()


def slack_channels() -> list[Destination]:
    return [Destination.channel(Conversation("slack", "T1", f"C{index:03d}")) for index in range(FAN_OUT)]


async def stopping_mid_send(platform: Platform, tmp_path: Path, answer_after: float) -> tuple[int, float]:
    """Store the fan-out, start a worker, send it SIGTERM while its SIGTERM_AT-th post is waiting
    `answer_after` seconds for the platform's answer; returns its exit code and how long it took."""
    database_url = f"sqlite:///{tmp_path / 'samskap.db'}"
    await store_fan_out(database_url, platform.destinations)
    start = await start_worker("first", platform.adapter, tmp_path, database_url=database_url, env=platform.env,
                               settings=SETTINGS, port=platform.port, as_pid1=can_run_as_pid1())  # fmt: skip
    posts = 0
    asked_at: list[float] = []

    async def on_post(*_: Any) -> None:
        nonlocal posts
        posts += 1
        if posts == SIGTERM_AT:
            start.signal(signal.SIGTERM)
            asked_at.append(time.monotonic())
            await asyncio.sleep(answer_after)

    platform.fake.on_post = on_post
    try:
        code = await start.exit_code(within=60)
    finally:
        platform.fake.on_post = None
        await start.close()
    assert asked_at, f"the worker never got to post {SIGTERM_AT}:\n{start.output()}"
    return code, time.monotonic() - asked_at[0]


async def held_leases(database_url: str) -> list[str]:
    """Keys of deliveries some worker still holds a lease on."""
    db = Database(database_url)
    try:
        async with db.read() as s:
            query = select(Delivery.key, Delivery.locked_until).where(Delivery.status == "sending")
            rows = (await s.execute(query)).all()
    finally:
        await db.dispose()
    now = datetime.now(UTC)
    return [key for key, until in rows if until is not None and until.replace(tzinfo=UTC) > now]


async def the_next_worker_sends_the_rest(platform: Platform, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'samskap.db'}"
    assert await held_leases(database_url) == []
    port = free_port() if platform.port else None
    second = await start_worker("second", platform.adapter, tmp_path, database_url=database_url, env=platform.env,
                                settings=SETTINGS, port=port)  # fmt: skip
    try:
        await all_sent(database_url, FAN_OUT, within=60)
        second.signal(signal.SIGTERM)
        code = await second.exit_code(within=30)
    finally:
        await second.close()  # never left behind: it would post to whatever server takes the fake's port next
    assert code == 0, second.output()
    counts = platform.counts()
    # By channel, how many times a message that should have arrived once did (0: lost, 2: sent twice).
    assert {c: counts.get(c, 0) for c in platform.channels() if counts.get(c, 0) != 1} == {}


async def test_sigterm_mid_send_hands_the_send_back_and_exits_0(platform: Platform, tmp_path: Path) -> None:
    # The platform keeps the message but answers only after the grace: the worker stops waiting.
    code, took = await stopping_mid_send(platform, tmp_path, answer_after=SETTINGS["shutdown_grace_seconds"] + 6)
    assert code == 0
    assert took < SETTINGS["shutdown_grace_seconds"] + 8
    await the_next_worker_sends_the_rest(platform, tmp_path)


async def test_sigterm_lets_a_send_under_way_finish(slack_http: Platform, tmp_path: Path) -> None:
    code, _ = await stopping_mid_send(slack_http, tmp_path, answer_after=0.5)
    assert code == 0
    statuses = await delivery_statuses(f"sqlite:///{tmp_path / 'samskap.db'}")
    # The post under way was marked sent; the rest of the fan-out waits, unclaimed, for the next worker.
    assert statuses == {"sent": SIGTERM_AT, "pending": FAN_OUT - SIGTERM_AT}
    await the_next_worker_sends_the_rest(slack_http, tmp_path)


async def test_sigterm_stops_the_console_mid_fan_out(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'samskap.db'}"
    destinations = [Destination.channel(Conversation("console", "demo", "generelt"))] * 300
    await store_fan_out(database_url, destinations)
    first = await start_worker("first", "console", tmp_path, database_url=database_url, env={},
                               settings=SETTINGS, as_pid1=can_run_as_pid1())  # fmt: skip
    try:
        await eventually(lambda: len(printed_messages(first)) >= 10, within=60, every=0.1,
                         what="the console printing the fan-out")  # fmt: skip
        first.signal(signal.SIGTERM)
        assert await first.exit_code(within=30) == 0, first.output()
    finally:
        await first.close()
    assert await held_leases(database_url) == []
    second = await start_worker("second", "console", tmp_path, database_url=database_url, env={}, settings=SETTINGS)
    try:
        await all_sent(database_url, len(destinations), within=60)
        second.signal(signal.SIGTERM)
        code = await second.exit_code(within=30)
    finally:
        await second.close()
    assert code == 0, second.output()
    printed = sorted(printed_messages(first) + printed_messages(second))
    assert printed_messages(first) and printed_messages(second)
    assert printed == sorted(range(len(destinations)))


def printed_messages(worker: Worker) -> list[int]:
    return [int(n) for n in re.findall(r"^\s*Melding (\d+)\s*$", worker.output(), flags=re.MULTILINE)]


async def test_every_mode_serves_healthz_readyz_and_metrics(platform: Platform, tmp_path: Path) -> None:
    """Slack over HTTP, Slack in Socket Mode and Discord: the operator's routes on the worker's port;
    /readyz is 200 once the platform connection is up, /metrics is Prometheus text."""
    import aiohttp

    port = platform.port or free_port()
    database_url = f"sqlite:///{tmp_path / 'samskap.db'}"
    worker = await start_worker("ops", platform.adapter, tmp_path, database_url=database_url, env=platform.env,
                                settings=SETTINGS, port=port)  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:

            async def get(path: str) -> tuple[int, str]:
                try:
                    async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                        return response.status, await response.text()
                except aiohttp.ClientError:
                    return 0, ""

            await eventually(lambda: answers(http, f"http://127.0.0.1:{port}/readyz"), within=30, every=0.1,
                             what="/readyz to answer 200 once the platform is connected")  # fmt: skip
            assert (await get("/healthz"))[0] == 200
            status, metrics = await get("/metrics")
            assert status == 200 and "samskap_outbox_pending" in metrics
        worker.signal(signal.SIGTERM)
        assert await worker.exit_code(20) == 0
    finally:
        await worker.close()


async def test_a_teams_worker_stops_on_sigterm_and_exits_0(tmp_path: Path) -> None:
    """Teams over HTTP (unauthenticated, as for local testing): SIGTERM closes the port, drains, exits 0."""
    import aiohttp

    port = free_port()
    worker = await start_worker("teams", "teams", tmp_path, database_url=f"sqlite:///{tmp_path / 'samskap.db'}",
                                env={}, settings=SETTINGS, port=port)  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:
            await eventually(lambda: answers(http, f"http://127.0.0.1:{port}/healthz"), within=30, every=0.1,
                             what="the Teams worker to answer /healthz")  # fmt: skip
        worker.signal(signal.SIGTERM)
        assert await worker.exit_code(20) == 0, worker.output()
    finally:
        await worker.close()
