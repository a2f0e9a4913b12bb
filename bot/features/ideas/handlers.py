"""Thin chat handlers for practice ideas; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapter import Destination
from bot.context import Context, pointer_id
from bot.features.ideas import cards
from bot.features.ideas.service import MAX_IDEA_LENGTH, IdeasService
from bot.i18n import N_
from bot.messages import Form, FormField
from bot.numbers import leading_number

if TYPE_CHECKING:
    from bot.core import Bot

NEW_IDEA_FORM = "ideas.new"


def register(bot: Bot, service: IdeasService) -> None:
    r = bot.router

    async def need_number(ctx: Context, sub: str, usage: str) -> int | None:
        number, _ = leading_number(ctx.args if ctx.is_command else ctx.event.value)  # type: ignore[attr-defined]
        if number is None:
            typed = ctx.bot.router.typed("ide", sub, usage, ctx.translator)
            await ctx.reply(ctx.t("Which idea? Give its number: {usage}", usage=typed))
        return number

    @r.command(("ide", "idea"), help=N_("Share a practice idea (with no text: a form)"), usage=N_("[text #tag]"))
    async def new_idea(ctx: Context) -> None:
        if not ctx.args.strip():
            await ctx.open_form(new_idea_form(ctx))
            return
        await post(ctx, ctx.args)

    @r.form(NEW_IDEA_FORM, limits={"text": MAX_IDEA_LENGTH})
    async def new_idea_submitted(ctx: Context) -> None:
        await post(ctx, ctx.event.values.get("text", ""))  # type: ignore[attr-defined]

    async def post(ctx: Context, text: str) -> None:
        assert ctx.network is not None and ctx.member is not None
        summary = await service.post(ctx.network, ctx.member, text)
        idea = summary.idea
        # The card is public: it speaks the network's language, not the poster's.
        card = cards.idea_card(ctx.bot.translator_for(None, ctx.network), summary)
        conversation = ctx.event.conversation
        if conversation.is_direct:
            channel = await service.announce_channel(ctx.network)
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
            await service.mark_posted(idea.id, sent.conversation, sent.message_id)
        if conversation.is_direct or sent is None:
            await ctx.reply(ctx.t("Thank you! Idea {id} is shared with the network.", id=idea.id))

    @r.command(("ideer", "ideas"), help=N_("List or search the ideas, newest first"), usage=N_("[search]"))
    async def list_ideas(ctx: Context) -> None:
        assert ctx.network is not None
        summaries = await service.list_ideas(ctx.network, ctx.args)
        await ctx.reply(cards.idea_list(ctx.translator, summaries, ctx.args.strip()))

    @r.command(("ide", "idea"), sub=("vis", "show"), help=N_("Show an idea with its reports"), usage=N_("<number>"))
    async def show(ctx: Context) -> None:
        assert ctx.network is not None
        if (number := await need_number(ctx, "vis", N_("<number>"))) is None:
            return
        summary, reports = await service.show(ctx.network, number)
        await ctx.reply(cards.idea_with_reports(ctx.translator, summary, reports))

    r.action(cards.SHOW)(show)

    @r.command(("ide", "idea"), sub=("prøv", "prov", "try"), help=N_("Say you will try an idea"), usage=N_("<number>"))
    async def adopt(ctx: Context) -> None:
        assert ctx.network is not None and ctx.member is not None
        if (number := await need_number(ctx, "prøv", N_("<number>"))) is None:
            return
        result = await service.adopt(ctx.network, ctx.member, number)
        await ctx.reply(cards.adopted(ctx.translator, result.idea, result.follow_up_at, ctx.network.timezone))

    r.action(cards.ADOPT)(adopt)

    @r.command(
        ("ide", "idea"),
        sub=("rapport", "report"),
        help=N_("Tell how it went (with no text: a form)"),
        usage=N_("<number> [text]"),
    )
    async def report(ctx: Context) -> None:
        assert ctx.network is not None and ctx.member is not None
        if (number := await need_number(ctx, "rapport", N_("<number> [text]"))) is None:
            return
        text = ctx.args.split(maxsplit=1)[1] if ctx.is_command and len(ctx.args.split(maxsplit=1)) > 1 else ""
        if not text:
            await service.summary(ctx.network, number)  # an unknown number is said before the form, not after
            await ctx.open_form(report_form(ctx, number))
            return
        await submit_report(ctx, number, text, "", "")

    r.action(cards.REPORT)(report)

    @r.form(cards.REPORT_FORM, limits=cards.REPORT_LIMITS)
    async def report_submitted(ctx: Context) -> None:
        values = ctx.event.values  # type: ignore[attr-defined]
        idea_id = pointer_id(ctx.event.state)  # type: ignore[attr-defined]
        await submit_report(ctx, idea_id, values.get("did", ""), values.get("changed", ""), values.get("happened", ""))

    async def submit_report(ctx: Context, number: int, did: str, changed: str, happened: str) -> None:
        assert ctx.network is not None and ctx.member is not None
        _, idea = await service.report(ctx.network, ctx.member, number, did, changed, happened)
        await ctx.reply(ctx.t("Thank you for reporting back on idea {id}! It is shared with the network.", id=idea.id))

    @r.command(("ide", "idea"), sub=("utsett", "snooze"), help=N_("Ask me again in a week"), usage=N_("<number>"))
    async def snooze(ctx: Context) -> None:
        assert ctx.network is not None and ctx.member is not None
        if (number := await need_number(ctx, "utsett", N_("<number>"))) is None:
            return
        due = await service.snooze(ctx.network, ctx.member, number)
        await ctx.reply(
            ctx.t(
                "OK, I will ask you again on {date}.", date=cards.local_date(ctx.translator, due, ctx.network.timezone)
            )
        )

    r.action(cards.SNOOZE)(snooze)

    @r.command(
        ("ide", "idea"),
        sub=("ikke-ennå", "ikke-enna", "not-yet"),
        help=N_("Not tried yet: stop asking"),
        usage=N_("<number>"),
    )
    async def not_yet(ctx: Context) -> None:
        assert ctx.network is not None and ctx.member is not None
        if (number := await need_number(ctx, "ikke-ennå", N_("<number>"))) is None:
            return
        await service.not_yet(ctx.network, ctx.member, number)
        await ctx.reply(ctx.t("OK, I will not ask again. When you have tried it: /ide rapport {id} <text>.", id=number))

    r.action(cards.NOT_YET)(not_yet)

    @r.command(("ide", "idea"), sub=("slett", "delete"), help=N_("Delete your own idea"),
               usage=N_("<number> [confirm]"))  # fmt: skip
    async def delete_idea(ctx: Context) -> None:
        assert ctx.network is not None and ctx.member is not None
        if (number := await need_number(ctx, "slett", N_("<number> [confirm]"))) is None:
            return
        confirmed = ctx.args.split()[-1].lower() in ("bekreft", "stadfest", "confirm")
        others = await service.delete(ctx.network, ctx.member, number, confirmed)
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

    @r.command(("ide", "idea"), sub=("slett-rapport", "delete-report"), help=N_("Delete your report on an idea"),
               usage=N_("<number>"))  # fmt: skip
    async def delete_report(ctx: Context) -> None:
        assert ctx.network is not None and ctx.member is not None
        if (number := await need_number(ctx, "slett-rapport", N_("<number>"))) is None:
            return
        await service.delete_report(ctx.network, ctx.member, number)
        await ctx.reply(ctx.t("Your report on idea {id} is deleted. Where it was posted, it is not changed; delete "
                              "it there if you want.", id=number))  # fmt: skip


def new_idea_form(ctx: Context) -> Form:
    return Form(
        NEW_IDEA_FORM,
        ctx.t("Share a practice idea"),
        (
            FormField(
                "text",
                ctx.t("What did you try, and why?"),
                "long_text",
                max_length=MAX_IDEA_LENGTH,
                hint=ctx.t("Add tags like #elevråd or #friminutt"),
            ),
        ),
        submit_label=ctx.t("Share"),
        notice=ctx.t("Do not write names or anything else that can identify a student."),
    )


def report_form(ctx: Context, idea_id: int) -> Form:
    return Form(
        cards.REPORT_FORM,
        ctx.t("How did it go? (idea {id})", id=idea_id),
        cards.report_form_fields(ctx.translator),
        submit_label=ctx.t("Share the report"),
        state=str(idea_id),
        notice=ctx.t("Do not write names or anything else that can identify a student."),
    )
