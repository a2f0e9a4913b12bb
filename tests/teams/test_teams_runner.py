"""`samskap run --adapter teams`: the Bot Framework endpoint and the operations routes on one port,
a loud warning without an app id, and nothing members wrote or platform ids in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest
from fake_connector import TENANT, FakeConnector
from teams_harness import TeamsHarness, text_of

from adapters.teams.options import TeamsOptions
from adapters.teams.runner import serve
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from storage.repositories.teams import Tenants
from tests.support import answers, eventually, free_port, running


async def test_run_serves_api_messages_and_health_and_warns_without_an_app_id(
    tmp_path: Path, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("MicrosoftAppId", "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID"):
        monkeypatch.delenv(name, raising=False)
    bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'samskap.db'}", adapter="teams"),
                          clock=FakeClock())  # fmt: skip
    port = free_port()
    caplog.set_level(logging.WARNING, logger="adapters.teams.runner")
    async with running(serve, bot, {"port": port, "host": "127.0.0.1"}):
        async with aiohttp.ClientSession() as http:
            await eventually(lambda: answers(http, f"http://127.0.0.1:{port}/healthz"), what="/healthz to answer")
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                assert health.headers["Server"] == "samskap"
            driver = TeamsHarness(connector, "", FakeClock())
            activity = driver.activity("kari", driver.in_personal_chat("kari"), text="samskap")
            async with http.post(f"http://127.0.0.1:{port}/api/messages", json=activity) as response:
                assert response.status == 202
            async with http.get(f"http://127.0.0.1:{port}/api/messages") as response:
                assert response.status == 405
        assert "teams" in bot.adapters and driver.dms_to("kari")
        assert "NOT AUTHENTICATED" in caplog.text


async def test_a_whole_conversation_leaves_no_words_or_ids_in_the_log(
    teams: TeamsHarness, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await teams.say_in_channel("kari", "bli-med Nordby skole")
    await teams.say_in_channel("kari", "ide Vennskapsbenk i friminuttet")
    connector.fail("POST", r"activities$", 429, headers={"Retry-After": "0"})
    connector.fail("POST", r"activities$", 403)
    await teams.say_in_personal_chat("kari", "ideer")
    # The database drivers' own DEBUG lines are another matter (they are held back elsewhere).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("adapters", "bot",
                      "microsoft_agents", "aiohttp", "msal", "samskap"))  # fmt: skip
    assert "teams" in ours  # the adapter did log (the 403), without saying to whom or what
    for secret in ("Vennskapsbenk", "Nordby", "29:kari", "a:personal", "19:team", connector.service_url):
        assert secret not in ours, secret


async def test_the_bot_framework_emulator_can_talk_to_an_unauthenticated_bot(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    activity = teams.activity("kari", {"id": "5e1d2c3b-emulator|livechat"}, channelId="emulator", text="samskap",
                              channelData={})  # fmt: skip
    assert await teams.post(activity) == 202
    answers = connector.messages["5e1d2c3b-emulator|livechat"]
    assert answers and "samskap" in text_of(answers[0])
    assert connector.created == []  # its one chat is the direct conversation: nothing to create


async def test_activities_from_a_tenant_samskap_does_not_serve_are_ignored(
    connector: FakeConnector, database_url: str
) -> None:
    options = TeamsOptions(tenants=frozenset({"other"}))
    harness = await TeamsHarness(connector, database_url, FakeClock(), options=options).start()
    try:
        assert await harness.say_in_channel("kari", "bli-med Nordby skole") == 202
        assert connector.requests == []
        async with harness.bot.db.read() as s:
            assert await Tenants(s).get(TENANT) is None
    finally:
        await harness.close()
