"""Nothing is sent twice, and nothing is lost, when workers are killed in the middle of a fan-out.

In one process: a worker stopped right after the platform call, before it marked the delivery
sent; the next attempt finds the message and records it instead of sending it again.

Then three real worker processes share one PostgreSQL database and send one message to each of 500
destinations on a fake Slack or Discord. Whenever a worker has posted a message, the platform
kept it and the worker has not yet heard back (the worst moment: sent, but not marked sent), it
is killed with SIGKILL and a new worker takes its place. What arrived is counted on the fake
platform's side, not in our own table.
"""

from __future__ import annotations

import asyncio
import collections
import random
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from worker_processes import Worker, all_sent, start_worker, store_fan_out

from adapters.memory import MemoryAdapter
from bot.adapter import Destination, SentMessage
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from bot.events import Conversation
from bot.messages import Message
from bot.outbox import LEASE

DESTINATIONS = 500
KILLS = 4
# Each worker is killed after this many of its own posts, so kills fall all through the fan-out.
POSTS_BEFORE_KILL = (25, 70)
SETTINGS = {"scheduler_tick_seconds": 0.1, "outbox_lease_seconds": 4.0}


class StoppedAfterSending(MemoryAdapter):
    """Sends; the first time, its worker is stopped before it hears back (as by SIGKILL, for this task)."""

    stopped = False

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        sent = await super().send(destination, message, key=key)
        if not self.stopped:
            self.stopped = True
            raise asyncio.CancelledError
        return sent


async def test_a_delivery_whose_worker_stopped_after_sending_is_recorded_not_sent_again(
    any_database_url: str,
) -> None:
    clock = FakeClock()
    adapter = StoppedAfterSending()
    bot = await build_bot(Config(database_url=any_database_url), clock=clock, adapters=[adapter])
    try:
        destination = Destination.channel(adapter.channel())
        with pytest.raises(asyncio.CancelledError):
            await bot.outbox.deliver("digest:1:week:48", destination, Message.text("Ukens brev"))
        assert (await bot.outbox.retry_due()) == 0  # another worker waits for the lease to run out

        clock.advance(LEASE + LEASE / 10)
        assert (await bot.outbox.retry_due()) == 1
        row = await bot.outbox.get("digest:1:week:48")
        assert row is not None and row.status == "sent" and row.sent_message_id == adapter.sent[0].message_id
        assert [s.text for s in adapter.sent] == ["Ukens brev"]
    finally:
        await bot.db.dispose()


@dataclass
class KillingTeam:
    """Three workers; the fake platform calls `posted` for every message it keeps."""

    start: Callable[[str], Awaitable[Worker]]
    kills_left: int = KILLS
    workers: dict[str, Worker] = field(default_factory=dict)  # by the token it uses
    posts: collections.Counter[str] = field(default_factory=collections.Counter)
    limits: dict[str, int] = field(default_factory=dict)
    killed: list[str] = field(default_factory=list)
    _numbers: int = 0
    _starting: set[asyncio.Task[None]] = field(default_factory=set)

    async def start_workers(self, count: int) -> None:
        await asyncio.gather(*(self.add_worker() for _ in range(count)))

    async def add_worker(self) -> None:
        self._numbers += 1
        token = f"worker-{self._numbers}"
        self.limits[token] = random.randint(*POSTS_BEFORE_KILL)
        self.workers[token] = await self.start(token)

    async def posted(self, token: str) -> None:
        """Called after the platform kept a message and before it answers: kill the poster now?"""
        self.posts[token] += 1
        worker = self.workers.get(token)
        if worker is None or self.kills_left <= 0 or self.posts[token] < self.limits[token]:
            return
        self.kills_left -= 1
        self.killed.append(token)
        worker.signal(signal.SIGKILL)
        task = asyncio.create_task(self.add_worker())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def close(self) -> None:
        await asyncio.gather(*self._starting, return_exceptions=True)
        await asyncio.gather(*(worker.close() for worker in self.workers.values()))


@pytest.mark.postgres
async def test_slack_workers_killed_mid_send_post_each_message_exactly_once(postgres_url: str, tmp_path: Path) -> None:
    from fake_slack import FakeSlack

    fake = await FakeSlack().start()
    channels = [f"C{index:05d}" for index in range(DESTINATIONS)]
    await store_fan_out(postgres_url, [Destination.channel(Conversation("slack", "T1", c)) for c in channels])

    async def start(token: str) -> Worker:
        env = {"SLACK_BOT_TOKEN": f"xoxb-{token}", "SLACK_APP_TOKEN": "xapp-test", "SLACK_API_URL": fake.api_url}
        return await start_worker(token, "slack", tmp_path, database_url=postgres_url, env=env, settings=SETTINGS)

    team = KillingTeam(start)

    async def posted(call, answer) -> None:  # type: ignore[no-untyped-def]
        await team.posted(call.token.removeprefix("xoxb-"))

    fake.on_post = posted
    try:
        await team.start_workers(3)
        await all_sent(postgres_url, DESTINATIONS, within=90)
        per_channel = {channel: len(fake.messages.get(channel, [])) for channel in channels}
        assert [c for c, n in per_channel.items() if n == 0] == [], "missing"
        assert [c for c, n in per_channel.items() if n > 1] == [], "sent twice"
        assert len(team.killed) == KILLS
        # Each killed worker's last message was found in the channel's history, not posted again.
        assert len(fake.requests_to("chat.postMessage")) == DESTINATIONS
        assert len(fake.requests_to("conversations.history")) >= KILLS
    finally:
        await team.close()
        await fake.close()


@pytest.mark.postgres
async def test_discord_workers_killed_mid_send_post_each_message_exactly_once(
    postgres_url: str, tmp_path: Path
) -> None:
    from fake_discord import GUILD_ID, FakeDiscord

    fake = await FakeDiscord().start()
    channels = [str(210000000000000000 + index) for index in range(DESTINATIONS)]
    await store_fan_out(postgres_url, [Destination.channel(Conversation("discord", GUILD_ID, c)) for c in channels])

    async def start(token: str) -> Worker:
        env = {"DISCORD_BOT_TOKEN": token, "SAMSKAP_DISCORD_API_URL": fake.api_url,
               "SAMSKAP_DISCORD_GATEWAY_URL": fake.gateway_url}  # fmt: skip
        return await start_worker(token, "discord", tmp_path, database_url=postgres_url, env=env, settings=SETTINGS)

    team = KillingTeam(start)

    async def posted(request, answer) -> None:  # type: ignore[no-untyped-def]
        await team.posted(request.token)

    fake.on_post = posted
    try:
        await team.start_workers(3)
        await all_sent(postgres_url, DESTINATIONS, within=90)
        per_channel = {channel: len(fake.messages.get(channel, [])) for channel in channels}
        assert [c for c, n in per_channel.items() if n == 0] == [], "missing"
        assert [c for c, n in per_channel.items() if n > 1] == [], "sent twice"
        assert len(team.killed) == KILLS
        # The killed workers' messages were posted again, and Discord answered with the first one.
        assert len(fake.requests_to("POST", r"^/channels/\d+/messages$")) == DESTINATIONS + KILLS
    finally:
        await team.close()
        await fake.close()
