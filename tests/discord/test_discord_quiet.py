"""Starting the Discord adapter writes no warnings about voice, which samskap never uses."""

from __future__ import annotations

import logging

import discord
import pytest

from adapters.discord.client import GatewayClient
from adapters.discord.options import DiscordOptions
from bot.config import Secret


def test_no_voice_library_warnings_at_start(caplog: pytest.LogCaptureFixture) -> None:
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True  # as in a fresh process without them
    with caplog.at_level(logging.WARNING):
        GatewayClient(inbound=None, options=DiscordOptions(token=Secret("x")))  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records if "voice" in r.getMessage()] == []
