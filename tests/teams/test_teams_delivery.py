"""Outbound delivery through the SDK's connector client: 429s, 5xx, error codes, 1:1 chats, restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fake_connector import BOT_ID, CHANNEL, TENANT, FakeConnector, aad_id, personal_chat_id
from teams_harness import TeamsHarness, teams_id, text_of

from bot.adapter import DeliveryError, Destination
from bot.events import Conversation, User
from bot.messages import Message

CHANNEL_CONV = Conversation("teams", TENANT, CHANNEL)
POSTS = r"^v3/conversations/[^/]+/activities$"


def member(name: str) -> User:
    return User("teams", TENANT, aad_id(teams_id(name)), name.capitalize())


async def met(teams: TeamsHarness) -> None:
    """Teams has told the bot where the tenant is answered (any activity does)."""
    assert await teams.say_in_channel("kari", "hei", mention=False) == 202


def posts(connector: FakeConnector) -> list[str]:
    return [r.path for r in connector.requests if r.method == "POST" and "/activities" in r.path]


async def test_a_short_retry_after_is_waited_out(teams: TeamsHarness, connector: FakeConnector) -> None:
    await met(teams)
    connector.fail("POST", POSTS, 429, times=2, headers={"Retry-After": "0"})
    result = await teams.bot.outbox.deliver("burst-1", Destination.channel(CHANNEL_CONV), Message.text("Hei"))
    assert result.status == "sent"
    assert len(posts(connector)) == 3 and len(connector.messages[CHANNEL]) == 1


async def test_a_long_retry_after_leaves_the_message_for_the_outbox_and_it_is_sent_once(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await met(teams)
    connector.fail("POST", POSTS, 429, headers={"Retry-After": "120"})
    outbox = teams.bot.outbox
    result = await outbox.deliver("digest-1", Destination.channel(CHANNEL_CONV), Message.text("Ukens brev"))
    assert result.status == "pending"
    assert result.error is not None and (result.error.code, result.error.retry_after) == ("rate_limited", 120)
    teams.clock.advance(timedelta(seconds=60))
    await outbox.retry_due()
    assert CHANNEL not in connector.messages
    teams.clock.advance(timedelta(seconds=61))
    await outbox.retry_due()
    await outbox.retry_due()
    assert [text_of(m) for m in connector.messages[CHANNEL]] == ["Ukens brev"]
    again = await outbox.deliver("digest-1", Destination.channel(CHANNEL_CONV), Message.text("Ukens brev"))
    assert again.status == "duplicate" and len(connector.messages[CHANNEL]) == 1


async def test_a_busy_service_keeps_the_message_for_a_later_retry(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await met(teams)
    connector.fail("POST", POSTS, 503)
    outbox = teams.bot.outbox
    result = await outbox.deliver("reminder-1", Destination.channel(CHANNEL_CONV), Message.text("Husk samling"))
    assert result.status == "pending"
    assert result.error is not None and (result.error.code, result.error.retryable) == ("server_error", True)
    teams.clock.advance(timedelta(minutes=5))
    await outbox.retry_due()
    row = await outbox.get("reminder-1")
    assert row is not None and row.status == "sent" and len(connector.messages[CHANNEL]) == 1


@pytest.mark.parametrize(("status", "code"), [(403, "forbidden"), (404, "gone"), (401, "invalid_auth"),
                                              (400, "unknown")])  # fmt: skip
async def test_teams_errors_become_delivery_errors_that_are_not_retried(
    teams: TeamsHarness, connector: FakeConnector, status: int, code: str
) -> None:
    await met(teams)
    connector.fail("POST", POSTS, status)
    with pytest.raises(DeliveryError) as raised:
        await teams.adapter.send(Destination.channel(CHANNEL_CONV), Message.text("Hei"))
    assert (raised.value.code, raised.value.retryable) == (code, False)


async def test_a_tenant_never_heard_from_cannot_be_reached(teams: TeamsHarness) -> None:
    with pytest.raises(DeliveryError) as raised:
        await teams.adapter.send(Destination.dm(member("kari")), Message.text("Hei"))
    assert (raised.value.code, raised.value.retryable) == ("channel_not_found", False)


async def test_a_direct_message_creates_the_1_1_chat_once_and_finds_it_after_a_restart(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await met(teams)  # kari spoke in the channel, never in a 1:1 chat
    await teams.adapter.send(Destination.dm(member("kari")), Message.text("Første"))
    assert connector.created == [{"isGroup": False, "bot": {"id": BOT_ID}, "members": [{"id": "29:kari"}],
                                  "tenantId": TENANT, "channelData": {"tenant": {"id": TENANT}}}]  # fmt: skip
    await teams.adapter.send(Destination.dm(member("kari")), Message.text("Andre"))
    await teams.restart()
    await teams.adapter.send(Destination.dm(member("kari")), Message.text("Etter omstart"))
    assert len(connector.created) == 1
    assert [text_of(m) for m in teams.dms_to("kari")] == ["Første", "Andre", "Etter omstart"]


async def test_a_direct_message_goes_to_the_chat_the_member_opened(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await teams.say_in_personal_chat("per", "hei")
    await teams.adapter.send(Destination.dm(member("per")), Message.text("Hei igjen"))
    assert connector.created == []
    assert text_of(connector.messages[personal_chat_id("29:per")][-1]) == "Hei igjen"


async def test_a_429_while_creating_the_chat_is_waited_out(teams: TeamsHarness, connector: FakeConnector) -> None:
    await met(teams)
    connector.fail("POST", r"^v3/conversations$", 429, headers={"Retry-After": "0"})
    await teams.adapter.send(Destination.dm(member("kari")), Message.text("Hei"))
    assert len(connector.created) == 1 and len(teams.dms_to("kari")) == 1


async def test_someone_never_heard_from_is_reached_by_their_entra_id(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await met(teams)  # the tenant is known, ola is not (a digest to every member of a network, say)
    await teams.adapter.send(Destination.dm(member("ola")), Message.text("Hei"))
    assert connector.created[0]["members"] == [{"id": aad_id("29:ola")}]


async def test_a_long_message_is_posted_in_parts_and_updated_whole(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    """Longer than Teams takes in one message: several posts, nothing cut; a shorter update replaces
    the first and deletes the parts it no longer needs."""
    await met(teams)
    before = len(connector.messages.get(CHANNEL, []))
    paragraphs = [f"Avsnitt {n}: " + "Æøå " * 800 for n in range(12)]  # about 39,000 characters
    sent = await teams.adapter.send(Destination.channel(CHANNEL_CONV), Message.text("\n\n".join(paragraphs)))
    assert sent is not None and len(sent.more_ids) >= 3
    posted = connector.messages[CHANNEL][before:]
    assert len(posted) == 1 + len(sent.more_ids)
    assert all(f"Avsnitt {n}:" in "".join(text_of(m) for m in posted) for n in range(12))
    assert "…" not in "".join(text_of(m) for m in posted)
    await teams.adapter.update(sent, Message.text("Kortere nå"))
    assert {aid for _cid, aid in connector.deleted} == set(sent.more_ids)
