"""A real bot with the real slack-bolt app, served over HTTP, talking to a fake Slack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from fake_slack import FakeSlack, command_body, interactive_body, signed_headers

from adapters.ops_http import runner_options
from adapters.slack.app import SlackApp
from adapters.slack.options import SlackOptions
from adapters.slack.runner import web_app
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config, Secret
from bot.core import Bot

SECRET = "test-signing-secret"


def slack_options(fake: FakeSlack, **overrides: Any) -> SlackOptions:
    values: dict[str, Any] = {
        "bot_token": Secret("xoxb-test"),
        "signing_secret": Secret(SECRET),
        "api_url": fake.api_url,
        "pace_seconds": 0.0,
        "backoff_seconds": 0.01,
        "max_rate_limit_wait": 5.0,
    }
    values.update(overrides)
    return SlackOptions(**values)


class SlackHarness:
    """Speaks to the bot as Slack does (signed HTTP requests) and reads what reached the fake."""

    def __init__(self, bot: Bot, app: SlackApp, fake: FakeSlack, server: TestServer) -> None:
        self.bot = bot
        self.app = app
        self.fake = fake
        self.server = server
        self.http = aiohttp.ClientSession()

    @property
    def events_url(self) -> str:
        return str(self.server.make_url("/slack/events"))

    async def post(
        self, body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:  # fmt: skip
        sent_headers = headers if headers is not None else signed_headers(secret, body, content_type, timestamp)
        async with self.http.post(self.events_url, data=body.encode(), headers=sent_headers) as response:
            await response.read()
            return response

    async def command(self, command: str, text: str = "", **kw: Any) -> aiohttp.ClientResponse:
        kw.setdefault("response_url", self.fake.hook_url())
        return await self.post(command_body(command, text, **kw), "application/x-www-form-urlencoded")

    async def interact(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        return await self.post(interactive_body(payload), "application/x-www-form-urlencoded")

    async def event(self, body: dict[str, Any]) -> aiohttp.ClientResponse:
        return await self.post(json.dumps(body), "application/json")

    async def close(self) -> None:
        await self.http.close()
        await self.server.close()
        await self.app.close()
        await self.bot.db.dispose()


async def start_harness(
    tmp_path: Path, fake: FakeSlack, *, database_url: str = "", idle_timeout: float | None = None,
    body_timeout: float | None = None, **overrides: Any,
) -> SlackHarness:  # fmt: skip
    database_url = database_url or f"sqlite:///{tmp_path / 'samskap.db'}"
    bot = await build_bot(Config(database_url=database_url), clock=FakeClock())
    app = SlackApp(bot, slack_options(fake, **overrides))
    bot.add_adapter(app.adapter)
    web = web_app(app) if body_timeout is None else web_app(app, body_timeout=body_timeout)
    options = runner_options() if idle_timeout is None else runner_options(idle_timeout, linger=idle_timeout)
    server = TestServer(web, host="127.0.0.1")
    await server.start_server(**options)
    return SlackHarness(bot, app, fake, server)
