"""`samskap run --adapter slack`: Socket Mode with an app token, otherwise an HTTP server.

HTTP serves `POST /slack/events` (commands, clicks, forms and events all come here),
`GET /healthz`, and with SLACK_CLIENT_ID/SECRET the install pages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from adapters.calendar_http import calendar_routes
from adapters.mail_http import mail_routes
from adapters.ops_http import BODY_TIMEOUT, application, runner_options
from adapters.slack.app import SlackApp
from adapters.slack.options import SlackOptions
from adapters.slack.signing import SignatureCheck
from bot.app import start_background
from bot.core import Bot
from storage.secrets import SecretKeyError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def web_app(slack: SlackApp, *, body_timeout: float = BODY_TIMEOUT) -> web.Application:
    signatures = SignatureCheck(slack.options.signing_secret.get())

    async def events(request: web.Request) -> web.Response:
        if not signatures.accepts(await request.read(), request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        response = await slack.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "adapter": "slack"})

    app = application(body_timeout=body_timeout)
    app.router.add_post(EVENTS_PATH, events)
    app.router.add_get("/healthz", healthz)
    calendar_routes(app, slack.bot)
    mail_routes(app, slack.bot)
    flow = slack.bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, redirect)
    return app


async def start_http(slack: SlackApp, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app(slack), **runner_options())
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("slack: listening on http://%s:%d%s", host, port, EVENTS_PATH)
    return runner


async def start_socket_mode(slack: SlackApp) -> AsyncSocketModeHandler:
    handler = AsyncSocketModeHandler(slack.bolt, slack.options.app_token.get())
    await handler.connect_async()
    log.info("slack: connected over Socket Mode")
    return handler


async def serve(bot: Bot, options: dict[str, Any]) -> None:
    """Run the Slack adapter until cancelled."""
    slack_options = SlackOptions.load(options, bot.config.section("slack"))
    problems = slack_options.problems()
    if problems:
        raise SystemExit("\n".join(problems))
    slack = SlackApp(bot, slack_options)
    if slack.installations is not None:
        try:
            await slack.installations.encrypt_stored_tokens()
        except SecretKeyError as error:
            await slack.close()
            raise SystemExit(f"Cannot read the stored Slack bot tokens: {error}.") from None
    bot.add_adapter(slack.adapter)
    start_background(bot)
    handler = await start_socket_mode(slack) if slack_options.socket_mode else None
    # Installs need web pages even in Socket Mode; without installs, Socket Mode needs no port.
    runner = None
    if handler is None or slack_options.oauth:
        runner = await start_http(slack, slack_options.host, slack_options.port)
    try:
        await asyncio.Event().wait()
    finally:
        if handler is not None:
            await handler.close_async()
        if runner is not None:
            await runner.cleanup()
        await slack.close()
