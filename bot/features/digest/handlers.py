"""Thin chat handlers for the digest; the logic is in links.py, sources.py and issues.py."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.context import Context, MemberContext
from bot.events import MessageEvent
from bot.features.digest import cards
from bot.features.digest.common import DigestProblem
from bot.features.digest.service import DigestService
from bot.i18n import N_
from bot.messages import ContextLine, Message
from bot.numbers import leading_number
from bot.settings import SettingError, parse_clock_time
from bot.times import CRON_WEEKDAYS, WEEKDAYS

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)


MAX_INTRO = 1500
LATEST = ("siste", "latest", "publisert", "published")


class DigestHandlers:
    """Sharing links, reading the digest, and what leaders do with the coming one."""

    def __init__(self, service: DigestService) -> None:
        self.service = service
        self.links, self.sources, self.issues = service.links, service.sources, service.issues

    async def capture(self, ctx: Context[MessageEvent]) -> None:
        event = ctx.event
        if ctx.network is None or ctx.member is None or event.conversation.is_direct:
            return
        if "http" not in event.text.lower():
            return
        await self.links.capture(ctx.network, ctx.member, event.text)

    async def share(self, ctx: MemberContext) -> None:
        shared = await self.links.share(ctx.network, ctx.member, ctx.args)
        if not shared.new_share:
            await ctx.reply(ctx.t("You have shared this link already; I added your comment to it."))
        elif shared.recommended:
            await ctx.reply(ctx.t("Thanks! The link is in the coming digest, marked as recommended by a leader."))
        elif not shared.new_article:
            await ctx.reply(ctx.t("Thanks! Others have shared this link too; your name and comment are added to it."))
        else:
            await ctx.reply(ctx.t("Thanks! The link is in the coming digest."))

    async def latest(self, ctx: MemberContext) -> None:
        message = await self.issues.latest(ctx.network, numbered=ctx.member.is_leader)
        if message is None:
            when = await self.issues.next_send(ctx.network)
            await ctx.reply(ctx.t("No digest has been published yet. The next one comes {when}.",
                                  when=_when(ctx, when)))  # fmt: skip
            return
        await ctx.reply(message)

    async def preview(self, ctx: MemberContext) -> None:
        _issue, content = await self.issues.draft(ctx.network)
        when = _when(ctx, await self.issues.next_send(ctx.network))
        if cards.is_empty(content):
            await ctx.reply(ctx.t("Nothing new for the digest yet, so nothing will be sent {when}. Share links with "
                                  "/del, and ideas with /ide.", when=when))  # fmt: skip
            return
        message = self.issues.render(ctx.network, content, preview=True)
        note = ContextLine(ctx.t("Sent {when} unless you publish it earlier.", when=when))
        await ctx.reply(Message((*message.parts, note), message.summary))

    async def intro(self, ctx: MemberContext) -> None:
        text = ctx.args.strip()
        if not text:
            raise DigestProblem("Write /digest intro <text>, or /digest intro fjern to remove it.")
        if len(text) > MAX_INTRO:
            raise DigestProblem("The introduction can be at most {n} characters; yours has {m}.", n=MAX_INTRO,
                                m=len(text))  # fmt: skip
        clear = text.lower() in ("fjern", "remove", "slett")
        await self.issues.set_intro(ctx.network, "" if clear else text)
        await ctx.reply(ctx.t("The introduction is removed.") if clear else
                        ctx.t("Saved. The introduction opens the coming digest."))  # fmt: skip

    async def remove(self, ctx: MemberContext) -> None:
        words = ctx.args.lower().split()
        published = bool(words) and words[0] in LATEST
        number, _ = leading_number(words[1] if published and len(words) > 1 else " ".join(words[:1]))
        if number is None:
            raise DigestProblem("Write /digest fjern <number> (numbers from /digest forhåndsvis), or "
                                "/digest fjern siste <number> for the digest already sent.")  # fmt: skip
        if published:
            label, updated = await self.issues.remove_from_published(ctx.network, number)
            await ctx.reply(ctx.tn("Removed «{item}» from the latest digest; {n} message already sent was "
                                   "updated.", "Removed «{item}» from the latest digest; {n} messages already "
                                   "sent were updated.", updated, item=label))  # fmt: skip
        else:
            label = await self.issues.remove_from_draft(ctx.network, number)
            await ctx.reply(ctx.t("Removed «{item}» from the coming digest. The link itself is kept.", item=label))

    async def publish(self, ctx: MemberContext) -> None:
        result = await self.issues.publish_now(ctx.network)
        published_at = await self.issues.last_published_at(ctx.network) if result.status == "empty" else None
        await ctx.reply(cards.published(ctx.translator, result, _when(ctx, published_at) if published_at else None))

    async def skip(self, ctx: MemberContext) -> None:
        week = await self.issues.skip(ctx.network)
        await ctx.reply(ctx.t("No digest in week {week}. What was shared comes in the one after.", week=week))

    async def schedule(self, ctx: MemberContext) -> None:
        words = ctx.args.lower().split()
        day = CRON_WEEKDAYS[WEEKDAYS[words[0]]] if words and words[0] in WEEKDAYS else None
        try:
            clock = parse_clock_time(words[1]) if len(words) == 2 else None
        except SettingError:
            clock = None
        if (day is None or clock is None) and ctx.args.strip():
            raise DigestProblem("I could not read «{text}» as a weekday and a time. Write /digest tid <weekday> "
                                "<HH:MM>, e.g. /digest tid fredag 14:00.", text=ctx.args.strip())  # fmt: skip
        if day is None or clock is None:
            when = await self.issues.next_send(ctx.network)
            await ctx.reply(ctx.t("The next digest is sent {when}. Change it with /digest tid <weekday> <HH:MM>, "
                                  "e.g. /digest tid fredag 14:00.", when=_when(ctx, when)))  # fmt: skip
            return
        hour, minute = clock.split(":")
        when = await self.issues.set_schedule(ctx.network, f"{int(minute)} {int(hour)} * * {day}")
        await ctx.reply(ctx.t("Saved. The next digest is sent {when} ({timezone}).", when=_when(ctx, when),
                              timezone=ctx.network.timezone))  # fmt: skip

    async def feeds(self, ctx: MemberContext) -> None:
        action, _, rest = ctx.args.strip().partition(" ")
        action = action.lower()
        if action in ("legg-til", "add", "ny"):
            if not rest.strip():
                raise DigestProblem("Write /digest kilde legg-til <address of an RSS or Atom feed>.")
            feed = await self.sources.add_feed(ctx.network, ctx.member, rest.strip())
            await ctx.reply(ctx.t("Added the source «{title}». I check it every hour.", title=feed.title))
            return
        if action in ("fjern", "remove"):
            number, _ = leading_number(rest)
            if number is None:
                raise DigestProblem("Write /digest kilde fjern <number> (see /digest kilde liste).")
            feed = await self.sources.remove_feed(ctx.network, number)
            await ctx.reply(ctx.t("Removed the source «{title}». Links it brought are kept.", title=feed.title))
            return
        await ctx.reply(cards.sources(ctx.translator, await self.sources.feeds_of(ctx.network)))


def _when(ctx: MemberContext, moment: datetime) -> str:
    return cards.format_moment(moment, ctx.network.timezone, ctx.language)


def register(bot: CoreApi, service: DigestService) -> None:
    h, r, digest = DigestHandlers(service), bot.router, "digest"
    r.on_message()(h.capture)
    r.command(("del", "share"), help=N_("Share a link with the network for the digest"),
              usage=N_("<link> [comment]"), writing=True)(h.share)  # fmt: skip
    r.command(digest, help=N_("See the latest network digest"))(h.latest)
    r.command(digest, sub=("forhåndsvis", "forhandsvis", "preview"), access="leader",
              help=N_("For leaders: preview the coming digest privately"))(h.preview)  # fmt: skip
    r.command(digest, sub=("intro",), access="leader", usage=N_("<text> | remove"), writing=True,
              help=N_("For leaders: write an introduction to the coming digest"))(h.intro)  # fmt: skip
    r.command(digest, sub=("fjern", "remove"), access="leader", usage=N_("<number> | latest <number>"),
              help=N_("For leaders: remove an item from the coming (or the latest) digest"))(h.remove)  # fmt: skip
    r.command(digest, sub=("publiser", "publish"), access="leader",
              help=N_("For leaders: publish the coming digest now"))(h.publish)  # fmt: skip
    r.action("digest.publish", access="leader", takes_value=False)(h.publish)
    r.command(digest, sub=("hopp-over", "skip"), access="leader",
              help=N_("For leaders: skip the coming digest (its content comes the week after)"))(h.skip)  # fmt: skip
    r.action("digest.skip", access="leader", takes_value=False)(h.skip)
    r.command(digest, sub=("tid", "schedule"), access="leader", usage=N_("<weekday> <HH:MM>"),
              help=N_("For leaders: when the weekly digest is sent"))(h.schedule)  # fmt: skip
    r.command(digest, sub=("kilde", "kilder", "source", "sources"), access="leader",
              usage=N_("add <url> | list | remove <number>"),
              help=N_("For leaders: RSS/Atom feeds that bring news into the digest"))(h.feeds)  # fmt: skip
