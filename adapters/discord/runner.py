"""`samskap run --adapter discord`: connect to Discord and serve until cancelled."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.events import PLATFORM
from adapters.discord.options import DiscordOptions
from adapters.http_pages import samskap_pages
from adapters.ops_http import application, serve_http_or_exit
from bot.app import start_background, stop_gracefully
from storage.models.core import Member
from storage.repositories.discord import Stash

if TYPE_CHECKING:
    from bot.core import Bot

log = logging.getLogger(__name__)


def attach(bot: Bot, options: DiscordOptions) -> DiscordAdapter:
    """Create the adapter for `bot` (not connected yet) and register what it stores about members."""
    options.apply_urls()
    # discord.py logs whole gateway events and request bodies at DEBUG: members' words and
    # interaction tokens. They stay out of the log even when samskap itself logs at DEBUG.
    discord_log = logging.getLogger("discord")
    if discord_log.getEffectiveLevel() < logging.INFO:
        discord_log.setLevel(logging.INFO)
    adapter = DiscordAdapter(bot, options)
    bot.add_adapter(adapter)
    bot.data_exporters["discord"] = _export_open_forms
    if _erase_open_forms not in bot.data_erasers:
        bot.data_erasers.append(_erase_open_forms)
    if not options.message_content:
        log.info(
            "Discord: the Message Content intent is off ([discord] message_content), so links posted in "
            "channels are not captured; only explicit shares with a command are."
        )
    return adapter


async def serve(bot: Bot, options: dict[str, Any]) -> None:
    discord_options = DiscordOptions.from_config(
        bot.config,
        api_url=options.get("api_url"),
        gateway_url=options.get("gateway_url"),
        message_content=options.get("message_content"),
    )
    if not discord_options.token:
        raise SystemExit("Discord needs DISCORD_BOT_TOKEN (or DISCORD_BOT_TOKEN_FILE).")
    adapter = attach(bot, discord_options)
    http = await serve_http_or_exit(ops_app(bot, adapter), str(bot.config.section("discord").get("host", "0.0.0.0")),
                                    int(options.get("port") or 3000))  # fmt: skip
    start_background(bot)
    connection = asyncio.create_task(adapter.client.start(discord_options.token.get()))
    stop: asyncio.Event = options.get("stop") or asyncio.Event()
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if connection.done():
            connection.result()  # the client stopped on its own: say why
            return
        # The gateway stays connected while the work under way finishes (it sends through the
        # same client), but new interactions and messages are left alone.
        adapter.inbound.taking_events = False
        await stop_gracefully(bot)
    finally:
        stopping.cancel()
        await http.cleanup()
        await adapter.client.close()
        if not connection.done():
            connection.cancel()
        await asyncio.gather(connection, return_exceptions=True)


def ops_app(bot: Bot, adapter: DiscordAdapter) -> web.Application:
    """The leaders' page and the operator's routes; /readyz follows the gateway connection."""

    def gateway_down() -> str | None:
        client = adapter.client
        return None if client.is_ready() and not client.is_closed() else "the Discord gateway is not connected"

    app = application()
    samskap_pages(app, bot, gateway_down)
    return app


async def _export_open_forms(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    """Answers to a form that is still being filled in (kept until it is sent, at most two days)."""
    if member.platform != PLATFORM:
        return []
    rows = await Stash(session).forms_of(member.user_id)
    return [{"form": row.data["form"]["form_id"], "answers": row.data["values"]} for row in rows]


async def _erase_open_forms(session: AsyncSession, member: Member) -> None:
    if member.platform == PLATFORM:
        await Stash(session).remove_forms_of(member.user_id)
