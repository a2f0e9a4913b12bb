"""Fixtures for the Slack tests: a fake Slack, and the bot on the real slack-bolt app in front of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_slack import FakeSlack
from slack_harness import SlackHarness, start_harness


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def slack(tmp_path: Path, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    harness = await start_harness(tmp_path, fake_slack)
    yield harness
    await harness.close()
