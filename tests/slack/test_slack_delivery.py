"""Outbound delivery through the real AsyncWebClient: 429s, 5xx, pacing, errors, DMs, groups, files."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import timedelta
from pathlib import Path
from unittest.mock import MagicMock

import aiohttp
import pytest
from aiohttp import web
from fake_slack import FakeSlack
from slack_harness import SlackHarness, start_harness
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from adapters.retry_after import retry_after_seconds
from adapters.slack.options import SlackOptions
from adapters.slack.web_api import delivery_error, may_repeat, retry_handlers
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.events import Conversation, User
from bot.messages import Attachment, Message, Text
from bot.outbox import sent_message
from storage.repositories.core import Members

CHANNEL = Conversation("slack", "T1", "C1")


def user(user_id: str) -> User:
    return User("slack", "T1", user_id)


async def test_many_answers_at_once_each_have_a_connection(slack: SlackHarness) -> None:
    """Under load every handled command answers at the same time; none waits for another's connection."""
    answers = 150  # more than aiohttp's default of 100 connections
    arrived = 0
    everyone = asyncio.Event()

    async def wait_for_everyone(hook: str, body: dict[str, object]) -> None:
        nonlocal arrived
        arrived += 1
        if arrived == answers:
            everyone.set()
        await everyone.wait()  # Slack answers none until all have arrived

    slack.fake.on_hook = wait_for_everyone
    sends = [slack.app.adapter.respond(slack.fake.hook_url(f"h{n}"), Message.text("Hei")) for n in range(answers)]
    await asyncio.wait_for(asyncio.gather(*sends), 10)
    assert arrived == answers


async def test_a_429_burst_is_waited_out_even_with_a_fractional_retry_after(slack: SlackHarness) -> None:
    slack.fake.fail("chat.postMessage", status=429, headers={"Retry-After": "0.2"}, times=2)
    result = await slack.bot.outbox.deliver("burst-1", Destination.channel(CHANNEL), Message.text("Hei"))
    assert result.status == "sent"
    calls = slack.fake.requests_to("chat.postMessage")
    assert len(calls) == 3
    assert calls[1].at - calls[0].at >= 0.2
    assert calls[2].at - calls[1].at >= 0.2


async def test_a_long_retry_after_leaves_the_message_for_the_outbox_and_it_is_sent_once(slack: SlackHarness) -> None:
    slack.fake.fail("chat.postMessage", status=429, headers={"Retry-After": "120"}, times=1)
    result = await slack.bot.outbox.deliver("digest-1", Destination.channel(CHANNEL), Message.text("Ukens digest"))
    assert result.status == "pending"
    assert result.error is not None and result.error.code == "rate_limited" and result.error.retry_after == 120
    row = await slack.bot.outbox.get("digest-1")
    assert row is not None and row.next_attempt_at >= slack.bot.clock.now() + timedelta(seconds=119)

    slack.bot.clock.advance(timedelta(seconds=60))  # type: ignore[attr-defined]
    await slack.bot.outbox.retry_due()
    assert len(slack.fake.requests_to("chat.postMessage")) == 1
    slack.bot.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    await slack.bot.outbox.retry_due()
    await slack.bot.outbox.retry_due()
    assert len(slack.fake.requests_to("chat.postMessage")) == 2
    assert (await slack.bot.outbox.deliver("digest-1", Destination.channel(CHANNEL), Message.text("x"))).status == (
        "duplicate"
    )
    assert len(slack.fake.requests_to("chat.postMessage")) == 2


async def test_a_500_is_retried_with_back_off(slack: SlackHarness) -> None:
    slack.fake.fail("chat.postMessage", status=500, error="internal_error", times=1)
    sent = await slack.app.adapter.send(Destination.channel(CHANNEL), Message.text("Hei"))
    assert isinstance(sent, SentMessage) and sent.message_id
    assert len(slack.fake.requests_to("chat.postMessage")) == 2
    # It looked first: Slack might have kept the post that failed.
    assert len(slack.fake.requests_to("conversations.history")) == 1
    assert [m["text"] for m in slack.fake.messages["C1"]] == ["Hei"]


async def test_a_post_kept_by_slack_before_a_5xx_is_found_not_posted_again(slack: SlackHarness) -> None:
    """Slack kept the post but answered 503 (or the answer was lost): posting again would show it twice."""

    async def kept_then_failed(call: object, answer: object) -> None:
        slack.fake.on_post = None
        raise web.HTTPServiceUnavailable()

    slack.fake.on_post = kept_then_failed
    sent = await slack.app.adapter.send(Destination.channel(CHANNEL), Message.text("Hei"))  # an answer: no key
    [posted] = slack.fake.messages["C1"]
    assert isinstance(sent, SentMessage) and sent.message_id == posted["ts"]
    assert len(slack.fake.requests_to("chat.postMessage")) == 1
    assert len(slack.fake.requests_to("conversations.history")) == 1

    slack.fake.on_post = kept_then_failed
    result = await slack.bot.outbox.deliver("reminder-2", Destination.channel(CHANNEL), Message.text("Husk samling"))
    assert result.status == "sent" and result.sent is not None
    assert [m["text"] for m in slack.fake.messages["C1"]] == ["Hei", "Husk samling"]
    assert result.sent.message_id == slack.fake.messages["C1"][1]["ts"]


async def test_only_a_post_that_cannot_have_reached_slack_is_repeated_blind() -> None:
    api = "http://127.0.0.1:1/api/"

    def request(method: str) -> HttpRequest:
        return HttpRequest(method="POST", url=api + method, headers={})

    refused = aiohttp.ClientConnectorError(MagicMock(), OSError(111, "refused"))
    cut = aiohttp.ServerDisconnectedError()
    assert may_repeat(request("chat.postMessage"), refused, api)
    assert not may_repeat(request("chat.postMessage"), cut, api)
    assert not may_repeat(request("chat.postMessage"), None, api)  # a 5xx
    assert may_repeat(request("chat.update"), cut, api) and may_repeat(request("conversations.history"), None, api)

    # The client's own handlers, as the SDK asks them.
    connection, _rate_limit, server = retry_handlers(SlackOptions(api_url=api))
    bad_gateway = HttpResponse(status_code=502, headers={})

    async def retried(
        handler: AsyncRetryHandler, method: str, response: HttpResponse | None, error: Exception | None
    ) -> bool:
        state, asked = RetryState(), request(method)
        return await handler.can_retry_async(state=state, request=asked, response=response, error=error)

    assert await retried(connection, "chat.update", None, cut)
    assert await retried(connection, "chat.postMessage", None, refused)
    assert not await retried(connection, "chat.postMessage", None, cut)
    assert await retried(server, "conversations.history", bad_gateway, None)
    assert not await retried(server, "chat.postMessage", bad_gateway, None)
    assert not await retried(server, "conversations.history", HttpResponse(status_code=400, headers={}), None)


async def test_a_lasting_5xx_keeps_the_message_for_a_later_retry(slack: SlackHarness) -> None:
    slack.fake.fail("chat.postMessage", status=503, times=3)
    result = await slack.bot.outbox.deliver("reminder-1", Destination.channel(CHANNEL), Message.text("Husk samling"))
    assert result.status == "pending"
    assert result.error is not None and result.error.code == "server_error" and result.error.retryable
    slack.bot.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    await slack.bot.outbox.retry_due()
    assert (await slack.bot.outbox.get("reminder-1")).status == "sent"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("slack_error", "code"),
    [("channel_not_found", "channel_not_found"), ("is_archived", "archived"), ("invalid_auth", "invalid_auth")],
)
async def test_slack_errors_become_delivery_errors_that_are_not_retried(
    slack: SlackHarness, slack_error: str, code: str
) -> None:
    slack.fake.fail("chat.postMessage", error=slack_error)
    with pytest.raises(DeliveryError) as raised:
        await slack.app.adapter.send(Destination.channel(CHANNEL), Message.text("Hei"))
    assert (raised.value.code, raised.value.retryable) == (code, False)
    assert "xoxb" not in str(raised.value)


async def test_a_channel_post_that_fails_for_good_is_reported_to_the_leader_by_dm(slack: SlackHarness) -> None:
    await slack.command("/samskap", "bli-med Nordby skole", user="UKARI")
    await slack.fake.wait_for_hooks()
    async with slack.bot.db.session() as s:
        kari = (await Members(s).networks_of(user("UKARI")))[0]
    slack.fake.fail("chat.postMessage", error="not_in_channel")
    slack.fake.fail("conversations.join", error="method_not_supported_for_channel_type")
    result = await slack.bot.outbox.deliver(
        "invite-1", Destination.channel(Conversation("slack", "T1", "G5")), Message.text("Invitasjon"),
        notify_member_id=kari.id,
    )  # fmt: skip
    assert result.status == "failed"
    notice = slack.fake.requests_to("chat.postMessage")[-1].params
    assert notice["channel"] == "DUKARI"
    assert slack.bot.translator_for(kari).t("I am not a member of the channel") in notice["text"]


async def test_messages_to_one_channel_are_paced(tmp_path: Path, fake_slack: FakeSlack) -> None:
    slack = await start_harness(tmp_path, fake_slack, pace_seconds=0.15)
    try:
        other = Conversation("slack", "T1", "C2")
        await asyncio.gather(
            *(slack.app.adapter.send(Destination.channel(CHANNEL), Message.text(f"{i}")) for i in range(3)),
            slack.app.adapter.send(Destination.channel(other), Message.text("annen kanal")),
        )
        to_c1 = [c.at for c in fake_slack.requests_to("chat.postMessage") if c.params["channel"] == "C1"]
        to_c2 = [c.at for c in fake_slack.requests_to("chat.postMessage") if c.params["channel"] == "C2"]
        assert len(to_c1) == 3
        assert all(b - a >= 0.14 for a, b in itertools.pairwise(to_c1))
        assert to_c2[0] - to_c1[0] < 0.1  # another channel does not wait
    finally:
        await slack.close()


async def test_direct_messages_open_the_conversation_once(slack: SlackHarness) -> None:
    for text in ("Hei Ola", "Husk oppfølgingen"):
        await slack.app.adapter.send(Destination.dm(user("UOLA")), Message.text(text))
    assert [c.params["users"] for c in slack.fake.requests_to("conversations.open")] == ["UOLA"]
    assert [c.params["channel"] for c in slack.fake.requests_to("chat.postMessage")] == ["DUOLA", "DUOLA"]


async def test_a_pair_gets_a_group_dm_and_threads_go_under_the_first_message(slack: SlackHarness) -> None:
    group = await slack.app.adapter.open_group([user("UOLA"), user("UPER")], "Samsnakk")
    assert slack.fake.requests_to("conversations.open")[0].params["users"] == "UOLA,UPER"
    assert group.is_direct
    sent = await slack.app.adapter.send(Destination.group(group), Message.text("Dere to er satt opp"))
    assert sent is not None
    thread = await slack.app.adapter.start_thread(sent, "Oppfølging")
    await slack.app.adapter.send(Destination.channel(thread), Message.text("I tråden"))
    posted = slack.fake.requests_to("chat.postMessage")[-1].params
    assert (posted["channel"], posted["thread_ts"]) == (group.id, sent.message_id)


async def test_an_update_replaces_the_message(slack: SlackHarness) -> None:
    sent = await slack.app.adapter.send(Destination.channel(CHANNEL), Message.text("3 prøver dette"))
    assert sent is not None
    await slack.app.adapter.update(sent, Message.text("4 prøver dette"))
    update = slack.fake.requests_to("chat.update")[0].params
    assert (update["channel"], update["ts"], update["text"]) == ("C1", sent.message_id, "4 prøver dette")


async def test_a_split_message_is_updated_part_by_part_and_parts_no_longer_needed_are_deleted(
    slack: SlackHarness,
) -> None:
    points = [Text(f"Punkt {i}") for i in range(60)]  # 60 blocks: two Slack messages
    await slack.bot.outbox.deliver("digest-long", Destination.channel(CHANNEL), Message.of(*points))
    row = await slack.bot.outbox.get("digest-long")
    sent = sent_message(row) if row else None  # as a digest finds it, after any restart
    assert sent is not None and len(sent.more_ids) == 1

    await slack.app.adapter.update(sent, Message.of(*points[1:]))
    updates = [call.params for call in slack.fake.requests_to("chat.update")]
    assert [u["ts"] for u in updates] == [sent.message_id, sent.more_ids[0]]
    assert len(updates[0]["blocks"]) == 50 and len(updates[1]["blocks"]) == 9

    await slack.app.adapter.update(sent, Message.text("Kortere nå"))
    assert slack.fake.requests_to("chat.update")[-1].params["ts"] == sent.message_id
    assert [call.params["ts"] for call in slack.fake.requests_to("chat.delete")] == [sent.more_ids[0]]


async def test_an_attachment_is_uploaded_as_a_file(slack: SlackHarness) -> None:
    ics = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    await slack.app.adapter.send(
        Destination.dm(user("UKARI")), Message.of(Text("Invitasjon"), Attachment("samling.ics", ics, "text/calendar"))
    )
    await slack.fake.wait_for("files.completeUploadExternal")
    assert slack.fake.requests_to("files.getUploadURLExternal")[0].params["filename"] == "samling.ics"
    assert slack.fake.requests_to("files.completeUploadExternal")[0].params["channel_id"] == "DUKARI"
    assert ics.encode() in slack.fake.uploads[0]


async def test_an_ephemeral_message_is_posted_for_one_person(slack: SlackHarness) -> None:
    sent = await slack.app.adapter.send(Destination.ephemeral(CHANNEL, user("UPER")), Message.text("Bare for deg"))
    assert sent is None
    params = slack.fake.requests_to("chat.postEphemeral")[0].params
    assert (params["channel"], params["user"], params["text"]) == ("C1", "UPER", "Bare for deg")


def test_retry_after_is_read_whatever_its_form() -> None:
    assert retry_after_seconds({"Retry-After": ["1.5"]}, 1.0) == 1.5
    assert retry_after_seconds({"retry-after": " 2 "}, 1.0) == 2.0
    assert retry_after_seconds({"Retry-After": "soon"}, 1.0) == 1.0
    assert retry_after_seconds({"Retry-After": "-3"}, 1.0) == 0.0
    assert retry_after_seconds({}, 1.0) == 1.0


def test_network_errors_are_retryable() -> None:
    error = delivery_error(TimeoutError(), "chat.postMessage")
    assert (error.code, error.retryable) == ("server_error", True)


async def test_sending_to_a_workspace_without_a_token_fails_clearly(tmp_path: Path, fake_slack: FakeSlack) -> None:
    from bot.config import Secret

    slack = await start_harness(tmp_path, fake_slack, bot_token=Secret(""), client_id="1.2", client_secret=Secret("s"))
    try:
        with pytest.raises(DeliveryError) as raised:
            await slack.app.adapter.send(Destination.channel(CHANNEL), Message.text("Hei"))
        assert (raised.value.code, raised.value.retryable) == ("invalid_auth", False)
    finally:
        await slack.close()


async def test_time_to_ack_stays_low_while_the_api_is_slow(slack: SlackHarness) -> None:
    slack.fake.fail("chat.postEphemeral", status=503, times=2)
    started = time.monotonic()
    response = await slack.command("/samskap")
    assert response.status == 200
    assert time.monotonic() - started < 1.0


async def test_a_split_message_that_fails_halfway_continues_without_repeats(slack: SlackHarness) -> None:
    message = Message.of(*(Text(f"Avsnitt {i}") for i in range(120)))  # three Slack messages
    original = slack.fake._answer

    def flaky(method: str, params: dict) -> dict:  # type: ignore[type-arg]
        if method == "chat.postMessage" and len(slack.fake.requests_to(method)) == 2:
            slack.fake.fail(method, status=503, times=3)
        return original(method, params)

    slack.fake._answer = flaky  # type: ignore[method-assign]
    result = await slack.bot.outbox.deliver("long", Destination.channel(CHANNEL), message)
    assert result.status == "pending"
    slack.bot.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    await slack.bot.outbox.retry_due()
    assert (await slack.bot.outbox.get("long")).status == "sent"  # type: ignore[union-attr]
    posted = [c.params["blocks"] for c in slack.fake.requests_to("chat.postMessage") if not c.failed]
    assert [blocks[0]["text"]["text"] for blocks in posted] == ["Avsnitt 0", "Avsnitt 50", "Avsnitt 100"]


async def test_more_than_five_hundred_messages_waiting_for_one_channel_are_all_posted(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    harness = await start_harness(tmp_path, fake_slack, pace_seconds=0)
    try:
        messages = [Message.text(f"Idé nummer {i}") for i in range(600)]
        sent = await asyncio.gather(*(harness.app.adapter.send(Destination.channel(CHANNEL), m) for m in messages))
        assert all(isinstance(s, SentMessage) for s in sent)
        assert len(fake_slack.requests_to("chat.postMessage")) == 600
    finally:
        await harness.close()


async def test_a_delivery_interrupted_after_slack_kept_it_is_found_in_the_history_not_posted_again(
    slack: SlackHarness,
) -> None:
    kept = asyncio.Event()

    async def worker_stops_before_the_answer(call: object, answer: object) -> None:
        kept.set()
        await asyncio.sleep(30)

    slack.fake.on_post = worker_stops_before_the_answer
    sending = asyncio.create_task(
        slack.bot.outbox.deliver("digest:3:week:48", Destination.channel(CHANNEL), Message.text("Ukens brev"))
    )
    await kept.wait()
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    slack.fake.on_post = None

    slack.bot.clock.advance(timedelta(minutes=3))  # type: ignore[attr-defined]
    assert await slack.bot.outbox.retry_due() == 1
    assert len(slack.fake.requests_to("chat.postMessage")) == 1
    [posted] = slack.fake.messages["C1"]
    row = await slack.bot.outbox.get("digest:3:week:48")
    assert row is not None and row.status == "sent" and row.sent_message_id == posted["ts"]
    [looked] = slack.fake.requests_to("conversations.history")
    assert looked.params["channel"] == "C1" and looked.params["include_all_metadata"] in ("1", "true", True)
    # The mark is a digest of the key: delivery keys hold member and network ids.
    assert posted["metadata"]["event_type"] == "samskap_delivery"
    assert "digest:3" not in json.dumps(posted["metadata"])


async def test_a_delivery_interrupted_before_slack_kept_it_is_posted(slack: SlackHarness) -> None:
    slack.fake.fail("chat.postMessage", status=503, times=10)  # the worker gives up waiting, nothing kept
    sending = asyncio.create_task(
        slack.bot.outbox.deliver("digest:4:week:48", Destination.channel(CHANNEL), Message.text("Ukens brev"))
    )
    await slack.fake.wait_for("chat.postMessage")
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    slack.fake.failures.clear()

    slack.bot.clock.advance(timedelta(minutes=3))  # type: ignore[attr-defined]
    assert await slack.bot.outbox.retry_due() == 1
    assert [m["text"] for m in slack.fake.messages["C1"]] == ["Ukens brev"]
