"""Thin chat handlers for the digest; the logic is in service.py."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.context import Context, MemberContext
from bot.events import ActionEvent, MessageEvent
from bot.features.digest import compose
from bot.features.digest.service import CAPTURE_SETTING, DM_OPTION, DigestProblem, DigestService
from bot.i18n import N_
from bot.messages import ContextLine, Message, Section, Text
from bot.numbers import leading_number
from bot.settings import SettingError, SettingSpec, parse_bool, parse_clock_time

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)

WEEKDAYS = {
    "mandag": "mon", "man": "mon", "monday": "mon", "mon": "mon",
    "tirsdag": "tue", "tir": "tue", "tuesday": "tue", "tue": "tue",
    "onsdag": "wed", "ons": "wed", "wednesday": "wed", "wed": "wed",
    "torsdag": "thu", "tor": "thu", "thursday": "thu", "thu": "thu",
    "fredag": "fri", "fre": "fri", "friday": "fri", "fri": "fri",
    "lørdag": "sat", "lør": "sat", "saturday": "sat", "sat": "sat",
    "søndag": "sun", "søn": "sun", "sunday": "sun", "sun": "sun",
}  # fmt: skip


def register(bot: CoreApi, service: DigestService) -> None:
    r = bot.router
    bot.settings.declare_network(
        SettingSpec(CAPTURE_SETTING, True, parse_bool, N_("Collect links posted in the network's channels for the "
                                                          "digest (off: only links shared with /del)"))
    )  # fmt: skip
    bot.settings.declare_member(
        SettingSpec(DM_OPTION, False, parse_bool, N_("Get the weekly digest as a direct message"))
    )

    # Every network gets its weekly job the first time the bot hears from it.
    bot.network_hooks.append(service.ensure_schedule)

    @r.on_message()
    async def capture(ctx: Context) -> None:
        event = ctx.event
        if ctx.network is None or ctx.member is None or event.conversation.is_direct:
            return
        assert isinstance(event, MessageEvent)
        if "http" not in event.text.lower():
            return
        await service.capture(ctx.network, ctx.member, event.text)

    @r.command(("del", "share"), help=N_("Share a link with the network for the digest"), usage=N_("<link> [comment]"))
    async def share(ctx: MemberContext) -> None:
        try:
            shared = await service.share(ctx.network, ctx.member, ctx.args)
        except DigestProblem as err:
            text = ctx.t(err.msgid, **err.kwargs)
            if ctx.args.strip():  # give back what they wrote, so nothing is lost
                text += "\n" + ctx.t("What you wrote: {text}", text=ctx.args)
            await ctx.reply(text)
            return
        if not shared.new_share:
            await ctx.reply(ctx.t("You have shared this link already; I added your comment to it."))
        elif shared.recommended:
            await ctx.reply(ctx.t("Thanks! The link is in the coming digest, marked as recommended by a leader."))
        elif not shared.new_article:
            await ctx.reply(ctx.t("Thanks! Others have shared this link too; your name and comment are added to it."))
        else:
            await ctx.reply(ctx.t("Thanks! The link is in the coming digest."))

    @r.command("digest", help=N_("See the latest network digest"))
    async def latest(ctx: MemberContext) -> None:
        leader = ctx.member is not None and ctx.member.is_leader
        message = await service.latest(ctx.network, numbered=leader)
        if message is None:
            when = await service.next_send(ctx.network)
            await ctx.reply(ctx.t("No digest has been published yet. The next one comes {when}.",
                                  when=_when(ctx, when)))  # fmt: skip
            return
        await ctx.reply(message)

    @r.command("digest", sub=("forhåndsvis", "forhandsvis", "preview"), access="leader",
               help=N_("For leaders: preview the coming digest privately"))  # fmt: skip
    async def preview(ctx: MemberContext) -> None:
        await show_preview(ctx, service)

    @r.command("digest", sub=("intro",), access="leader", usage=N_("<text> | remove"),
               help=N_("For leaders: write an introduction to the coming digest"))  # fmt: skip
    async def intro(ctx: MemberContext) -> None:
        text = ctx.args.strip()
        if not text:
            await ctx.reply(ctx.t("Write /digest intro <text>, or /digest intro fjern to remove it."))
            return
        if len(text) > 1500:
            await ctx.reply(ctx.t("The introduction can be at most {n} characters; yours has {m}.", n=1500,
                                  m=len(text)) + "\n" + ctx.t("What you wrote: {text}", text=text))  # fmt: skip
            return
        clear = text.lower() in ("fjern", "remove", "slett")
        await service.set_intro(ctx.network, "" if clear else text)
        await ctx.reply(ctx.t("The introduction is removed.") if clear else
                        ctx.t("Saved. The introduction opens the coming digest."))  # fmt: skip

    @r.command("digest", sub=("fjern", "remove"), access="leader", usage=N_("<number> | latest <number>"),
               help=N_("For leaders: remove an item from the coming (or the latest) digest"))  # fmt: skip
    async def remove(ctx: MemberContext) -> None:
        words = ctx.args.lower().split()
        published = bool(words) and words[0] in ("siste", "latest", "publisert", "published")
        number, _ = leading_number(words[1] if published and len(words) > 1 else " ".join(words[:1]))
        if number is None:
            await ctx.reply(ctx.t("Write /digest fjern <number> (numbers from /digest forhåndsvis), or "
                                  "/digest fjern siste <number> for the digest already sent."))  # fmt: skip
            return
        if published:
            label, updated = await service.remove_from_published(ctx.network, number)
            await ctx.reply(ctx.tn("Removed «{item}» from the latest digest; {n} message already sent was "
                                   "updated.", "Removed «{item}» from the latest digest; {n} messages already "
                                   "sent were updated.", updated, item=label))  # fmt: skip
        else:
            label = await service.remove_from_draft(ctx.network, number)
            await ctx.reply(ctx.t("Removed «{item}» from the coming digest. The link itself is kept.", item=label))

    @r.command("digest", sub=("publiser", "publish"), access="leader",
               help=N_("For leaders: publish the coming digest now"))  # fmt: skip
    async def publish(ctx: MemberContext) -> None:
        await publish_now(ctx, service)

    @r.action("digest.publish", access="leader", takes_value=False)
    async def publish_button(ctx: MemberContext[ActionEvent]) -> None:
        await publish_now(ctx, service)

    @r.command("digest", sub=("hopp-over", "skip"), access="leader",
               help=N_("For leaders: skip the coming digest (its content comes the week after)"))  # fmt: skip
    async def skip(ctx: MemberContext) -> None:
        await skip_week(ctx, service)

    @r.action("digest.skip", access="leader", takes_value=False)
    async def skip_button(ctx: MemberContext[ActionEvent]) -> None:
        await skip_week(ctx, service)

    @r.command("digest", sub=("tid", "schedule"), access="leader", usage=N_("<weekday> <HH:MM>"),
               help=N_("For leaders: when the weekly digest is sent"))  # fmt: skip
    async def schedule(ctx: MemberContext) -> None:
        words = ctx.args.lower().split()
        day = WEEKDAYS.get(words[0]) if words else None
        try:
            clock = parse_clock_time(words[1]) if len(words) == 2 else None
        except SettingError:
            clock = None
        if (day is None or clock is None) and ctx.args.strip():
            raise DigestProblem("I could not read «{text}» as a weekday and a time. Write /digest tid <weekday> "
                                "<HH:MM>, e.g. /digest tid fredag 14:00.", text=ctx.args.strip())  # fmt: skip
        if day is None or clock is None:
            when = await service.next_send(ctx.network)
            await ctx.reply(ctx.t("The next digest is sent {when}. Change it with /digest tid <weekday> <HH:MM>, "
                                  "e.g. /digest tid fredag 14:00.", when=_when(ctx, when)))  # fmt: skip
            return
        hour, minute = clock.split(":")
        when = await service.set_schedule(ctx.network, f"{int(minute)} {int(hour)} * * {day}")
        await ctx.reply(ctx.t("Saved. The next digest is sent {when} ({timezone}).", when=_when(ctx, when),
                              timezone=ctx.network.timezone))  # fmt: skip

    @r.command("digest", sub=("kilde", "kilder", "source", "sources"), access="leader",
               usage=N_("add <url> | list | remove <number>"),
               help=N_("For leaders: RSS/Atom feeds that bring news into the digest"))  # fmt: skip
    async def sources(ctx: MemberContext) -> None:
        action, _, rest = ctx.args.strip().partition(" ")
        action = action.lower()
        if action in ("legg-til", "add", "ny"):
            if not rest.strip():
                raise DigestProblem("Write /digest kilde legg-til <address of an RSS or Atom feed>.")
            feed = await service.add_feed(ctx.network, ctx.member, rest.strip())
            await ctx.reply(ctx.t("Added the source «{title}». I check it every hour.", title=feed.title))
            return
        if action in ("fjern", "remove"):
            number, _ = leading_number(rest)
            if number is None:
                raise DigestProblem("Write /digest kilde fjern <number> (see /digest kilde liste).")
            feed = await service.remove_feed(ctx.network, number)
            await ctx.reply(ctx.t("Removed the source «{title}». Links it brought are kept.", title=feed.title))
            return
        await ctx.reply(await sources_message(ctx, service))


async def show_preview(ctx: MemberContext, service: DigestService) -> None:
    _issue, content = await service.draft(ctx.network)
    when = _when(ctx, await service.next_send(ctx.network))
    if compose.is_empty(content):
        await ctx.reply(ctx.t("Nothing new for the digest yet, so nothing will be sent {when}. Share links with "
                              "/del, and ideas with /ide.", when=when))  # fmt: skip
        return
    message = service.render(ctx.network, content, preview=True)
    note = ContextLine(ctx.t("Sent {when} unless you publish it earlier.", when=when))
    await ctx.reply(Message((*message.parts, note), message.summary))


async def publish_now(ctx: MemberContext, service: DigestService) -> None:
    result = await service.publish_now(ctx.network)
    if result.status == "empty" and (published_at := await service.last_published_at(ctx.network)) is not None:
        await ctx.reply(ctx.t("The digest was published {when}, and nothing new has come since, so nothing was sent.",
                              when=_when(ctx, published_at)))  # fmt: skip
    elif result.status == "empty":
        await ctx.reply(ctx.t("There is nothing for the digest yet, so nothing was sent."))
    elif result.status == "already":
        await ctx.reply(ctx.t("This digest was published already; nothing was sent twice."))
    else:
        text = ctx.tn("Published: the digest went to {n} place.", "Published: the digest went to {n} places.",
                      result.sent)  # fmt: skip
        if result.pending:
            text += " " + ctx.tn("{n} more will get it as soon as the platform lets me.",
                                 "{n} more will get it as soon as the platform lets me.", result.pending)  # fmt: skip
        await ctx.reply(text)


async def skip_week(ctx: MemberContext, service: DigestService) -> None:
    week = await service.skip(ctx.network)
    await ctx.reply(ctx.t("No digest in week {week}. What was shared comes in the one after.", week=week))


async def sources_message(ctx: MemberContext, service: DigestService) -> Message:
    listed = await service.feeds_of(ctx.network)
    if not listed:
        return Message.text(ctx.t("No sources yet. Add an RSS or Atom feed with /digest kilde legg-til <url>."))
    lines = []
    for number, feed in enumerate(listed, start=1):
        line = f"{number}. {feed.title} <{feed.url}>"
        if feed.failures:
            line += " — " + ctx.tn("failed {n} time in a row ({reason})", "failed {n} times in a row ({reason})",
                                   feed.failures, reason=feed.last_error or "?")  # fmt: skip
        lines.append(line)
    return Message.of(
        Section(ctx.t("Sources for the digest")),
        Text("\n".join(lines)),
        ContextLine(ctx.t("Add: /digest kilde legg-til <url>. Remove: /digest kilde fjern <number>.")),
    )


def _when(ctx: MemberContext, moment: datetime) -> str:
    return compose.format_moment(moment, ctx.network.timezone, ctx.language)
