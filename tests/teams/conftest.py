"""Fixtures: a fake Bot Connector on 127.0.0.1 and a bot behind the SDK's CloudAdapter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_connector import FakeConnector
from teams_harness import TeamsHarness

from bot.clock import FakeClock


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def teams(connector: FakeConnector, database_url: str) -> AsyncIterator[TeamsHarness]:
    harness = await TeamsHarness(connector, database_url, FakeClock()).start()
    yield harness
    await harness.close()
