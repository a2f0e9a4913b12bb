"""Fixtures: a fake Discord on 127.0.0.1 and a bot connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord_harness import Harness
from fake_discord import FakeDiscord

from bot.clock import FakeClock


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
async def restore_discord_urls() -> AsyncIterator[None]:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def discord_bot(fake: FakeDiscord, tmp_path, restore_discord_urls: None) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    harness = await Harness(fake, f"sqlite:///{tmp_path / 'discord.db'}", FakeClock()).start()
    yield harness
    await harness.close()
