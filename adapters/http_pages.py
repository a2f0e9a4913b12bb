"""Everything samskap serves on its HTTP port besides a platform's own endpoint, mounted the same way by
every runner: the operator's routes (/healthz, /readyz, /metrics), the leaders' overview page, the
personal calendar feeds, and the pages behind the digest e-mails' links (confirm, unsubscribe)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.calendar_http import calendar_routes
from adapters.mail_http import mail_routes
from adapters.ops_http import PlatformCheck, ops_routes
from adapters.web import leader_routes
from bot.core import Bot


def samskap_pages(
    app: web.Application, bot: Bot, platform_down: PlatformCheck, leader_options: dict[str, Any] | None = None
) -> None:
    ops_routes(app, bot, platform_down)
    leader_routes(app, bot, leader_options)
    calendar_routes(app, bot)
    mail_routes(app, bot)
