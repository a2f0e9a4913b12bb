"""Chat handlers for booking quick calls: /samsnakk @person [tid], answers, cancel, move, "nå"."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from bot.context import Context, MemberContext, NotYours, pointer_id
from bot.events import ActionEvent, FormSubmitted
from bot.features.samsnakk.calls import CallService, CallView
from bot.features.samsnakk.chat import (
    call_line,
    fail,
    moved,
    overview,
    read_time,
    suggested,
    time_form,
    when,
)
from bot.features.samsnakk.common import (
    TIME_LIMIT,
    SamsnakkError,
    is_paused,
    member_tz,
)
from bot.features.samsnakk.rounds import RoundService
from bot.i18n import N_
from bot.mentions import find_member, split_mention
from bot.messages import Button, Buttons, ContextLine, Message, Part, Section, Text
from bot.numbers import MAX_DIGITS, parse_id
from bot.times import format_short
from storage.models.core import Member
from storage.repositories.core import Members
from storage.repositories.samsnakk import Rounds

if TYPE_CHECKING:
    from bot.core_api import CoreApi

_CALL_ID = re.compile(r"^#?(\d{1,9})$")
_MINUTES = re.compile(r"\s+(\d{1,3})\s*(?:min|minutt|minutter|minutes?)$")


def call_version(text: str) -> int | None:
    """The version of a call a button showed (`id:version`), so a stale answer is refused."""
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    raise NotYours()


def asked(ctx: MemberContext, view: CallView) -> str:
    """The requester's receipt: who is asked now, and (in a call for three) who is asked next."""
    partner = view.partner.display_name if view.partner else ""
    if view.guest is not None:
        return ctx.t("I have asked {name} about {when} (call #{id}), and I ask {guest} when {name} says yes. "
                     "You will hear when they answer.", name=partner, guest=view.guest.display_name,
                     when=when(ctx, view.call.starts_at), id=view.call.id)  # fmt: skip
    return ctx.t(
        "I have asked {name} about {when} (call #{id}). You will hear when they answer.",
        name=partner,
        when=when(ctx, view.call.starts_at),
        id=view.call.id,
    )


def register_calls(bot: CoreApi, rounds: RoundService, calls: CallService) -> None:
    r = bot.router

    # -- /samsnakk, /samsnakk @person [tid] ---------------------------------------------------------
    @r.command(
        ("samsnakk", "talk"),
        help=N_("Samsnakk to-og-to: book a quick talk with a colleague"),
        usage=N_("@name [@name] [time]"),
    )
    async def samsnakk(ctx: MemberContext) -> None:
        await rounds.ensure_scheduled(ctx.network)
        mention, rest = split_mention(ctx.args)
        if mention is None:
            if ctx.args.strip():
                await ctx.reply(
                    ctx.t(
                        "Mention the colleague you want to talk to: /samsnakk @name [time], "
                        "e.g. /samsnakk @ola fre 14:00."
                    )
                )
                return
            await ctx.reply(await overview(ctx, rounds, calls))
            return
        # A second mention invites a third colleague (as a round's trio does).
        second, rest = split_mention(rest)
        async with ctx.bot.db.session() as s:
            partner = await find_member(s, ctx.network.id, mention)
            guest = await find_member(s, ctx.network.id, second) if second else None
        for token, found in ((mention, partner), (second, guest)):
            if token and found is None:
                await ctx.reply(
                    ctx.t(
                        "{who} has not joined the network, so I can't book a call. They can join with "
                        "/samskap bli-med <school>.",
                        who=token,
                    )
                )
                return
        assert partner is not None
        if guest is not None and guest.id in (partner.id, ctx.member.id):
            guest = None
        if not rest:
            await offer_slots(ctx, partner, guest)
            return
        minutes = 15
        if (found_minutes := _MINUTES.search(" " + rest)) and not re.search(r"\b(om|in)\s+\d", rest):
            minutes = max(5, min(120, int(found_minutes.group(1))))
            rest = rest[: len(rest) - len(found_minutes.group(0)) + 1].strip()
        starts_at = read_time(ctx, rest)
        view = await calls.propose(ctx.network, ctx.member, partner, starts_at, minutes, guest=guest)
        await ctx.reply(asked(ctx, view))

    async def offer_slots(ctx: MemberContext, partner: Member, guest: Member | None = None) -> None:
        """Free times of everyone involved, as buttons (a trio's third member comes as `guest`)."""
        if partner.id == ctx.member.id:
            raise SamsnakkError("You can't book a call with yourself. Mention a colleague: /samsnakk @name [time].")
        for person in (partner, guest):
            if person is not None and is_paused(ctx.bot, person):
                raise SamsnakkError("{name} has paused samsnakk for now. Try someone else.", name=person.display_name)
        people = [ctx.member, partner, *([guest] if guest else [])]
        slots = await calls.free_slots_for(ctx.network, people)
        if not slots:
            await ctx.reply(
                ctx.t(
                    "I found no free time for both of you in the next two weeks. Suggest one: "
                    "/samsnakk @{handle} fre 14:00",
                    handle=partner.user_id,
                )
            )
            return
        tz = member_tz(ctx.bot, ctx.member, ctx.network)
        guest_part = f"|{guest.id}" if guest else ""
        buttons = tuple(
            Button(
                format_short(slot, tz, ctx.language), "samsnakk.pick", f"{partner.id}|{slot.isoformat()}{guest_part}"
            )
            for slot in slots
        )
        names = (
            partner.display_name
            if guest is None
            else ctx.t("{a} and {b}", a=partner.display_name, b=guest.display_name)
        )
        await ctx.reply(
            Message.of(
                Text(ctx.t("Free times for you and {name} (15 minutes):", name=names)),
                Buttons(buttons),
                ContextLine(
                    ctx.t(
                        "Or choose your own: /samsnakk @{handle} <time>, e.g. i morgen 14 or fre 8:30.",
                        handle=partner.user_id,
                    )
                ),
            )
        )

    async def picked_slot(ctx: Context[ActionEvent]) -> tuple[Member, datetime, Member | None]:
        """`partner|time[|guest]` from a free-time button: both colleagues from the clicker's network."""
        parts = ctx.event.value.split("|")
        if len(parts) not in (2, 3):
            raise NotYours()
        try:
            starts_at = datetime.fromisoformat(parts[1])
        except ValueError:
            raise NotYours() from None
        if starts_at.tzinfo is None:
            raise NotYours()
        partner = await ctx.network_member(parts[0])
        guest = await ctx.network_member(parts[2]) if len(parts) == 3 else None
        return partner, starts_at, guest

    @r.action("samsnakk.pick")
    async def pick(ctx: MemberContext[ActionEvent]) -> None:
        partner, starts_at, guest = await picked_slot(ctx)
        view = await calls.propose(ctx.network, ctx.member, partner, starts_at, guest=guest)
        await ctx.reply(asked(ctx, view))

    @r.action("samsnakk.book_group")
    async def book_group(ctx: MemberContext[ActionEvent]) -> None:
        """ "Book en tid" in a round's group: free times of the whole group (a trio books together)."""
        async with ctx.bot.db.session() as s:
            found = await Rounds(s).get_group(pointer_id(ctx.event.value))
            others = [await Members(s).get(i) for i in (found[1] if found else []) if i != ctx.member.id]
        partners = [o for o in others if o is not None]
        if found is None or ctx.member.id not in found[1] or not partners:
            await ctx.reply(ctx.t("This samsnakk group is not yours."))
            return
        try:
            await offer_slots(ctx, partners[0], partners[1] if len(partners) > 1 else None)
        except SamsnakkError as err:
            await fail(ctx, err)

    # -- answering a proposal ----------------------------------------------------------------------
    async def call_from(ctx: MemberContext, statuses: tuple[str, ...]) -> tuple[CallView, int | None, str]:
        """The call a button or command is about, the version the button showed, and the rest of the args."""
        value = getattr(ctx.event, "value", None) if not ctx.is_command else None
        if value:
            call_id, _, version = value.partition(":")
            view = await calls.find_for(ctx.member, pointer_id(call_id), statuses)
            return view, call_version(version), ""
        first, _, rest = ctx.args.strip().partition(" ")
        if match := _CALL_ID.match(first):
            return await calls.find_for(ctx.member, int(match.group(1)), statuses), None, rest.strip()
        return await calls.find_for(ctx.member, None, statuses), None, ctx.args.strip()

    @r.command("samsnakk", sub=("godta", "accept"), help=N_("Accept a proposed call"), usage=N_("[#number]"))
    async def accept_cmd(ctx: MemberContext) -> None:
        await accept(ctx)

    @r.action("samsnakk.accept")
    async def accept(ctx: MemberContext) -> None:
        view, version, _ = await call_from(ctx, ("proposed", "guest"))
        fresh = await calls.accept(view, ctx.member, version)
        if fresh.call.status == "guest" and fresh.guest is not None:
            await ctx.reply(ctx.t("Accepted. I have asked {name} too; you all get the video link and a calendar "
                                  "invitation when they have answered.", name=fresh.guest.display_name))  # fmt: skip
        elif len(fresh.people()) > 2:
            await ctx.reply(ctx.t("Accepted. You all get the video link and a calendar invitation."))
        else:
            await ctx.reply(ctx.t("Accepted. You both get the video link and a calendar invitation."))

    @r.command("samsnakk", sub=("avslå", "avsla", "decline"), help=N_("Decline a proposed call"), usage=N_("[#number]"))
    async def decline_cmd(ctx: MemberContext) -> None:
        await decline(ctx)

    @r.action("samsnakk.decline")
    async def decline(ctx: MemberContext) -> None:
        view, _version, _ = await call_from(ctx, ("proposed", "guest"))
        await calls.decline(view, ctx.member)
        await ctx.reply(ctx.t("Declined. I have told them."))

    @r.command(
        "samsnakk",
        sub=("foreslå", "foresla", "suggest"),
        help=N_("Suggest another time for a call"),
        usage=N_("[#number] <time>"),
    )
    async def counter_cmd(ctx: MemberContext) -> None:
        view, _version, rest = await call_from(ctx, ("proposed",))
        if not rest:
            raise SamsnakkError("Write the time you suggest: /samsnakk foreslå {id} <time>.", id=view.call.id)
        fresh = await calls.counter(view, ctx.member, None, read_time(ctx, rest))
        await ctx.reply(suggested(ctx, fresh))

    @r.action("samsnakk.counter")
    async def counter_button(ctx: MemberContext[ActionEvent]) -> None:
        await call_from(ctx, ("proposed",))  # only the people in the call get the form
        await ctx.open_form(time_form(ctx, "samsnakk.counter", ctx.t("Suggest another time"), ctx.event.value))

    @r.form("samsnakk.counter", limits={"time": TIME_LIMIT})
    async def counter_form(ctx: MemberContext[FormSubmitted]) -> None:
        call_id, _, version = ctx.event.state.partition(":")
        text = ctx.event.values.get("time", "")
        try:
            view = await calls.find_for(ctx.member, pointer_id(call_id), ("proposed",))
            fresh = await calls.counter(view, ctx.member, call_version(version), read_time(ctx, text))
        except SamsnakkError as err:
            await fail(ctx, err)
            await ctx.reply(
                ctx.t(
                    "Your suggestion was: {text}. Try again with /samsnakk foreslå {id} <time>.", text=text, id=call_id
                )
            )
            return
        await ctx.reply(suggested(ctx, fresh))

    # -- cancel and move --------------------------------------------------------------------------------
    @r.command("samsnakk", sub=("avlys", "cancel"), help=N_("Cancel a call"), usage=N_("[#number]"))
    async def cancel_cmd(ctx: MemberContext) -> None:
        await cancel(ctx)

    @r.action("samsnakk.cancel")
    async def cancel(ctx: MemberContext) -> None:
        view, _version, _ = await call_from(ctx, ("open", "proposed", "guest", "confirmed"))
        await calls.cancel(view, ctx.member)
        await ctx.reply(ctx.t("Call #{id} is cancelled.", id=view.call.id))

    @r.command("samsnakk", sub=("flytt", "move"), help=N_("Move a call to another time"), usage=N_("[#number] <time>"))
    async def move_cmd(ctx: MemberContext) -> None:
        view, _version, rest = await call_from(ctx, ("proposed", "confirmed"))
        if not rest:
            raise SamsnakkError("Write the new time: /samsnakk flytt {id} <time>.", id=view.call.id)
        fresh = await calls.move(view, ctx.member, read_time(ctx, rest))
        await ctx.reply(moved(ctx, fresh))

    @r.action("samsnakk.move")
    async def move_button(ctx: MemberContext[ActionEvent]) -> None:
        await call_from(ctx, ("proposed", "confirmed"))  # only the people in the call get the form
        await ctx.open_form(time_form(ctx, "samsnakk.move", ctx.t("Move the call"), ctx.event.value))

    @r.form("samsnakk.move", limits={"time": TIME_LIMIT})
    async def move_form(ctx: MemberContext[FormSubmitted]) -> None:
        call_id = ctx.event.state.partition(":")[0]
        text = ctx.event.values.get("time", "")
        try:
            view = await calls.find_for(ctx.member, pointer_id(call_id), ("proposed", "confirmed"))
            fresh = await calls.move(view, ctx.member, read_time(ctx, text))
        except SamsnakkError as err:
            await fail(ctx, err)
            await ctx.reply(
                ctx.t("Your new time was: {text}. Try again with /samsnakk flytt {id} <time>.", text=text, id=call_id)
            )
            return
        await ctx.reply(moved(ctx, fresh))

    @r.command("samsnakk", sub=("mine", "my"), help=N_("Your booked and proposed calls"))
    async def mine(ctx: MemberContext) -> None:
        views = await calls.my_calls(ctx.member)
        if not views:
            await ctx.reply(
                Message.of(
                    Text(ctx.t("You have no calls booked. Book one with /samsnakk @name [time].")),
                    ContextLine(ctx.t("Have your calls in your own calendar: /samsnakk kalender")),
                )
            )
            return
        await ctx.reply(
            Message.of(
                Section(ctx.t("Your calls"), tuple(call_line(ctx, v) for v in views)),
                ContextLine(ctx.t("Move or cancel with /samsnakk flytt <nr> <time> or /samsnakk avlys <nr>.")),
                ContextLine(ctx.t("Have your calls in your own calendar: /samsnakk kalender")),
            )
        )

    # -- "who has 15 minutes now?" --------------------------------------------------------------------
    @r.command("samsnakk", sub=("nå", "na", "now"), help=N_("Ask the channel who has 15 minutes now"),
               usage=N_("[topic]"))  # fmt: skip
    async def now(ctx: MemberContext) -> None:
        if ctx.event.conversation.is_direct:
            await ctx.reply(ctx.t("Ask in a channel of the network, so the others can see it: /samsnakk nå [topic]."))
            return
        call = await calls.open_now(ctx.network, ctx.member, ctx.args.strip())
        t = ctx.bot.translator_for(None, ctx.network)
        lines: list[Part] = [
            Text(t.t("Who has 15 minutes now? {name} would like a quick talk.", name=ctx.member.display_name))
        ]
        if call.topic:
            lines.append(Text(t.t("Topic: {topic}", topic=call.topic)))
        lines.append(Buttons((Button(t.t("I can"), "samsnakk.take", str(call.id), "primary"),)))
        lines.append(ContextLine(t.t("Or write /samsnakk jeg-kan. The first one gets the talk.")))
        sent = await ctx.reply(Message.of(*lines, summary=t.t("Who has 15 minutes now?")), visibility="channel")
        await calls.remember_post(call.id, sent)

    @r.command(
        "samsnakk",
        sub=("jeg-kan", "jegkan", "i-can"),
        help=N_("Take a colleague's request for a talk now"),
        usage=N_("[#number]"),
    )
    async def take_cmd(ctx: MemberContext) -> None:
        await take(ctx)

    @r.action("samsnakk.take")
    async def take(ctx: MemberContext) -> None:
        call_id = pointer_id(ctx.event.value) if isinstance(ctx.event, ActionEvent) else parse_id(ctx.args)
        view = await calls.take(call_id, ctx.network, ctx.member)
        await ctx.reply(
            ctx.t(
                "You have a talk with {name} now. The video link is in your direct messages.",
                name=view.requester.display_name,
            )
        )
