"""Thin chat handlers for personal calendar feeds; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.context import Context, MemberContext
from bot.features.calendar.service import CalendarError, CalendarService
from bot.i18n import N_
from bot.messages import ContextLine, Message, Section, Text
from bot.settings import MemberCommand

if TYPE_CHECKING:
    from bot.core_api import CoreApi

SUB = ("kalender", "calendar")
OFF = ("av", "off", "stopp", "stop", "slett", "revoke")


class CalendarHandlers:
    def __init__(self, service: CalendarService) -> None:
        self.service = service

    async def calendar(self, ctx: MemberContext) -> None:
        """A new secret link (the old one stops working), or `av`: no link at all."""
        if ctx.args.strip().lower() in OFF:
            revoked = await self.service.revoke(ctx.member)
            text = N_("Your calendar link no longer works.") if revoked else N_("You have no calendar link.")
            await ctx.reply(ctx.t(text))
            return
        if ctx.args.strip():
            raise_unknown(ctx)
        link = await self.service.new_link(ctx.member)
        await ctx.reply(link_message(ctx, link))


def register(bot: CoreApi, service: CalendarService) -> None:
    h, r = CalendarHandlers(service), bot.router
    help_text = N_("Your own calendar link: the network's meetings and your calls (off: stop it)")
    # Under the meetings' and the calls' own commands (by their first name: the features own them).
    r.command("samling", sub=SUB, help=help_text, usage=N_("[off]"))(h.calendar)
    r.command("samsnakk", sub=SUB, help=help_text, usage=N_("[off]"))(h.calendar)
    hint = N_("kalender: your own calendar link: /samskap innstillinger kalender (av: stop it)")
    bot.settings.declare_member_command(MemberCommand(SUB, h.calendar, hint))


def raise_unknown(ctx: Context) -> None:
    raise CalendarError(
        "Write /samling kalender for a new link, or /samling kalender av to stop it (not “{text}”).",
        text=ctx.args.strip(),
    )


def link_message(ctx: Context, link: str) -> Message:
    return Message.of(
        Section(ctx.t("Your calendar link")),
        Text(link),
        Text(
            ctx.t(
                "Add it in Outlook (Add calendar → From internet) or Google Calendar (Other calendars → From URL). "
                "It shows the network's meetings and your samsnakk calls, and follows changes and cancellations."
            )
        ),
        ContextLine(
            ctx.t(
                "Keep the link to yourself: whoever has it sees your calls. Any earlier link has stopped working. "
                "Stop this one with /samling kalender av."
            )
        ),
        summary=ctx.t("Your calendar link"),
    )
