"""Thin chat handlers for kritisk venn; the protocol itself is in service.py.

Every button has a command: `/kritiskvenn ja|nei|frivillige|start|bidra|neste|avbryt|del N`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.context import Context, MemberContext, pointer_id
from bot.events import ActionEvent, FormSubmitted, MessageEvent
from bot.features.kritisk_venn import messages as msg
from bot.features.kritisk_venn.common import (
    OPTION,
    Contributed,
    KvError,
    kind_for,
    parse_request,
)
from bot.features.kritisk_venn.phases import PHASES
from bot.features.kritisk_venn.service import KritiskVennService
from bot.i18n import N_
from bot.messages import ContextLine, Message, Section, Text
from bot.numbers import leading_number
from bot.settings import SettingSpec, parse_bool
from storage.models.core import Member
from storage.models.kritisk_venn import KvSession

if TYPE_CHECKING:
    from bot.core_api import CoreApi

COMMAND = ("kritiskvenn", "criticalfriend")
# A presenter's choice that takes the round's number: open to volunteers, start now, cancel.
ById = Callable[[MemberContext, int], Awaitable[None]]
USAGE = N_("[status | yes|no N | contribute N <text> | next N | cancel N | share N <text>]")

OUTCOME_TEXTS = {
    "late": N_("Round #{id} has ended, so this was not added to the round. I have passed it on to the presenter."),
    "late_own": N_("Round #{id} has ended; I have kept your text with the round."),
    "listen": N_("While the friends give feedback, the presenter listens. Note your thoughts: "
                 "your turn comes in the reflection."),
    "too_early": N_("The presentation is being read now. Questions come in the next phase, clarifying questions."),
    "listen_friend": N_("Now the presenter reflects and the friends listen. You can say a few words in the debrief."),
    "not_started": N_("Round #{id} has not started yet. I will tell you when it does."),
    "cancelled": N_("Round #{id} was cancelled, so nothing more is added to it."),
    "not_participant": N_("You are not a critical friend or the presenter in round #{id}."),
}  # fmt: skip


def register(bot: CoreApi, service: KritiskVennService) -> None:
    r = bot.router
    # On by default: being asked costs one click to decline, the network asked for more challenge,
    # and with opt-in only a new network would have nobody to ask. The invitation says how to turn it off.
    bot.settings.declare_member(
        SettingSpec(OPTION, True, parse_bool, N_("Invitations to be a critical friend for members of other schools"))
    )

    async def fail(ctx: Context, err: KvError, text: str = "") -> None:
        reply = ctx.t(err.msgid, **err.kwargs)
        await ctx.reply(reply + ("\n\n" + msg.echo(ctx.translator, text) if text else ""))

    async def with_id(ctx: Context, raw: str, sub: str, usage: str = "N") -> tuple[int, str] | None:
        session_id, rest = leading_number(raw)
        if session_id is None:
            typed = ctx.bot.router.typed(COMMAND[0], sub, usage, ctx.translator)
            await ctx.reply(ctx.t("Which round? Write {usage}", usage=typed) + (
                "\n\n" + msg.echo(ctx.translator, rest) if rest else ""))  # fmt: skip
            return None
        return session_id, rest

    # -- starting --------------------------------------------------------------------------------
    @r.command(COMMAND, access="member", usage=USAGE,
               help=N_("Kind and honest feedback on your practice from colleagues at other schools"))  # fmt: skip
    async def start(ctx: Context) -> None:
        await ctx.open_form(msg.start_form(ctx.translator, ctx.args))

    @r.form("kritisk_venn.start", limits=msg.START_LIMITS)
    async def submitted(ctx: MemberContext[FormSubmitted]) -> None:
        values = ctx.event.values
        try:
            request = parse_request(values)
        except KvError as err:
            written = "\n\n".join(v for k, v in values.items() if k in ("practice", "focus") and v.strip())
            await fail(ctx, err, written)
            return
        created = await service.create(ctx.network, ctx.member, ctx.event.conversation, request)
        session = created.session
        parts: list = []
        if created.invited:
            parts.append(
                Text(
                    ctx.t(
                        "Kritisk venn #{id} is set up. I have asked {names}; I will tell you when the round starts.",
                        id=session.id,
                        names=", ".join(created.invited),
                    )
                )
            )
        if created.not_found:
            parts.append(
                Text(
                    ctx.t(
                        "I could not ask {names}: not a member of the network, or they have turned off invitations.",
                        names=", ".join(created.not_found),
                    )
                )
            )
        if created.named_self:
            parts.append(Text(ctx.t("You named yourself; as the presenter you cannot be your own critical friend.")))
        if not parts or created.short:
            accepted, pending = await service.friend_counts(session.id)
            decide_by = "" if pending else await service.decide_by(session, ctx.member, ctx.network, 0)
            parts.extend(msg.shortfall(ctx.translator, session, accepted, pending, decide_by).parts)
        parts.append(ContextLine(ctx.t("/kritiskvenn status shows your rounds; /kritiskvenn avbryt {id} cancels.",
                                       id=session.id)))  # fmt: skip
        await ctx.reply(Message.of(*parts))

    # -- answering an invitation -----------------------------------------------------------------
    async def answer(ctx: MemberContext, session_id: int, yes: bool) -> None:
        reply = await service.answer(session_id, ctx.member, yes)
        await ctx.reply(ctx.t(reply, id=session_id))

    for names, yes in ((("ja", "yes"), True), (("nei", "no"), False)):

        async def answer_command(ctx: MemberContext, yes: bool = yes) -> None:
            if (found := await with_id(ctx, ctx.args, "ja")) is not None:
                await answer(ctx, found[0], yes)

        r.command(COMMAND, sub=names, access="member",
                  help=N_("Answer an invitation to be a critical friend") if yes else "",
                  usage="N")(answer_command)  # fmt: skip

    async def action_id(ctx: Context[ActionEvent]) -> int | None:
        session_id, _ = leading_number(ctx.event.value.partition(":")[0])
        if session_id is None:
            await ctx.reply(ctx.t("This button no longer works. Try the command instead."))
        return session_id

    @r.action("kritisk_venn.accept")
    async def accept_button(ctx: MemberContext[ActionEvent]) -> None:
        if (session_id := await action_id(ctx)) is not None:
            await answer(ctx, session_id, True)

    r.action("kritisk_venn.volunteer")(accept_button)

    @r.action("kritisk_venn.decline")
    async def decline_button(ctx: MemberContext[ActionEvent]) -> None:
        if (session_id := await action_id(ctx)) is not None:
            await answer(ctx, session_id, False)

    # -- presenter's choices while inviting ------------------------------------------------------
    async def volunteers(ctx: MemberContext, session_id: int) -> None:
        decide_by = await service.open_to_volunteers(session_id, ctx.member)
        await ctx.reply(ctx.t("I have asked for volunteers in the channel for round #{id}.", id=session_id) + " " +
                        ctx.t("If the round does not have its friends by {deadline}, I start it with those who said "
                              "yes, or cancel it if nobody has.", deadline=decide_by))  # fmt: skip

    async def start_now(ctx: MemberContext, session_id: int) -> None:
        await service.start_now(session_id, ctx.member)
        await ctx.reply(ctx.t("Round #{id} has started.", id=session_id))

    async def cancel(ctx: MemberContext, session_id: int) -> None:
        await service.cancel(session_id, ctx.member)
        await ctx.reply(ctx.t("Round #{id} is cancelled. Everything written is kept until you delete it.",
                              id=session_id))  # fmt: skip

    for sub, handler, help_text in (
        (("frivillige", "volunteers"), volunteers, N_("Open your round to volunteers in the channel")),
        (("start",), start_now, N_("Start your round with those who said yes")),
        (("avbryt", "cancel"), cancel, N_("Cancel your round")),
    ):

        async def by_command(ctx: MemberContext, handler: ById = handler, sub: tuple[str, ...] = sub) -> None:
            if (found := await with_id(ctx, ctx.args, sub[0])) is not None:
                await handler(ctx, found[0])

        async def by_button(ctx: MemberContext[ActionEvent], handler: ById = handler) -> None:
            if (session_id := await action_id(ctx)) is not None:
                await handler(ctx, session_id)

        r.command(COMMAND, sub=sub, access="member", help=help_text, usage="N")(by_command)
        action = {"frivillige": "volunteers", "start": "start_now", "avbryt": "cancel"}[sub[0]]
        r.action(f"kritisk_venn.{action}")(by_button)

    # -- contributing ----------------------------------------------------------------------------
    async def report(ctx: Context, result: Contributed, text: str, *, echo: bool) -> None:
        session = result.session
        if result.outcome == "stored":
            await ctx.reply(ctx.t("Saved in round #{id}, {phase}.", id=session.id,
                                  phase=ctx.t(PHASES[result.phase].title)))  # fmt: skip
            return
        reply = ctx.t(OUTCOME_TEXTS[result.outcome], id=session.id)
        await ctx.reply(reply + ("\n\n" + msg.echo(ctx.translator, text) if echo else ""))

    @r.command(COMMAND, sub=("bidra", "contribute"), access="member", usage=N_("N <text>"),
               help=N_("Contribute to a kritisk venn round (or reply in its thread)"))  # fmt: skip
    async def contribute_command(ctx: MemberContext) -> None:
        if (found := await with_id(ctx, ctx.args, "bidra", N_("N <text>"))) is None:
            return
        session_id, text = found
        if not text:
            await ctx.reply(ctx.t("Write your contribution after the number: /kritiskvenn bidra {id} <text>",
                                  id=session_id))  # fmt: skip
            return
        try:
            result = await service.contribute(session_id, ctx.member, text)
        except KvError as err:
            await fail(ctx, err, text)
            return
        await report(ctx, result, text, echo=True)

    @r.action("kritisk_venn.contribute")
    async def contribute_button(ctx: MemberContext[ActionEvent]) -> None:
        if (session_id := await action_id(ctx)) is None:
            return
        session = await service.get(session_id)
        if session is None or session.network_id != ctx.member.network_id:
            await ctx.reply(ctx.t("There is no kritisk venn round #{id}.", id=session_id))
            return
        if session.status != "running" or session.phase < 0:
            outcome = {"done": "late", "cancelled": "cancelled"}.get(session.status, "not_started")
            if outcome != "late":
                await ctx.reply(ctx.t(OUTCOME_TEXTS[outcome], id=session.id))
                return
        elif (outcome := kind_for(session.phase, session.presenter_id == ctx.member.id)[0]) != "stored":
            await ctx.reply(ctx.t(OUTCOME_TEXTS[outcome], id=session.id))
            return
        phase = min(session.phase, len(PHASES) - 1)
        await ctx.open_form(msg.contribute_form(ctx.translator, session, phase))

    @r.form("kritisk_venn.contribute", limits=msg.CONTRIBUTE_LIMITS)
    async def contribute_form(ctx: MemberContext[FormSubmitted]) -> None:
        session_id, phase_raw = leading_number(ctx.event.state.replace(":", " "))
        phase, _ = leading_number(phase_raw)
        values = {k: v.strip() for k, v in ctx.event.values.items() if v and v.strip()}
        written = "\n\n".join(values.values())
        if session_id is None or not values:
            await ctx.reply(ctx.t("There was nothing to save.") + ("\n\n" + msg.echo(ctx.translator, written)
                                                                 if written else ""))  # fmt: skip
            return
        pieces = (
            [(values[k], kind) for k, kind in (("wonder", "cool"), ("suggestion", "suggestion")) if k in values]
            if "text" not in values
            else [(values["text"], None)]
        )
        try:
            for text, kind in pieces:
                result = await service.contribute(session_id, ctx.member, text, phase, kind)
                if result.outcome != "stored":
                    break
        except KvError as err:
            await fail(ctx, err, written)
            return
        await report(ctx, result, written, echo=True)

    @r.on_message(access="member")
    async def thread_reply(ctx: MemberContext[MessageEvent]) -> None:
        conv = ctx.event.conversation
        if conv.thread_id is None and not conv.is_direct:
            return
        session = await service.by_conversation(conv)
        if session is None or not ctx.event.text.strip():
            return
        result = await service.contribute(session.id, ctx.member, ctx.event.text.strip())
        # A reply in the thread stays on the platform, so only what needs saying is said.
        if result.outcome in ("stored", "not_participant"):
            return
        await report(ctx, result, ctx.event.text, echo=False)

    # -- moving on -------------------------------------------------------------------------------
    async def next_phase(ctx: MemberContext, session_id: int, expected: int | None) -> None:
        left = await service.advance(session_id, ctx.member, expected)
        if left >= len(PHASES) - 1:
            await ctx.reply(ctx.t("Round #{id} is finished.", id=session_id))
        else:
            await ctx.reply(ctx.t("Round #{id} moves on to {phase}.", id=session_id,
                                  phase=ctx.t(PHASES[left + 1].title)))  # fmt: skip

    @r.command(COMMAND, sub=("neste", "next"), access="member", usage="N",
               help=N_("Move a kritisk venn round to its next phase (presenter or leader)"))  # fmt: skip
    async def next_command(ctx: MemberContext) -> None:
        if (found := await with_id(ctx, ctx.args, "neste")) is not None:
            await next_phase(ctx, found[0], None)

    @r.action("kritisk_venn.next")
    async def next_button(ctx: MemberContext[ActionEvent]) -> None:
        raw_id, _, raw_phase = ctx.event.value.partition(":")
        phase, _ = leading_number(raw_phase)
        await next_phase(ctx, pointer_id(raw_id), phase)

    # -- after the round -------------------------------------------------------------------------
    async def share(ctx: MemberContext, session_id: int, text: str) -> None:
        try:
            await service.share_note(session_id, ctx.member, text)
        except KvError as err:
            await fail(ctx, err, text)
            return
        await ctx.reply(ctx.t("Thank you! Your learning note will be in the next digest."))

    @r.command(COMMAND, sub=("del", "share"), access="member", usage=N_("N <text>"),
               help=N_("Share a learning note from your finished round with the network"))  # fmt: skip
    async def share_command(ctx: MemberContext) -> None:
        if (found := await with_id(ctx, ctx.args, "del", N_("N <text>"))) is not None:
            await share(ctx, *found)

    @r.action("kritisk_venn.share")
    async def share_button(ctx: MemberContext[ActionEvent]) -> None:
        if (session_id := await action_id(ctx)) is None:
            return
        session = await service.get(session_id)
        if session is None or session.presenter_id != ctx.member.id:
            await ctx.reply(ctx.t("Only the presenter of round #{id} can do that.", id=session_id))
            return
        await ctx.open_form(msg.share_form(ctx.translator, session, await service.reflection_of(session.id)))

    @r.form("kritisk_venn.share", limits=msg.SHARE_LIMITS)
    async def share_form(ctx: MemberContext[FormSubmitted]) -> None:
        session_id, _ = leading_number(ctx.event.state)
        if session_id is None:
            await ctx.reply(ctx.t("This form no longer works. Try the command instead."))
            return
        await share(ctx, session_id, ctx.event.values.get("note", ""))

    @r.command(COMMAND, sub=("slett", "delete"), access="member", usage=N_("N [confirm]"),
               help=N_("Delete your ended round, or what you wrote in a round"))  # fmt: skip
    async def delete_command(ctx: MemberContext) -> None:
        if (found := await with_id(ctx, ctx.args, "/kritiskvenn slett N")) is None:
            return
        session_id, rest = found
        try:
            confirmed = rest.strip().lower() in ("bekreft", "stadfest", "confirm")
            reply = await service.delete(session_id, ctx.member, confirmed)
        except KvError as err:
            await fail(ctx, err)
            return
        await ctx.reply(ctx.t(reply, id=session_id))

    # -- overview --------------------------------------------------------------------------------
    @r.command(COMMAND, sub=("status",), access="member", help=N_("Your running and past kritisk venn rounds"))
    async def status(ctx: MemberContext) -> None:
        rows = await service.sessions_of(ctx.member)
        if not rows:
            await ctx.reply(ctx.t("You have no kritisk venn rounds yet. Start one with /kritiskvenn."))
            return
        lines = [await describe(ctx, session, presenter, answer) for session, presenter, answer in rows]
        await ctx.reply(Message.of(Section(ctx.t("Your kritisk venn rounds")), Text("\n".join(lines))))

    async def describe(ctx: Context, session: KvSession, presenter: Member, answer: str | None) -> str:
        network = ctx.network
        assert network is not None
        if session.status == "running" and session.phase >= 0:
            state = msg.phase_label(ctx.translator, session.phase)
            if session.phase_deadline is not None:
                state += ", " + ctx.t("until {deadline}", deadline=msg.when(
                    ctx.translator, session.phase_deadline, network.timezone, ctx.bot.clock.now()))  # fmt: skip
        elif session.status == "inviting":
            accepted, pending = await service.friend_counts(session.id)
            state = ctx.t("finding critical friends: {yes} of {wanted} said yes, {pending} not answered yet",
                          yes=accepted, wanted=session.friends_wanted, pending=pending)  # fmt: skip
        else:
            state = ctx.t(msg.STATUS_NAMES[session.status])
        if answer is None:
            who = ctx.t("you present")
        else:
            who = ctx.t(
                "{name} presents, {answer}", name=presenter.display_name, answer=ctx.t(msg.ANSWER_NAMES[answer])
            )
        return f"#{session.id} — {who} — {state}"
