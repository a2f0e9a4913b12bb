"""`samskap run --adapter slack`: the runner picks HTTP or Socket Mode from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from fake_slack import FakeSlack, command_body, signed_headers
from slack_harness import SECRET

from adapters.slack.runner import serve
from bot.adapter import Destination
from bot.app import build_bot, shutdown
from bot.clock import FakeClock
from bot.config import Config
from bot.events import Conversation
from bot.messages import Message
from tests.support import answers, eventually, free_port, running


async def test_http_mode_serves_events_and_health_on_the_port(
    tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    config = Config(database_url=f"sqlite:///{tmp_path / 'samskap.db'}", scheduler_tick_seconds=0.05)
    bot = await build_bot(config, clock=FakeClock())
    port = free_port()
    async with running(serve, bot, {"port": port, "host": "127.0.0.1"}):
        async with aiohttp.ClientSession() as http:
            await eventually(lambda: answers(http, f"http://127.0.0.1:{port}/healthz"), what="/healthz to answer")
            body = command_body("/samskap", response_url=fake_slack.hook_url())
            headers = signed_headers(SECRET, body, "application/x-www-form-urlencoded")
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as response:
                assert response.status == 200
        await fake_slack.wait_for_hooks()
        assert "slack" in bot.adapters

        # The background work runs: a delivery that failed is retried without anyone asking.
        fake_slack.fail("chat.postMessage", status=503, times=3)
        channel = Destination.channel(Conversation("slack", "T1", "C1"))
        assert (await bot.outbox.deliver("later", channel, Message.text("Husk samlingen"))).status == "pending"
        bot.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
        sent = await fake_slack.wait_for("chat.postMessage", 4)
        assert sent[-1].params["text"] == "Husk samlingen"


async def test_an_app_token_switches_to_socket_mode(
    tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'samskap.db'}"), clock=FakeClock())
    async with running(serve, bot, {"port": free_port()}):
        opened = await fake_slack.wait_for("apps.connections.open")
        assert opened[0].token == "xapp-test"


async def test_missing_secrets_stop_the_runner_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'samskap.db'}"), clock=FakeClock())
    try:
        with pytest.raises(SystemExit, match="SLACK_BOT_TOKEN"):
            await serve(bot, {"port": free_port()})
    finally:
        await shutdown(bot)


async def test_installs_whose_tokens_no_key_can_read_stop_the_runner_with_a_clear_message(
    tmp_path: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet
    from slack_sdk.oauth.installation_store.models.installation import Installation

    from adapters.slack.oauth import DatabaseInstallationStore
    from storage.secrets import TokenCipher

    for name, value in (("SLACK_CLIENT_ID", "111.222"), ("SLACK_CLIENT_SECRET", "client-secret"),
                        ("SLACK_SIGNING_SECRET", SECRET), ("SLACK_API_URL", fake_slack.api_url),
                        ("SAMSKAP_SECRET_KEY", Fernet.generate_key().decode())):  # fmt: skip
        monkeypatch.setenv(name, value)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'samskap.db'}"), clock=FakeClock())
    other_key = TokenCipher.from_keys(Fernet.generate_key().decode())
    await DatabaseInstallationStore(bot.db, bot.clock, other_key).async_save(
        Installation(team_id="T2", bot_token="xoxb-other", bot_id="B1", bot_user_id="UBOT", user_id="U1")
    )
    try:
        with pytest.raises(SystemExit, match=r"Cannot read the stored Slack bot tokens: .*key"):
            await serve(bot, {"port": free_port()})
    finally:
        await shutdown(bot)
