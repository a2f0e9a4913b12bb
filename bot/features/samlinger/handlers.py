"""Thin chat handlers for the network's meetings; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.context import MemberContext
from bot.features.samlinger import cards
from bot.features.samlinger.service import SamlingError, SamlingService
from bot.i18n import N_
from bot.messages import ContextLine, Message

if TYPE_CHECKING:
    from bot.core_api import CoreApi

COMMAND = ("samling", "samlinger", "meeting", "meetings")
WHICH_MEETING = N_("Which meeting? Give its number: {usage}")


class SamlingHandlers:
    """The meetings' commands: each reads what the member sent, asks the service, answers with a card."""

    def __init__(self, service: SamlingService) -> None:
        self.service = service

    async def upcoming(self, ctx: MemberContext) -> None:
        samlinger = await self.service.upcoming(ctx.network)
        tz, now = self.service.tz(ctx.network), ctx.bot.clock.now()
        message = cards.upcoming(ctx.translator, samlinger, tz, ctx.member.is_leader, now)
        hint = ContextLine(ctx.t("Have the meetings in your own calendar: /samling kalender"))
        await ctx.reply(Message((*message.parts, hint), message.summary))

    async def add(self, ctx: MemberContext) -> None:
        if not ctx.args.strip():
            raise SamlingError("Write the date and time, for example: /samling ny 14.01 12:00 Rådhuset: trivsel")
        planned = await self.service.add(ctx.network, ctx.member, ctx.args)
        tz, now = self.service.tz(ctx.network), ctx.bot.clock.now()
        message = cards.added(ctx.translator, planned.samling, tz, planned.reminder_days, now)
        await ctx.reply(message, visibility="channel")

    async def remove(self, ctx: MemberContext) -> None:
        number, _ = ctx.numbered(WHICH_MEETING, N_("<number>"))
        samling = await self.service.remove(ctx.network, ctx.member, number)
        when = cards.when_and_about(ctx.translator, samling, self.service.tz(ctx.network), ctx.bot.clock.now())
        await ctx.reply(ctx.t("Meeting {id} ({when}) is out of the calendar.", id=samling.id, when=when))


def register(bot: CoreApi, service: SamlingService) -> None:
    h, r = SamlingHandlers(service), bot.router
    r.command(COMMAND, help=N_("The network's next meetings"))(h.upcoming)
    r.command(COMMAND, sub=("ny", "new", "add"), access="leader", help=N_("Put a network meeting in the calendar"),
              usage=N_("<date> <time> [where: what]"))(h.add)  # fmt: skip
    r.command(COMMAND, sub=("fjern", "remove"), access="leader", help=N_("Take a meeting out"),
              usage=N_("<number>"))(h.remove)  # fmt: skip
