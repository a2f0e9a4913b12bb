"""Socket Mode: the real slack_sdk client connects through apps.connections.open and acks envelopes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from fake_slack import FakeSlack, block_actions, command_body, event_body
from slack_harness import SlackHarness, start_harness

from adapters.slack.runner import start_socket_mode
from bot.config import Secret
from bot.context import Context
from bot.events import MessageEvent
from tests.support import eventually


@pytest.fixture
async def socket_slack(tmp_path: Path, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    harness = await start_harness(tmp_path, fake_slack, app_token=Secret("xapp-test"), signing_secret=Secret(""))
    handler = await start_socket_mode(harness.app)
    yield harness
    await handler.close_async()
    await harness.close()


def command_payload(command: str, text: str, hook: str) -> dict[str, str]:
    return {
        k: v[0] for k, v in parse_qs(command_body(command, text, response_url=hook), keep_blank_values=True).items()
    }


async def test_socket_mode_connects_with_the_app_token(socket_slack: SlackHarness) -> None:
    opened = await socket_slack.fake.wait_for("apps.connections.open")
    assert opened[0].token == "xapp-test"


async def test_a_slash_command_envelope_is_acked_then_answered(socket_slack: SlackHarness) -> None:
    fake = socket_slack.fake
    await fake.send_envelope({
        "envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
        "payload": command_payload("/samskap", "bli-med Nordby skole", fake.hook_url()),
    })  # fmt: skip
    ack = await fake.wait_for_ack("env-1")
    assert ack["envelope_id"] == "env-1"
    hooks = await fake.wait_for_hooks()
    assert "Nordby skole" in hooks[0]["text"]


async def test_an_events_api_envelope_reaches_message_listeners(socket_slack: SlackHarness) -> None:
    seen: list[MessageEvent] = []

    @socket_slack.bot.router.on_message()
    async def capture(ctx: Context) -> None:
        seen.append(ctx.event)  # type: ignore[arg-type]

    event = {"type": "message", "channel": "C1", "channel_type": "channel", "user": "UOLA",
             "text": "Ny artikkel: <https://utdanningsforskning.no/artikler/x>", "ts": "1700000500.000500"}  # fmt: skip
    await socket_slack.fake.send_envelope(
        {"envelope_id": "env-2", "type": "events_api", "accepts_response_payload": False, "payload": event_body(event)}
    )
    await socket_slack.fake.wait_for_ack("env-2")
    await socket_slack.fake.wait_for("users.info")
    await eventually(lambda: seen, what="the message dispatched")
    assert seen[0].text == "Ny artikkel: https://utdanningsforskning.no/artikler/x"


async def test_an_interactive_envelope_is_acked_and_dispatched(socket_slack: SlackHarness) -> None:
    fake = socket_slack.fake
    await fake.send_envelope({
        "envelope_id": "env-3", "type": "interactive", "accepts_response_payload": True,
        "payload": block_actions("membership.join", user="UPER", response_url=fake.hook_url()),
    })  # fmt: skip
    await fake.wait_for_ack("env-3")
    hooks = await fake.wait_for_hooks()
    assert "/samskap bli-med" in json.dumps(hooks[0], ensure_ascii=False)


async def test_an_envelope_from_another_workspace_is_not_dispatched(socket_slack: SlackHarness) -> None:
    fake = socket_slack.fake
    await fake.send_envelope({
        "envelope_id": "env-4", "type": "slash_commands", "accepts_response_payload": True,
        "payload": {**command_payload("/samskap", "bli-med Nordby skole", fake.hook_url()), "team_id": "T_OTHER"},
    })  # fmt: skip
    await fake.send_envelope({
        "envelope_id": "env-5", "type": "slash_commands", "accepts_response_payload": True,
        "payload": command_payload("/samskap", "", fake.hook_url("later")),
    })  # fmt: skip
    await fake.wait_for_ack("env-5")
    await fake.wait_for_hooks()
    assert [name for name, _ in fake.hooks] == ["later"]


async def test_a_redelivered_event_envelope_is_acked_and_handled_once(socket_slack: SlackHarness) -> None:
    fake = socket_slack.fake
    payload = event_body({"type": "app_home_opened", "user": "UOLA", "channel": "DUOLA", "tab": "home"})
    await fake.send_envelope(
        {"envelope_id": "env-a", "type": "events_api", "accepts_response_payload": False, "payload": payload}
    )
    await fake.wait_for_ack("env-a")
    await fake.wait_for("views.publish")
    await fake.send_envelope({"envelope_id": "env-b", "type": "events_api", "accepts_response_payload": False,
                              "retry_attempt": 1, "retry_reason": "timeout", "payload": payload})  # fmt: skip
    await fake.wait_for_ack("env-b")
    await asyncio.sleep(0.3)
    assert len(fake.requests_to("views.publish")) == 1
