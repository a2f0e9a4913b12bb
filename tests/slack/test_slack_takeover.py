"""Taking over a delivery whose worker stopped after Slack kept it, through the real client and the fake."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from slack_harness import SlackHarness

from bot.adapter import Destination
from bot.events import Conversation
from bot.messages import Message

CHANNEL = Conversation("slack", "T1", "C1")


async def stop_after_slack_kept_it(slack: SlackHarness, key: str) -> None:
    kept, stopped = asyncio.Event(), asyncio.Event()

    async def worker_stops_before_the_answer(call: object, answer: object) -> None:
        kept.set()
        await stopped.wait()

    slack.fake.on_post = worker_stops_before_the_answer
    sending = asyncio.create_task(
        slack.bot.outbox.deliver(key, Destination.channel(CHANNEL), Message.text("Ukens brev"))
    )
    await kept.wait()
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    slack.fake.on_post = None
    stopped.set()


async def test_when_the_history_cannot_be_read_the_message_is_not_posted_again(slack: SlackHarness) -> None:
    await stop_after_slack_kept_it(slack, "digest:5:week:48")
    slack.fake.fail("conversations.history", status=503, times=20)  # more than the client retries in-line

    slack.bot.clock.advance(timedelta(minutes=3))  # type: ignore[attr-defined]
    assert await slack.bot.outbox.retry_due() == 0
    assert len(slack.fake.messages["C1"]) == 1
    row = await slack.bot.outbox.get("digest:5:week:48")
    assert row is not None and row.status == "pending"

    slack.fake.failures.clear()
    slack.bot.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    assert await slack.bot.outbox.retry_due() == 1
    [posted] = slack.fake.messages["C1"]
    row = await slack.bot.outbox.get("digest:5:week:48")
    assert row is not None and row.status == "sent" and row.sent_message_id == posted["ts"]
    assert len(slack.fake.requests_to("chat.postMessage")) == 1
