"""`samskap run --adapter teams`: the Bot Framework endpoint `POST /api/messages` on `--port`/`PORT`.

The same port serves `/healthz`, `/readyz` and `/metrics` (adapters/ops_http.py). With an app id
every request must carry the Bot Connector's token; without one the bot runs unauthenticated,
which is only for local testing (the Bot Framework Emulator, the test suite).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.http_pages import samskap_pages
from adapters.ops_http import application, serve_http_or_exit
from adapters.teams.auth import MESSAGES_PATH, TokenSource, bot_connector_auth, service_url_matches, token_source
from adapters.teams.client import TeamsAdapter
from adapters.teams.connector import Connector
from adapters.teams.events import PLATFORM
from adapters.teams.factory import ConnectorFactory
from adapters.teams.options import TeamsOptions
from bot.app import start_background, stop_gracefully
from storage.models.core import Member
from storage.repositories.teams import People, Stash

if TYPE_CHECKING:
    from bot.core import Bot

log = logging.getLogger(__name__)


def attach(bot: Bot, options: TeamsOptions, tokens: TokenSource | None = None) -> TeamsAdapter:
    """Create the adapter for `bot` and register what it stores about members."""
    # The SDK logs conversation ids and response bodies at INFO: they stay out of samskap's log.
    sdk_log = logging.getLogger("microsoft_agents")
    if sdk_log.getEffectiveLevel() < logging.WARNING:
        sdk_log.setLevel(logging.WARNING)
    # Its connector logs every refused request as an error with a stack; the adapter turns those
    # into DeliveryErrors, which the outbox logs once with their reason.
    logging.getLogger("microsoft_agents.hosting.core.connector").setLevel(logging.CRITICAL)
    adapter = TeamsAdapter(bot, Connector(tokens or token_source(options)), options.allowed_tenants())
    bot.add_adapter(adapter)
    bot.data_exporters[PLATFORM] = _export
    if _erase not in bot.data_erasers:
        bot.data_erasers.append(_erase)
    return adapter


def web_app(bot: Bot, adapter: TeamsAdapter, options: TeamsOptions) -> web.Application:
    sdk = CloudAdapter(channel_service_client_factory=ConnectorFactory(adapter.connector.tokens))
    sdk.on_turn_error = _quiet_turn_error  # the SDK's default posts the exception's text to the chat

    async def messages(request: web.Request) -> web.Response:
        if not await service_url_matches(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        response = await sdk.process(request, adapter)
        return response if response is not None else web.Response(status=202)

    app = application()
    app.middlewares.append(bot_connector_auth(options))
    app.router.add_post(MESSAGES_PATH, messages)
    samskap_pages(app, bot, lambda: None)
    return app


async def _quiet_turn_error(context: TurnContext, error: Exception) -> None:
    log.error("teams: a turn failed (%s)", type(error).__name__)


async def serve(bot: Bot, options: dict[str, Any]) -> None:
    teams_options = TeamsOptions.from_config(bot.config, port=int(options.get("port") or 3000))
    if options.get("host"):
        teams_options = replace(teams_options, host=str(options["host"]))
    if not teams_options.authenticated:
        log.warning(
            "teams: NO APP ID, so requests to %s are NOT AUTHENTICATED. This is for local testing "
            "only; never expose this port. Set MicrosoftAppId and its secret for real use.",
            MESSAGES_PATH,
        )
    if teams_options.authenticated and not teams_options.allowed_tenants():
        log.warning("teams: a multi-tenant bot answers any organisation that uploads its app; "
                    "list yours in [teams] tenants")  # fmt: skip
    adapter = attach(bot, teams_options)
    start_background(bot)
    runner: web.AppRunner | None = await serve_http_or_exit(
        web_app(bot, adapter, teams_options), teams_options.host, teams_options.port
    )
    stop: asyncio.Event = options.get("stop") or asyncio.Event()
    try:
        await stop.wait()
        # No new activities first (the Bot Connector retries them elsewhere or later), then the work
        # under way finishes while the connector client is still open.
        if runner is not None:
            await runner.cleanup()
            runner = None
        await stop_gracefully(bot)
    finally:
        if runner is not None:
            await runner.cleanup()
        await adapter.close()


async def _export(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    """How samskap reaches the member in Teams, forms not yet sent and files not yet taken."""
    if member.platform != PLATFORM:
        return []
    person = await People(session).get(member.workspace_id, member.user_id)
    found: list[dict[str, Any]] = []
    if person is not None:
        found.append({"teams_user_id": person.teams_id, "personal_chat": person.conversation_id})
    for row in await Stash(session).of(member.user_id):
        found.append({"open_form": row.data["form"]["form_id"]} if row.kind == "form"
                     else {"file_on_offer": row.data["filename"]})  # fmt: skip
    return found


async def _erase(session: AsyncSession, member: Member) -> None:
    if member.platform == PLATFORM:
        await People(session).forget(member.workspace_id, member.user_id)
        await Stash(session).remove_of(member.user_id)
