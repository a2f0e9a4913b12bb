"""`samskap run --adapter slack`: Socket Mode with an app token, otherwise events over HTTP.

Both serve HTTP on the port: `POST /slack/events` (over HTTP: commands, clicks, forms and events all
come here), with SLACK_CLIENT_ID/SECRET the install pages, the leaders' page, and the operator's
`/healthz`, `/readyz` and `/metrics`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from adapters.http_pages import samskap_pages
from adapters.ops_http import BODY_TIMEOUT, application, serve_http_or_exit
from adapters.slack.app import SlackApp
from adapters.slack.options import SlackOptions
from adapters.slack.signing import SignatureCheck
from bot.app import start_background, stop_gracefully
from bot.core import Bot
from storage.secrets import SecretKeyError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def web_app(
    slack: SlackApp, *, body_timeout: float = BODY_TIMEOUT, socket_mode: SocketModeState | None = None
) -> web.Application:
    """Slack's events (over HTTP), the install pages, the leaders' page and the operator's routes on one
    port. In Socket Mode events come over the socket, and /readyz follows its connection."""
    app = application(body_timeout=body_timeout)
    if socket_mode is None:
        signatures = SignatureCheck(slack.options.signing_secret.get())

        async def events(request: web.Request) -> web.Response:
            if not signatures.accepts(await request.read(), request.headers):
                return web.json_response({"error": "invalid request"}, status=401)
            response = await slack.bolt.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(response)

        app.router.add_post(EVENTS_PATH, events)
    samskap_pages(app, slack.bot, socket_mode.down if socket_mode is not None else lambda: None)
    flow = slack.bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, redirect)
    return app


class SocketModeState:
    """Whether the Socket Mode connection is up, for /readyz."""

    def __init__(self) -> None:
        self.handler: AsyncSocketModeHandler | None = None

    def down(self) -> str | None:
        client = self.handler.client if self.handler is not None else None
        session = getattr(client, "current_session", None)
        if client is None or client.closed or getattr(client, "stale", False) or session is None or session.closed:
            return "Slack Socket Mode is not connected"
        return None


async def start_http(
    slack: SlackApp, host: str, port: int, socket_mode: SocketModeState | None = None
) -> web.AppRunner:
    return await serve_http_or_exit(web_app(slack, socket_mode=socket_mode), host, port)


async def start_socket_mode(slack: SlackApp) -> AsyncSocketModeHandler:
    handler = AsyncSocketModeHandler(slack.bolt, slack.options.app_token.get())
    await handler.connect_async()
    log.info("slack: connected over Socket Mode")
    return handler


async def serve(bot: Bot, options: dict[str, Any]) -> None:
    """Run the Slack adapter until `options["stop"]` is set (then drain), or until cancelled."""
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
    # Every mode serves HTTP: events (over HTTP), installs, the leaders' page, /healthz, /readyz, /metrics.
    socket_state = None
    if handler is not None:
        socket_state = SocketModeState()
        socket_state.handler = handler
    runner: web.AppRunner | None = await start_http(slack, slack_options.host, slack_options.port, socket_state)
    stop: asyncio.Event = options.get("stop") or asyncio.Event()
    try:
        await stop.wait()
        # No new events first (Slack sends them to another connection, or again later), then the
        # work under way finishes while the Web API client is still open.
        if handler is not None:
            await handler.close_async()
            handler = None
        if runner is not None:
            await runner.cleanup()
            runner = None
        await stop_gracefully(bot)
    finally:
        if handler is not None:
            await handler.close_async()
        if runner is not None:
            await runner.cleanup()
        await slack.close()
