"""Thin chat handlers for the digest by e-mail; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.context import MemberContext
from bot.features.mail.service import MailError, MailService
from bot.i18n import N_
from bot.messages import ContextLine, Message, Section
from bot.settings import MemberCommand

if TYPE_CHECKING:
    from bot.core_api import CoreApi

CONFIRM = ("bekreft", "stadfest", "confirm")
OFF = ("av", "off", "stopp", "stop")


def register(bot: CoreApi, service: MailService) -> None:
    r = bot.router

    @r.command(
        "samskap",
        sub=("epost", "e-post", "email"),
        help=N_("Get the weekly digest by e-mail (av: stop it)"),
        usage=N_("<address> | confirm <code> | off"),
    )
    async def email(ctx: MemberContext) -> None:
        word, _, rest = ctx.args.strip().partition(" ")
        if not word:
            await ctx.reply(await own_status(ctx, service))
        elif word.lower() in OFF:
            stopped = await service.stop(ctx.member)
            await ctx.reply(ctx.t(N_("You get no more digests by e-mail, and I have deleted your address.")
                                  if stopped else N_("You do not get the digest by e-mail.")))  # fmt: skip
        elif word.lower() in CONFIRM:
            await service.confirm_code(ctx.member, rest)
            await ctx.reply(ctx.t("Confirmed: the weekly digest comes by e-mail. Stop it with /samskap epost av."))
        else:
            await service.subscribe(ctx.network, ctx.member, ctx.args)
            await ctx.reply(
                ctx.t(
                    "I have sent a message to {address}. Open the link in it, or write the code in it here: "
                    "/samskap epost bekreft <code>. Until then, nothing else is sent there.",
                    address=ctx.args.strip(),
                )
            )

    bot.settings.declare_member_command(
        MemberCommand(
            ("epost", "e-post", "email"),
            email,
            N_("epost: the weekly digest by e-mail: /samskap innstillinger epost <address> (av: stop it)"),
        )
    )

    @r.command(
        "digest",
        sub=("epost", "e-post", "email"),
        access="leader",
        help=N_("For leaders: who gets the digest by e-mail; invite or remove an address"),
        usage=N_("[invite <address> | remove <address>]"),
    )
    async def leaders(ctx: MemberContext) -> None:
        word, _, rest = ctx.args.strip().partition(" ")
        if word.lower() in ("inviter", "invite"):
            await service.invite(ctx.network, ctx.member, rest)
            await ctx.reply(ctx.t("I have asked {address} to confirm; the digest goes there once it does.",
                                  address=rest.strip()))  # fmt: skip
        elif word.lower() in ("fjern", "remove"):
            removed = await service.remove(ctx.network, rest)
            await ctx.reply(ctx.t(N_("{address} gets no more digests.") if removed
                                  else N_("{address} is not on the list."), address=rest.strip()))  # fmt: skip
        elif word:
            raise MailError("Write /digest epost, /digest epost inviter <address> or /digest epost fjern <address>.")
        else:
            await ctx.reply(await overview(ctx, service))


async def own_status(ctx: MemberContext, service: MailService) -> str:
    own = await service.status_of(ctx.member)
    if own is None:
        return ctx.t("Get the weekly digest by e-mail with /samskap epost <address>.")
    if own.status == "confirmed":
        return ctx.t("The weekly digest comes to {address}. Stop it with /samskap epost av.", address=own.address)
    if own.status == "bounced":
        return ctx.t("E-mails to {address} came back. Give another address with /samskap epost <address>.",
                     address=own.address)  # fmt: skip
    return ctx.t("{address} has not confirmed yet: open the link in the e-mail, or write /samskap epost bekreft "
                 "<code>.", address=own.address)  # fmt: skip


async def overview(ctx: MemberContext, service: MailService) -> Message:
    found = await service.overview(ctx.network)
    fields = (
        (ctx.t("Confirmed"), str(found.confirmed)),
        (ctx.t("Waiting for confirmation"), str(found.pending)),
        (ctx.t("Bounced"), str(len(found.bounced))),
    )
    parts: list = [Section(ctx.t("The digest by e-mail"), fields)]  # type: ignore[type-arg]
    if found.bounced:
        lines = [f"{row.address}: {row.last_error or ''}" for row in found.bounced]
        parts.append(Section(ctx.t("Came back (fix and invite again, or remove):"), ()))
        parts.append(ContextLine("\n".join(lines)))
    parts.append(ContextLine(ctx.t("/digest epost inviter <address> · /digest epost fjern <address>")))
    return Message(tuple(parts), ctx.t("The digest by e-mail"))
