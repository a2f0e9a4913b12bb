"""`GET /calendar/<token>.ics`: a member's calendar feed, for Outlook and Google Calendar to subscribe to.

Served on the same port as the operator's routes. A wrong or revoked token gets the same 404 as a
path that never existed; the token is never logged (aiohttp's access log is off).
"""

from __future__ import annotations

from aiohttp import web

from bot.core import Bot
from bot.features.calendar.service import CalendarService

ROUTE = "/calendar/{token}.ics"


def calendar_routes(app: web.Application, bot: Bot) -> None:
    async def calendar_feed(request: web.Request) -> web.Response:
        body = await bot.services.get(CalendarService).feed(request.match_info["token"])
        if body is None:
            return web.Response(status=404, text="Not found.")
        headers = {
            "Cache-Control": "private, max-age=900",
            "Content-Disposition": 'inline; filename="samskap.ics"',
            "X-Robots-Tag": "noindex",
            "Referrer-Policy": "no-referrer",
        }
        return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers=headers)

    app.router.add_get(ROUTE, calendar_feed)
