"""The pages behind the links in e-mails, on samskap's HTTP port.

- `/mail/confirm/<token>`: GET shows a button, POST confirms. Mail scanners open every link in a
  message; only a person pressing the button confirms (double opt-in).
- `/mail/unsubscribe/<token>`: GET shows a button; POST unsubscribes at once, which is also the
  one-click unsubscribe of RFC 8058 that Gmail and Outlook send (`List-Unsubscribe=One-Click`).
"""

from __future__ import annotations

import html

from aiohttp import web

from bot.core import Bot
from bot.features.mail.service import MailService
from bot.i18n import Translator, translator

CONFIRM = "/mail/confirm/{token}"
UNSUBSCRIBE = "/mail/unsubscribe/{token}"
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def page(t: Translator, title: str, text: str, button: str | None = None, status: int = 200) -> web.Response:
    form = (
        f'<form method="post"><button type="submit" style="font-size:18px;padding:10px 20px;">'
        f"{html.escape(button)}</button></form>"
        if button
        else ""
    )
    body = (
        f'<!DOCTYPE html><html lang="{t.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;max-width:600px;margin:40px auto;padding:0 16px;">'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</body></html>"
    )
    return web.Response(text=body, content_type="text/html", status=status, headers=HEADERS)


def mail_routes(app: web.Application, bot: Bot) -> None:
    async def reader(request: web.Request, kind: str) -> Translator:
        """The reader's language when the token is known, else the configured one."""
        language = await bot.services.get(MailService).language_of(**{kind: request.match_info["token"]})
        return translator(language) if language else bot.translator_for()

    async def confirm_page(request: web.Request) -> web.Response:
        t = await reader(request, "confirm_token")
        return page(t, t.t("Confirm the weekly digest"), t.t("Press the button to get the weekly digest by e-mail."),
                    t.t("Yes, send me the digest"))  # fmt: skip

    async def confirm(request: web.Request) -> web.Response:
        t = await reader(request, "confirm_token")
        if await bot.services.get(MailService).confirm_token(request.match_info["token"]):
            return page(t, t.t("Confirmed"), t.t("You will get the weekly digest by e-mail. Every e-mail has a "
                                                 "link to stop it."))  # fmt: skip
        return page(t, t.t("This link does not work"), t.t("It has been used already, or it has expired."),
                    status=404)  # fmt: skip

    async def unsubscribe_page(request: web.Request) -> web.Response:
        t = await reader(request, "unsubscribe_token")
        return page(t, t.t("Unsubscribe"), t.t("Press the button to stop the weekly digest by e-mail."),
                    t.t("Unsubscribe"))  # fmt: skip

    async def unsubscribe(request: web.Request) -> web.Response:
        t = await reader(request, "unsubscribe_token")
        await bot.services.get(MailService).unsubscribe(request.match_info["token"])
        # The same answer whether or not the token was known: it tells nobody which links are live.
        return page(t, t.t("Unsubscribed"), t.t("You get no more e-mails from this network, and your address "
                                                "is deleted."))  # fmt: skip

    app.router.add_get(CONFIRM, confirm_page)
    app.router.add_post(CONFIRM, confirm)
    app.router.add_get(UNSUBSCRIBE, unsubscribe_page)
    app.router.add_post(UNSUBSCRIBE, unsubscribe)
