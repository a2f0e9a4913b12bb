"""The weekly digest fanned out through Teams to two channels and a 1:1 chat, with 429s on the way
and a restart in the middle: every destination gets it exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from digest_server import DigestWebServer
from fake_connector import CHANNEL, OTHER_CHANNEL, FakeConnector
from teams_harness import TeamsHarness, text_of

from bot.app import tick
from bot.clock import FakeClock
from bot.config import Config
from bot.features.digest.service import DigestService

FIRST_DIGEST = datetime(2026, 9, 14, 6, 0, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[DigestWebServer]:
    async with DigestWebServer() as web:
        yield web


@pytest.fixture
async def digest_teams(connector: FakeConnector, any_database_url: str) -> AsyncIterator[TeamsHarness]:
    config = Config(sections={"digest": {"allow_private_addresses": True, "fetch_timeout": 0.5}})
    harness = await TeamsHarness(connector, any_database_url, FakeClock(), config=config).start()
    yield harness
    await harness.close()


def digests(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if str(m.get("summary", "")).startswith("Nettverksbrev")
            or "Nettverksbrev" in text_of(m)]  # fmt: skip


async def test_each_destination_gets_the_digest_once_across_429s_and_a_restart(
    digest_teams: TeamsHarness, connector: FakeConnector, server: DigestWebServer
) -> None:
    teams = digest_teams
    for name, school in (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby")):
        await teams.say_in_channel(name, f"bli-med {school} skole")
    await teams.say_in_personal_chat("per", "samskap innstillinger nettverksbrev på")
    other = teams.activity(
        "ola", teams.in_channel(channel=OTHER_CHANNEL), text=f"Se denne {server.link('/article')}"
    )  # links the second channel too
    other["conversation"]["id"] += f";messageid={other['id']}"
    assert await teams.post(other) == 202
    await teams.say_in_channel("ola", f"del {server.link('/article')}")

    connector.fail("POST", rf"^v3/conversations/{CHANNEL}/activities$", 429, times=2, headers={"Retry-After": "0"})
    connector.fail("POST", rf"^v3/conversations/{OTHER_CHANNEL}/activities$", 429, headers={"Retry-After": "120"})
    teams.clock.set(FIRST_DIGEST + timedelta(minutes=1))
    await tick(teams.bot)
    assert len(digests(connector.messages[CHANNEL])) == 1  # two 429s waited out
    assert len(digests(teams.dms_to("per"))) == 1
    assert digests(connector.messages.get(OTHER_CHANNEL, [])) == []  # a long Retry-After: the outbox waits

    await teams.restart()
    await teams.bot.services.get(DigestService).issues.publish(1, "2026-W38")  # a second worker runs the same job
    teams.clock.advance(timedelta(minutes=5))
    await tick(teams.bot)  # the outbox retries the rate-limited channel
    await teams.restart()
    teams.clock.advance(timedelta(hours=1))
    await tick(teams.bot)
    assert len(digests(connector.messages[CHANNEL])) == 1
    assert len(digests(connector.messages[OTHER_CHANNEL])) == 1
    assert len(digests(teams.dms_to("per"))) == 1
