"""Thin chat handlers for practice ideas; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapter import Destination
from bot.context import MemberContext, pointer_id
from bot.events import FormSubmitted
from bot.features.ideas import cards
from bot.features.ideas.service import MAX_IDEA_LENGTH, IdeasService
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.core_api import CoreApi

IDEA = ("ide", "idea")
WHICH_IDEA = N_("Which idea? Give its number: {usage}")
CONFIRM = ("bekreft", "stadfest", "confirm")


class IdeaHandlers:
    """Each command (and the button that stands for it) reads what the member sent, asks the service
    and answers; what the member can fix is raised and answered by the core."""

    def __init__(self, service: IdeasService) -> None:
        self.service = service

    async def new_idea(self, ctx: MemberContext) -> None:
        if not ctx.args.strip():
            await ctx.open_form(cards.new_idea_form(ctx.translator))
            return
        await self._post(ctx, ctx.args)

    async def new_idea_submitted(self, ctx: MemberContext[FormSubmitted]) -> None:
        await self._post(ctx, ctx.event.values.get("text", ""))

    async def _post(self, ctx: MemberContext, text: str) -> None:
        summary = await self.service.post(ctx.network, ctx.member, text)
        idea = summary.idea
        # The card is public: it speaks the network's language, not the poster's.
        card = cards.idea_card(ctx.bot.translator_for(None, ctx.network), summary)
        conversation = ctx.event.conversation
        if conversation.is_direct:
            channel = await ctx.bot.announce_channel(ctx.network)
            if channel is None:
                await ctx.reply(
                    ctx.t("Idea {id} is saved, but the network has no channel to share it in yet.", id=idea.id)
                )
                return
            result = await ctx.bot.outbox.deliver(
                f"ideas.announce:{idea.id}", Destination.channel(channel), card, notify_member_id=ctx.member.id
            )
            sent = result.sent
        else:
            sent = await ctx.reply(card, visibility="channel")
        if sent is not None:
            await self.service.mark_posted(idea.id, sent.conversation, sent.message_id)
        if conversation.is_direct or sent is None:
            await ctx.reply(ctx.t("Thank you! Idea {id} is shared with the network.", id=idea.id))

    async def list_ideas(self, ctx: MemberContext) -> None:
        summaries = await self.service.list_ideas(ctx.network, ctx.args)
        await ctx.reply(cards.idea_list(ctx.translator, summaries, ctx.args.strip()))

    async def show(self, ctx: MemberContext) -> None:
        number, _ = ctx.numbered(WHICH_IDEA, N_("<number>"))
        summary, reports = await self.service.show(ctx.network, number)
        await ctx.reply(cards.idea_with_reports(ctx.translator, summary, reports))

    async def adopt(self, ctx: MemberContext) -> None:
        number, _ = ctx.numbered(WHICH_IDEA, N_("<number>"))
        result = await self.service.adopt(ctx.network, ctx.member, number)
        await ctx.reply(cards.adopted(ctx.translator, result.idea_id, result.follow_up_at, ctx.network.timezone))

    async def report(self, ctx: MemberContext) -> None:
        number, text = ctx.numbered(WHICH_IDEA, N_("<number> [text]"))
        if not text:
            await self.service.summary(ctx.network, number)  # an unknown number is said before the form, not after
            await ctx.open_form(cards.report_form(ctx.translator, number))
            return
        await self._report(ctx, number, text, "", "")

    async def report_submitted(self, ctx: MemberContext[FormSubmitted]) -> None:
        values = ctx.event.values
        idea_id = pointer_id(ctx.event.state)
        await self._report(ctx, idea_id, values.get("did", ""), values.get("changed", ""), values.get("happened", ""))

    async def _report(self, ctx: MemberContext, number: int, did: str, changed: str, happened: str) -> None:
        _, idea = await self.service.report(ctx.network, ctx.member, number, did, changed, happened)
        await ctx.reply(ctx.t("Thank you for reporting back on idea {id}! It is shared with the network.", id=idea.id))

    async def snooze(self, ctx: MemberContext) -> None:
        number, _ = ctx.numbered(WHICH_IDEA, N_("<number>"))
        due = await self.service.snooze(ctx.network, ctx.member, number)
        date = cards.local_date(ctx.translator, due, ctx.network.timezone)
        await ctx.reply(ctx.t("OK, I will ask you again on {date}.", date=date))

    async def not_yet(self, ctx: MemberContext) -> None:
        number, _ = ctx.numbered(WHICH_IDEA, N_("<number>"))
        await self.service.not_yet(ctx.network, ctx.member, number)
        await ctx.reply(ctx.t("OK, I will not ask again. When you have tried it: /ide rapport {id} <text>.", id=number))

    async def delete_idea(self, ctx: MemberContext) -> None:
        number, rest = ctx.numbered(WHICH_IDEA, N_("<number> [confirm]"))
        confirmed = rest.split()[-1:] != [] and rest.split()[-1].lower() in CONFIRM
        others = await self.service.delete(ctx.network, ctx.member, number, confirmed)
        if others:
            await ctx.reply(ctx.tn(
                "{n} colleague has tried idea {id} or is trying it. Deleting it deletes their try and report too, "
                "and I stop asking them how it went. To delete it all the same: /ide slett {id} bekreft",
                "{n} colleagues have tried idea {id} or are trying it. Deleting it deletes their tries and reports "
                "too, and I stop asking them how it went. To delete it all the same: /ide slett {id} bekreft",
                others, id=number))  # fmt: skip
            return
        await ctx.reply(ctx.t("Idea {id} is deleted. Its post in the channel is not changed; delete it there if you "
                              "want.", id=number))  # fmt: skip

    async def delete_report(self, ctx: MemberContext) -> None:
        number, _ = ctx.numbered(WHICH_IDEA, N_("<number>"))
        await self.service.delete_report(ctx.network, ctx.member, number)
        await ctx.reply(ctx.t("Your report on idea {id} is deleted. Where it was posted, it is not changed; delete "
                              "it there if you want.", id=number))  # fmt: skip


def register(bot: CoreApi, service: IdeasService) -> None:
    h, r = IdeaHandlers(service), bot.router
    r.command(IDEA, help=N_("Share a practice idea (with no text: a form)"), usage=N_("[text #tag]"),
              writing=True)(h.new_idea)  # fmt: skip
    r.form(cards.NEW_IDEA_FORM, limits={"text": MAX_IDEA_LENGTH})(h.new_idea_submitted)
    r.command(("ideer", "ideas"), help=N_("List or search the ideas, newest first"), usage=N_("[search]"))(h.list_ideas)
    r.command(IDEA, sub=("vis", "show"), help=N_("Show an idea with its reports"), usage=N_("<number>"))(h.show)
    r.action(cards.SHOW)(h.show)
    r.command(IDEA, sub=("prøv", "prov", "try"), help=N_("Say you will try an idea"), usage=N_("<number>"))(h.adopt)
    r.action(cards.ADOPT)(h.adopt)
    r.command(IDEA, sub=("rapport", "report"), help=N_("Tell how it went (with no text: a form)"),
              usage=N_("<number> [text]"), writing=True)(h.report)  # fmt: skip
    r.action(cards.REPORT)(h.report)
    r.form(cards.REPORT_FORM, limits=cards.REPORT_LIMITS)(h.report_submitted)
    r.command(IDEA, sub=("utsett", "snooze"), help=N_("Ask me again in a week"), usage=N_("<number>"))(h.snooze)
    r.action(cards.SNOOZE)(h.snooze)
    r.command(IDEA, sub=("ikke-ennå", "ikke-enna", "not-yet"), help=N_("Not tried yet: stop asking"),
              usage=N_("<number>"))(h.not_yet)  # fmt: skip
    r.action(cards.NOT_YET)(h.not_yet)
    r.command(IDEA, sub=("slett", "delete"), help=N_("Delete your own idea"),
              usage=N_("<number> [confirm]"))(h.delete_idea)  # fmt: skip
    r.command(IDEA, sub=("slett-rapport", "delete-report"), help=N_("Delete your report on an idea"),
              usage=N_("<number>"))(h.delete_report)  # fmt: skip
