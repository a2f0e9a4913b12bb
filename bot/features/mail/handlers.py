"""Thin chat handlers for the digest by e-mail; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.context import MemberContext
from bot.features.mail import cards
from bot.features.mail.service import MailError, MailService
from bot.i18n import N_
from bot.settings import MemberCommand

if TYPE_CHECKING:
    from bot.core_api import CoreApi

CONFIRM = ("bekreft", "stadfest", "confirm")
OFF = ("av", "off", "stopp", "stop")
SAMSKAP = "samskap"
EMAIL = ("epost", "e-post", "email")


class MailHandlers:
    """A member's own address, and what leaders see of who gets the digest by e-mail."""

    def __init__(self, service: MailService) -> None:
        self.service = service

    async def email(self, ctx: MemberContext) -> None:
        word, _, rest = ctx.args.strip().partition(" ")
        if not word:
            await ctx.reply(cards.own_status(ctx.translator, await self.service.status_of(ctx.member)))
        elif word.lower() in OFF:
            stopped = await self.service.stop(ctx.member)
            await ctx.reply(ctx.t(N_("You get no more digests by e-mail, and I have deleted your address.")
                                  if stopped else N_("You do not get the digest by e-mail.")))  # fmt: skip
        elif word.lower() in CONFIRM:
            await self.service.confirm_code(ctx.member, rest)
            await ctx.reply(ctx.t("Confirmed: the weekly digest comes by e-mail. Stop it with /samskap epost av."))
        else:
            await self.service.subscribe(ctx.network, ctx.member, ctx.args)
            await ctx.reply(ctx.t("I have sent a message to {address}. Open the link in it, or write the code in it "
                                  "here: /samskap epost bekreft <code>. Until then, nothing else is sent there.",
                                  address=ctx.args.strip()))  # fmt: skip

    async def leaders(self, ctx: MemberContext) -> None:
        word, _, rest = ctx.args.strip().partition(" ")
        if word.lower() in ("inviter", "invite"):
            await self.service.invite(ctx.network, ctx.member, rest)
            await ctx.reply(ctx.t("I have asked {address} to confirm; the digest goes there once it does.",
                                  address=rest.strip()))  # fmt: skip
        elif word.lower() in ("fjern", "remove"):
            removed = await self.service.remove(ctx.network, rest)
            await ctx.reply(ctx.t(N_("{address} gets no more digests.") if removed
                                  else N_("{address} is not on the list."), address=rest.strip()))  # fmt: skip
        elif word:
            raise MailError("Write /digest epost, /digest epost inviter <address> or /digest epost fjern <address>.")
        else:
            await ctx.reply(cards.overview(ctx.translator, await self.service.overview(ctx.network)))


def register(bot: CoreApi, service: MailService) -> None:
    h, r = MailHandlers(service), bot.router
    r.command(SAMSKAP, sub=EMAIL, help=N_("Get the weekly digest by e-mail (av: stop it)"),
              usage=N_("<address> | confirm <code> | off"))(h.email)  # fmt: skip
    bot.settings.declare_member_command(MemberCommand(EMAIL, h.email, N_(
        "epost: the weekly digest by e-mail: /samskap innstillinger epost <address> (av: stop it)")))  # fmt: skip
    r.command("digest", sub=EMAIL, access="leader",
              help=N_("For leaders: who gets the digest by e-mail; invite or remove an address"),
              usage=N_("[invite <address> | remove <address>]"))(h.leaders)  # fmt: skip
