"""Thin chat handlers for kritisk venn; the protocol itself is in service.py.

Every button has a command: `/kritiskvenn ja|nei|frivillige|start|bidra|neste|avbryt|del N`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.context import Context, MemberContext, pointer_id
from bot.events import ActionEvent, FormSubmitted, MessageEvent
from bot.features.kritisk_venn import cards
from bot.features.kritisk_venn.common import (
    Contributed,
    KvError,
    kind_for,
    parse_request,
)
from bot.features.kritisk_venn.phases import PHASES
from bot.features.kritisk_venn.service import KritiskVennService
from bot.i18n import N_
from bot.numbers import leading_number

if TYPE_CHECKING:
    from bot.core_api import CoreApi

COMMAND = ("kritiskvenn", "criticalfriend")
HELP = N_("Kind and honest feedback on your practice from colleagues at other schools")
WHICH_ROUND = N_("Which round? Write {usage}")
CONFIRM = ("bekreft", "stadfest", "confirm")
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


class KritiskVennHandlers:
    """A round from the presenter's form to the learning note: each command has its button twin."""

    def __init__(self, service: KritiskVennService) -> None:
        self.service = service

    # -- starting --------------------------------------------------------------------------------
    async def start(self, ctx: MemberContext) -> None:
        await ctx.open_form(cards.start_form(ctx.translator, ctx.args))

    async def submitted(self, ctx: MemberContext[FormSubmitted]) -> None:
        request = parse_request(ctx.event.values)  # what is missing is the presenter's to fix: the core answers
        created = await self.service.invitations.create(ctx.network, ctx.member, ctx.event.conversation, request)
        session = created.session
        shortfall = None
        if not (created.invited or created.not_found or created.named_self) or created.short:
            accepted, pending = await self.service.rounds.friend_counts(session.id)
            decide_by = "" if pending else await self.service.invitations.decide_by(session, ctx.member, ctx.network, 0)
            shortfall = cards.shortfall(ctx.translator, session, accepted, pending, decide_by)
        await ctx.reply(cards.created(ctx.translator, created, shortfall))

    # -- answering an invitation -----------------------------------------------------------------
    async def accept(self, ctx: MemberContext) -> None:
        await self._answer(ctx, yes=True)

    async def decline(self, ctx: MemberContext) -> None:
        await self._answer(ctx, yes=False)

    async def _answer(self, ctx: MemberContext, *, yes: bool) -> None:
        session_id = round_id(ctx)
        reply = await self.service.invitations.answer(session_id, ctx.member, yes)
        await ctx.reply(ctx.t(reply, id=session_id))

    # -- the presenter's choices while inviting --------------------------------------------------
    async def volunteers(self, ctx: MemberContext) -> None:
        session_id = round_id(ctx)
        decide_by = await self.service.invitations.open_to_volunteers(session_id, ctx.member)
        await ctx.reply(ctx.t("I have asked for volunteers in the channel for round #{id}.", id=session_id) + " " +
                        ctx.t("If the round does not have its friends by {deadline}, I start it with those who said "
                              "yes, or cancel it if nobody has.", deadline=decide_by))  # fmt: skip

    async def start_now(self, ctx: MemberContext) -> None:
        session_id = round_id(ctx)
        await self.service.invitations.start_now(session_id, ctx.member)
        await ctx.reply(ctx.t("Round #{id} has started.", id=session_id))

    async def cancel(self, ctx: MemberContext) -> None:
        session_id = round_id(ctx)
        await self.service.protocol.cancel(session_id, ctx.member)
        await ctx.reply(ctx.t("Round #{id} is cancelled. Everything written is kept until you delete it.",
                              id=session_id))  # fmt: skip

    # -- contributing ----------------------------------------------------------------------------
    async def contribute_command(self, ctx: MemberContext) -> None:
        session_id, text = ctx.numbered(WHICH_ROUND, N_("N <text>"))
        if not text:
            raise KvError("Write your contribution after the number: /kritiskvenn bidra {id} <text>", id=session_id)
        result = await self.service.protocol.contribute(session_id, ctx.member, text)
        await report(ctx, result, text, echo=True)

    async def contribute_button(self, ctx: MemberContext[ActionEvent]) -> None:
        session_id = round_id(ctx)
        session = await self.service.rounds.get(session_id)
        if session is None or session.network_id != ctx.member.network_id:
            raise KvError("There is no kritisk venn round #{id}.", id=session_id)
        if session.status != "running" or session.phase < 0:
            outcome = {"done": "late", "cancelled": "cancelled"}.get(session.status, "not_started")
            if outcome != "late":
                await ctx.reply(ctx.t(OUTCOME_TEXTS[outcome], id=session.id))
                return
        elif (outcome := kind_for(session.phase, session.presenter_id == ctx.member.id)[0]) != "stored":
            await ctx.reply(ctx.t(OUTCOME_TEXTS[outcome], id=session.id))
            return
        phase = min(session.phase, len(PHASES) - 1)
        await ctx.open_form(cards.contribute_form(ctx.translator, session, phase))

    async def contribute_form(self, ctx: MemberContext[FormSubmitted]) -> None:
        session_id, phase_raw = leading_number(ctx.event.state.replace(":", " "))
        phase, _ = leading_number(phase_raw)
        values = {k: v.strip() for k, v in ctx.event.values.items() if v and v.strip()}
        if session_id is None or not values:
            raise KvError("There was nothing to save.")
        pieces = (
            [(values[k], kind) for k, kind in (("wonder", "cool"), ("suggestion", "suggestion")) if k in values]
            if "text" not in values
            else [(values["text"], None)]
        )
        for text, kind in pieces:
            result = await self.service.protocol.contribute(session_id, ctx.member, text, phase, kind)
            if result.outcome != "stored":
                break
        await report(ctx, result, "\n\n".join(values.values()), echo=True)

    async def thread_reply(self, ctx: MemberContext[MessageEvent]) -> None:
        conv = ctx.event.conversation
        if conv.thread_id is None and not conv.is_direct:
            return
        session = await self.service.by_conversation(conv)
        if session is None or not ctx.event.text.strip():
            return
        result = await self.service.protocol.contribute(session.id, ctx.member, ctx.event.text.strip())
        # A reply in the thread stays on the platform, so only what needs saying is said.
        if result.outcome in ("stored", "not_participant"):
            return
        await report(ctx, result, ctx.event.text, echo=False)

    # -- moving on -------------------------------------------------------------------------------
    async def next_phase(self, ctx: MemberContext) -> None:
        if isinstance(ctx.event, ActionEvent):  # the button knows the phase it was shown in
            raw_id, _, raw_phase = ctx.event.value.partition(":")
            session_id, expected = pointer_id(raw_id), leading_number(raw_phase)[0]
        else:
            session_id, expected = ctx.numbered(WHICH_ROUND, "N")[0], None
        left = await self.service.protocol.advance(session_id, ctx.member, expected)
        if left >= len(PHASES) - 1:
            await ctx.reply(ctx.t("Round #{id} is finished.", id=session_id))
        else:
            await ctx.reply(ctx.t("Round #{id} moves on to {phase}.", id=session_id,
                                  phase=ctx.t(PHASES[left + 1].title)))  # fmt: skip

    # -- after the round -------------------------------------------------------------------------
    async def share_command(self, ctx: MemberContext) -> None:
        session_id, text = ctx.numbered(WHICH_ROUND, N_("N <text>"))
        await self._share(ctx, session_id, text)

    async def share_button(self, ctx: MemberContext[ActionEvent]) -> None:
        session_id = round_id(ctx)
        session = await self.service.rounds.get(session_id)
        if session is None or session.presenter_id != ctx.member.id:
            raise KvError("Only the presenter of round #{id} can do that.", id=session_id)
        reflection = await self.service.protocol.reflection_of(session.id)
        await ctx.open_form(cards.share_form(ctx.translator, session, reflection))

    async def share_form(self, ctx: MemberContext[FormSubmitted]) -> None:
        await self._share(ctx, pointer_id(ctx.event.state), ctx.event.values.get("note", ""))

    async def _share(self, ctx: MemberContext, session_id: int, text: str) -> None:
        await self.service.protocol.share_note(session_id, ctx.member, text)
        await ctx.reply(ctx.t("Thank you! Your learning note will be in the next digest."))

    async def delete(self, ctx: MemberContext) -> None:
        session_id, rest = ctx.numbered(WHICH_ROUND, N_("N [confirm]"))
        reply = await self.service.protocol.delete(session_id, ctx.member, rest.strip().lower() in CONFIRM)
        await ctx.reply(ctx.t(reply, id=session_id))

    # -- overview --------------------------------------------------------------------------------
    async def status(self, ctx: MemberContext) -> None:
        rows = await self.service.sessions_of(ctx.member)
        if not rows:
            await ctx.reply(ctx.t("You have no kritisk venn rounds yet. Start one with /kritiskvenn."))
            return
        now, counts = ctx.bot.clock.now(), {}
        for session, _presenter, _answer in rows:
            if session.status == "inviting":
                counts[session.id] = await self.service.rounds.friend_counts(session.id)
        await ctx.reply(cards.status(ctx.translator, rows, counts, ctx.network.timezone, now))


def round_id(ctx: MemberContext) -> int:
    """The round a command names by its number, or a button carries (before any `:phase`)."""
    if isinstance(ctx.event, ActionEvent):
        return pointer_id(ctx.event.value.partition(":")[0])
    return ctx.numbered(WHICH_ROUND, "N")[0]


async def report(ctx: Context, result: Contributed, text: str, *, echo: bool) -> None:
    """What became of a contribution; one that was not added to the round is given back to its writer."""
    session = result.session
    if result.outcome == "stored":
        await ctx.reply(ctx.t("Saved in round #{id}, {phase}.", id=session.id, phase=ctx.t(PHASES[result.phase].title)))
        return
    reply = ctx.t(OUTCOME_TEXTS[result.outcome], id=session.id)
    await ctx.reply(reply + ("\n\n" + cards.echo(ctx.translator, text) if echo else ""))


def register(bot: CoreApi, service: KritiskVennService) -> None:
    h, r = KritiskVennHandlers(service), bot.router
    r.command(COMMAND, usage=USAGE, help=HELP)(h.start)
    r.form("kritisk_venn.start", limits=cards.START_LIMITS)(h.submitted)
    r.command(COMMAND, sub=("ja", "yes"), help=N_("Answer an invitation to be a critical friend"), usage="N")(h.accept)
    r.command(COMMAND, sub=("nei", "no"), usage="N")(h.decline)
    r.action("kritisk_venn.accept")(h.accept)
    r.action("kritisk_venn.volunteer")(h.accept)
    r.action("kritisk_venn.decline")(h.decline)
    r.command(COMMAND, sub=("frivillige", "volunteers"), help=N_("Open your round to volunteers in the channel"),
              usage="N")(h.volunteers)  # fmt: skip
    r.action("kritisk_venn.volunteers")(h.volunteers)
    r.command(COMMAND, sub=("start",), help=N_("Start your round with those who said yes"), usage="N")(h.start_now)
    r.action("kritisk_venn.start_now")(h.start_now)
    r.command(COMMAND, sub=("avbryt", "cancel"), help=N_("Cancel your round"), usage="N")(h.cancel)
    r.action("kritisk_venn.cancel")(h.cancel)
    r.command(COMMAND, sub=("bidra", "contribute"), usage=N_("N <text>"), writing=True,
              help=N_("Contribute to a kritisk venn round (or reply in its thread)"))(h.contribute_command)  # fmt: skip
    r.action("kritisk_venn.contribute")(h.contribute_button)
    r.form("kritisk_venn.contribute", limits=cards.CONTRIBUTE_LIMITS)(h.contribute_form)
    r.on_message(access="member")(h.thread_reply)
    r.command(COMMAND, sub=("neste", "next"), usage="N",
              help=N_("Move a kritisk venn round to its next phase (presenter or leader)"))(h.next_phase)  # fmt: skip
    r.action("kritisk_venn.next")(h.next_phase)
    r.command(COMMAND, sub=("del", "share"), usage=N_("N <text>"), writing=True,
              help=N_("Share a learning note from your finished round with the network"))(h.share_command)  # fmt: skip
    r.action("kritisk_venn.share")(h.share_button)
    r.form("kritisk_venn.share", limits=cards.SHARE_LIMITS)(h.share_form)
    r.command(COMMAND, sub=("slett", "delete"), usage=N_("N [confirm]"),
              help=N_("Delete your ended round, or what you wrote in a round"))(h.delete)  # fmt: skip
    r.command(COMMAND, sub=("status",), help=N_("Your running and past kritisk venn rounds"))(h.status)
