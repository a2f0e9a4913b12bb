"""Thin chat handlers for the network's meetings; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.context import MemberContext
from bot.features.samlinger import cards
from bot.features.samlinger.service import SamlingError, SamlingService
from bot.i18n import N_
from bot.messages import ContextLine, Message
from bot.numbers import leading_number

if TYPE_CHECKING:
    from bot.core_api import CoreApi

COMMAND = ("samling", "samlinger", "meeting", "meetings")


def register(bot: CoreApi, service: SamlingService) -> None:
    r = bot.router

    @r.command(COMMAND, help=N_("The network's next meetings"))
    async def upcoming(ctx: MemberContext) -> None:
        samlinger = await service.upcoming(ctx.network)
        tz, now = service.tz(ctx.network), ctx.bot.clock.now()
        message = cards.upcoming(ctx.translator, samlinger, tz, ctx.member.is_leader, now)
        hint = ContextLine(ctx.t("Have the meetings in your own calendar: /samling kalender"))
        await ctx.reply(Message((*message.parts, hint), message.summary))

    @r.command(
        COMMAND,
        sub=("ny", "new", "add"),
        access="leader",
        help=N_("Put a network meeting in the calendar"),
        usage=N_("<date> <time> [where: what]"),
    )
    async def add(ctx: MemberContext) -> None:
        if not ctx.args.strip():
            raise SamlingError("Write the date and time, for example: /samling ny 14.01 12:00 Rådhuset: trivsel")
        planned = await service.add(ctx.network, ctx.member, ctx.args)
        tz, now = service.tz(ctx.network), ctx.bot.clock.now()
        message = cards.added(ctx.translator, planned.samling, tz, planned.reminder_days, now)
        await ctx.reply(message, visibility="channel")

    @r.command(COMMAND, sub=("fjern", "remove"), access="leader", help=N_("Take a meeting out"), usage=N_("<number>"))
    async def remove(ctx: MemberContext) -> None:
        number, _ = leading_number(ctx.args)
        if number is None:
            raise SamlingError("Which meeting? Give its number: /samling fjern <number>")
        samling = await service.remove(ctx.network, ctx.member, number)
        when = cards.when_and_about(ctx.translator, samling, service.tz(ctx.network), ctx.bot.clock.now())
        await ctx.reply(ctx.t("Meeting {id} ({when}) is out of the calendar.", id=samling.id, when=when))
