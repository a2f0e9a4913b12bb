"""The leaders' overview on samskap's HTTP port: the signed link, the session cookie, the page and CSVs.

- `GET /leder/lenke/<token>`: the link from `/samskap leder oversikt`. Valid for 15 minutes; it
  sets a session cookie (HttpOnly, SameSite=Lax, Secure over https) and sends the browser on to
  the page, so the token leaves the address bar and the history.
- `GET /leder/oversikt?period=term|last-term|year`: the page, rendered on the server.
- `GET /leder/oversikt/<table>.csv?period=…`: each table as CSV.

Every answer forbids scripts, frames, referrers and caching: the page is about colleagues.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.web.pages import TABLES, View, csv_text, message_page, overview_page
from bot.core import Bot
from bot.features.oversikt.figures import PERIODS
from bot.features.oversikt.links import SESSION_LIFETIME, Pass, Refusal
from bot.features.oversikt.service import LINK_PATH, PAGE_PATH, OverviewService
from bot.i18n import N_
from bot.times import find_zone
from storage.models.core import Member, Network

log = logging.getLogger(__name__)

COOKIE = "samskap_leader"
COOKIE_PATH = "/leder"
STYLESHEET = Path(__file__).parent / "templates" / "oversikt.css"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}

REFUSALS = {
    Refusal.EXPIRED: (
        N_("This link has expired"),
        N_("Links to the overview open the page within 15 minutes. Ask for a new one with /samskap leder oversikt."),
    ),
    Refusal.ALTERED: (
        N_("This link is not valid"),
        N_("The link has been changed or was not made by samskap. Ask for a new one with /samskap leder oversikt."),
    ),
}
NOT_A_LEADER = (
    N_("Only network leaders see this page"),
    N_("The overview is for the network's leaders. If you are one, ask for a link with /samskap leder oversikt."),
)
NO_SESSION = (
    N_("Open the overview from the chat"),
    N_("Ask for your personal link with /samskap leder oversikt, then open it within 15 minutes."),
)


def leader_routes(app: web.Application, bot: Bot, options: dict[str, Any] | None = None) -> None:
    """Mount the leaders' page on `app`. `options["local_url"]` is where this process answers, the
    link's address when no public one is configured (the console with `--port`)."""
    service: OverviewService = bot.services.get(OverviewService)
    if options and options.get("local_url"):
        service.local_url = str(options["local_url"])
    pages = LeaderPages(bot, service)
    app.router.add_get(LINK_PATH + "{token}", pages.open_link)
    app.router.add_get(PAGE_PATH, pages.overview)
    app.router.add_get(PAGE_PATH + "/{table}.csv", pages.csv)
    app.router.add_get(PAGE_PATH + ".css", pages.stylesheet)


@cache
def stylesheet_text() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


class LeaderPages:
    def __init__(self, bot: Bot, service: OverviewService) -> None:
        self.bot, self.service = bot, service

    async def open_link(self, request: web.Request) -> web.Response:
        now = self.bot.clock.now()
        seen = (await self.service.signer()).read_link(request.match_info["token"], now)
        if isinstance(seen, Refusal):
            log.info("leaders' page: a link was refused (%s)", seen.value)
            return self.refused(self.bot.config.language, *REFUSALS[seen], status=403)
        found = await self.service.leader_of(seen)
        if found is None:
            return self.refused(self.bot.config.language, *NOT_A_LEADER, status=403)
        member, network = found
        session = (await self.service.signer()).session(member.id, network.id, now)
        response = web.Response(status=303, headers={**HEADERS, "Location": PAGE_PATH})
        response.set_cookie(
            COOKIE,
            session,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            secure=self.over_https(request),
            samesite="Lax",
        )
        return response

    def over_https(self, request: web.Request) -> bool:
        base = self.service.base_url() or ""
        return request.secure or base.startswith("https://")

    async def leader(self, request: web.Request) -> tuple[Member, Network] | web.Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return self.refused(self.bot.config.language, *NO_SESSION, status=401)
        seen: Pass | Refusal = (await self.service.signer()).read_session(token, self.bot.clock.now())
        if isinstance(seen, Refusal):
            return self.refused(self.bot.config.language, *NO_SESSION, status=401)
        found = await self.service.leader_of(seen)
        if found is None:
            return self.refused(self.bot.config.language, *NOT_A_LEADER, status=403)
        return found

    async def view(self, request: web.Request) -> View | web.Response:
        found = await self.leader(request)
        if isinstance(found, web.Response):
            return found
        member, network = found
        period = request.query.get("period", "term")
        figures = await self.service.figures(network, period if period in PERIODS else "term")
        t = self.bot.translator_for(member, network)
        tz = find_zone(network.timezone) or find_zone("Europe/Oslo")
        assert tz is not None
        return View(figures, t, tz, self.bot.clock.now(), network.name)

    async def overview(self, request: web.Request) -> web.Response:
        view = await self.view(request)
        if isinstance(view, web.Response):
            return view
        return web.Response(text=overview_page(view), content_type="text/html", charset="utf-8", headers=HEADERS)

    async def csv(self, request: web.Request) -> web.Response:
        name = request.match_info["table"]
        if name not in TABLES:
            raise web.HTTPNotFound()
        view = await self.view(request)
        if isinstance(view, web.Response):
            return view
        period = view.f.period
        filename = f"samskap-{name}-{period.start.isoformat()}.csv"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
        # A byte-order mark, so spreadsheets read Norwegian letters as UTF-8.
        body = ("\ufeff" + csv_text(view.table(name))).encode("utf-8")
        return web.Response(body=body, content_type="text/csv", charset="utf-8", headers=headers)

    async def stylesheet(self, _request: web.Request) -> web.Response:
        headers = {**HEADERS, "Cache-Control": "public, max-age=3600"}
        return web.Response(text=stylesheet_text(), content_type="text/css", headers=headers)

    def refused(self, language: str, title: str, text: str, *, status: int) -> web.Response:
        return web.Response(
            text=message_page(language, title, text),
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers=HEADERS,
        )
