"""An attempt that may have reached the platform is looked for before the delivery is sent again.

Whatever came between: a failed look, a failed retry, a long back-off. The platform here keeps what
it was sent with the bot's clock and, like Slack's history, shows only what was posted since the
moment it is asked about.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from adapters.memory import MemoryAdapter
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from bot.core import Bot
from bot.messages import Message
from bot.outbox import LEASE

KEY = "digest:1:week:48"


@dataclass
class Platform(MemoryAdapter):
    """Keeps every message with the time it was posted; can lose its answer or fail to be asked."""

    clock: FakeClock = field(default_factory=FakeClock)
    posted_at: dict[str, datetime] = field(default_factory=dict)
    # What happens to the next sends after the platform kept the message: the worker stops before
    # it hears back (CancelledError), or the answer is lost (a retryable error, as a timeout).
    after_keeping: list[BaseException] = field(default_factory=list)
    failing_looks: int = 0  # the next looks fail as an overloaded platform fails them
    looked_since: list[datetime] = field(default_factory=list)

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        sent = await super().send(destination, message, key=key)
        self.posted_at[self.sent[-1].message_id] = self.clock.now()
        if self.after_keeping:
            raise self.after_keeping.pop(0)
        return sent

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        self.looked_since.append(since)
        if self.failing_looks:
            self.failing_looks -= 1
            raise DeliveryError("server_error", retryable=True, detail="conversations.history HTTP 503")
        for item in self.sent:
            if item.key == key and item.conversation is not None and self.posted_at[item.message_id] >= since:
                return SentMessage(item.conversation, item.message_id)
        return None


async def started(database_url: str, platform: Platform) -> Bot:
    return await build_bot(Config(database_url=database_url), clock=platform.clock, adapters=[platform])


async def test_a_failed_look_is_tried_again_later_instead_of_posting_blind(database_url: str) -> None:
    platform = Platform(after_keeping=[asyncio.CancelledError()], failing_looks=1)
    bot = await started(database_url, platform)
    try:
        destination = Destination.channel(platform.channel())
        try:
            await bot.outbox.deliver(KEY, destination, Message.text("Ukens brev"))
        except asyncio.CancelledError:
            pass  # the worker stopped after the platform kept the message, before it heard back

        platform.clock.advance(LEASE + timedelta(seconds=10))
        assert await bot.outbox.retry_due() == 0  # the platform could not be asked: nothing is posted
        assert [s.text for s in platform.sent] == ["Ukens brev"]
        row = await bot.outbox.get(KEY)
        assert row is not None and row.status == "pending"

        platform.clock.advance(timedelta(minutes=10))
        assert await bot.outbox.retry_due() == 1
        row = await bot.outbox.get(KEY)
        assert row is not None and row.status == "sent" and row.sent_message_id == platform.sent[0].message_id
        assert [s.text for s in platform.sent] == ["Ukens brev"]
        # Each look reached back to the first attempt, however late it came.
        assert all(since <= platform.posted_at[platform.sent[0].message_id] for since in platform.looked_since)
    finally:
        await bot.db.dispose()


async def test_a_send_whose_answer_was_lost_is_looked_for_before_it_is_retried(database_url: str) -> None:
    lost = DeliveryError("server_error", retryable=True, detail="chat.postMessage TimeoutError")
    platform = Platform(after_keeping=[lost])
    bot = await started(database_url, platform)
    try:
        result = await bot.outbox.deliver(KEY, Destination.channel(platform.channel()), Message.text("Ukens brev"))
        assert result.status == "pending"  # the platform kept it, but the worker never heard so

        platform.clock.advance(timedelta(minutes=5))
        assert await bot.outbox.retry_due() == 1
        assert [s.text for s in platform.sent] == ["Ukens brev"]
        row = await bot.outbox.get(KEY)
        assert row is not None and row.status == "sent" and row.sent_message_id == platform.sent[0].message_id
    finally:
        await bot.db.dispose()


async def test_a_rate_limited_send_is_retried_without_looking(database_url: str) -> None:
    """A 429 comes before anything is posted: the retry just sends."""
    platform = Platform(failures=[DeliveryError("rate_limited", retryable=True, retry_after=30)])
    bot = await started(database_url, platform)
    try:
        result = await bot.outbox.deliver(KEY, Destination.channel(platform.channel()), Message.text("Ukens brev"))
        assert result.status == "pending"
        platform.clock.advance(timedelta(minutes=1))
        assert await bot.outbox.retry_due() == 1
        assert [s.text for s in platform.sent] == ["Ukens brev"]
        assert platform.looked_since == []
    finally:
        await bot.db.dispose()
