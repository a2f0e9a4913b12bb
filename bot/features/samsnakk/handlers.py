"""Thin chat handlers for /samsnakk: every button here has a command beside it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from bot.context import Context
from bot.features.samsnakk.calls import CallService, CallView
from bot.features.samsnakk.common import (
    EVERY_WEEKS,
    HOUR,
    HOURS,
    OPT_IN,
    PAUSED,
    PROMPT,
    WEEKDAY,
    SamsnakkError,
    is_opted_in,
    is_paused,
    member_tz,
    network_tz,
    parse_available_hours,
    parse_weekday,
)
from bot.features.samsnakk.rounds import RoundService
from bot.features.samsnakk.times import WEEKDAYS, TimeParseError, format_short, format_when, parse_when
from bot.i18n import N_
from bot.mentions import find_member, split_mention
from bot.messages import Button, Buttons, Form, FormField, Message, Section, Text
from bot.messages import Context as ContextLine
from bot.settings import SettingError, parse_clock_time
from storage.models.core import Member
from storage.repositories.core import Members
from storage.repositories.samsnakk import Avoids, Rounds

if TYPE_CHECKING:
    from bot.core import Bot

_CALL_ID = re.compile(r"^#?(\d{1,9})$")
_MINUTES = re.compile(r"\s+(\d{1,3})\s*(?:min|minutt|minutter|minutes?)$")
MET_WORDS = {
    "ja": "met",
    "yes": "met",
    "ikke-ennå": "not_yet",
    "ikke-enna": "not_yet",
    "ikke": "not_yet",
    "not-yet": "not_yet",
    "notyet": "not_yet",
    "hopp": "skipped",
    "hopp-over": "skipped",
    "skip": "skipped",
}


def register(bot: Bot, rounds: RoundService, calls: CallService) -> None:
    r = bot.router

    async def fail(ctx: Context, err: SamsnakkError) -> None:
        await ctx.reply(ctx.t(err.msgid, **err.kwargs))

    # -- /samsnakk, /samsnakk @person [tid] ---------------------------------------------------------
    @r.command(
        ("samsnakk", "talk"), help=N_("Samsnakk to-og-to: book a quick talk with a colleague"), usage="@navn [tid]"
    )
    async def samsnakk(ctx: Context) -> None:
        assert ctx.member is not None and ctx.network is not None
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
            await ctx.reply(await overview(ctx))
            return
        async with ctx.bot.db.session() as s:
            partner = await find_member(s, ctx.network.id, mention)
        if partner is None:
            await ctx.reply(
                ctx.t(
                    "{who} has not joined the network, so I can't book a call. They can join with "
                    "/samskap bli-med <school>.",
                    who=mention,
                )
            )
            return
        try:
            if not rest:
                await offer_slots(ctx, partner)
                return
            minutes = 15
            if (found := _MINUTES.search(" " + rest)) and not re.search(r"\b(om|in)\s+\d", rest):
                minutes = max(5, min(120, int(found.group(1))))
                rest = rest[: len(rest) - len(found.group(0)) + 1].strip()
            starts_at = read_time(ctx, rest)
            view = await calls.propose(ctx.network, ctx.member, partner, starts_at, minutes)
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(
            ctx.t(
                "I have asked {name} about {when} (call #{id}). You will hear when they answer.",
                name=partner.display_name,
                when=when(ctx, view.call.starts_at),
                id=view.call.id,
            )
        )

    async def offer_slots(ctx: Context, partner: Member, guest: Member | None = None) -> None:
        """Free times of everyone involved, as buttons (a trio's third member comes as `guest`)."""
        assert ctx.member is not None and ctx.network is not None
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

    @r.action("samsnakk.pick")
    async def pick(ctx: Context) -> None:
        assert ctx.member is not None and ctx.network is not None
        partner_id, iso, *guest_id = ctx.event.value.split("|")  # type: ignore[attr-defined]
        async with ctx.bot.db.session() as s:
            partner = await Members(s).get(int(partner_id))
            guest = await Members(s).get(int(guest_id[0])) if guest_id else None
        if partner is None or partner.network_id != ctx.network.id or (guest_id and guest is None):
            await ctx.reply(ctx.t("That colleague is no longer in the network."))
            return
        try:
            view = await calls.propose(ctx.network, ctx.member, partner, datetime.fromisoformat(iso), guest=guest)
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(
            ctx.t(
                "I have asked {name} about {when} (call #{id}). You will hear when they answer.",
                name=partner.display_name,
                when=when(ctx, view.call.starts_at),
                id=view.call.id,
            )
        )

    @r.action("samsnakk.book_group")
    async def book_group(ctx: Context) -> None:
        """ "Book en tid" in a round's group: free times of the whole group (a trio books together)."""
        assert ctx.member is not None and ctx.network is not None
        async with ctx.bot.db.session() as s:
            found = await Rounds(s).get_group(int(ctx.event.value))  # type: ignore[attr-defined]
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
    async def call_from(ctx: Context, statuses: tuple[str, ...]) -> tuple[CallView, int | None, str]:
        """The call a button or command is about, the version the button showed, and the rest of the args."""
        assert ctx.member is not None
        value = getattr(ctx.event, "value", None) if not ctx.is_command else None
        if value:
            call_id, _, version = value.partition(":")
            view = await calls.find_for(ctx.member, int(call_id), statuses)
            return view, int(version) if version else None, ""
        first, _, rest = ctx.args.strip().partition(" ")
        if match := _CALL_ID.match(first):
            return await calls.find_for(ctx.member, int(match.group(1)), statuses), None, rest.strip()
        return await calls.find_for(ctx.member, None, statuses), None, ctx.args.strip()

    @r.command("samsnakk", sub=("godta", "accept"), help=N_("Accept a proposed call"), usage="[#nr]")
    async def accept_cmd(ctx: Context) -> None:
        await accept(ctx)

    @r.action("samsnakk.accept")
    async def accept(ctx: Context) -> None:
        assert ctx.member is not None
        try:
            view, version, _ = await call_from(ctx, ("proposed",))
            await calls.accept(view, ctx.member, version)
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(ctx.t("Accepted. You both get the video link and a calendar invitation."))

    @r.command("samsnakk", sub=("avslå", "avsla", "decline"), help=N_("Decline a proposed call"), usage="[#nr]")
    async def decline_cmd(ctx: Context) -> None:
        await decline(ctx)

    @r.action("samsnakk.decline")
    async def decline(ctx: Context) -> None:
        assert ctx.member is not None
        try:
            view, _version, _ = await call_from(ctx, ("proposed",))
            await calls.decline(view, ctx.member)
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(ctx.t("Declined. I have told them."))

    @r.command(
        "samsnakk",
        sub=("foreslå", "foresla", "suggest"),
        help=N_("Suggest another time for a call"),
        usage="[#nr] <tid>",
    )
    async def counter_cmd(ctx: Context) -> None:
        assert ctx.member is not None
        try:
            view, _version, rest = await call_from(ctx, ("proposed",))
            if not rest:
                raise SamsnakkError("Write the time you suggest: /samsnakk foreslå {id} <time>.", id=view.call.id)
            fresh = await calls.counter(view, ctx.member, None, read_time(ctx, rest))
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(suggested(ctx, fresh))

    @r.action("samsnakk.counter")
    async def counter_button(ctx: Context) -> None:
        await ctx.open_form(time_form(ctx, "samsnakk.counter", ctx.t("Suggest another time"), ctx.event.value))  # type: ignore[attr-defined]

    @r.form("samsnakk.counter")
    async def counter_form(ctx: Context) -> None:
        assert ctx.member is not None
        call_id, _, version = ctx.event.state.partition(":")  # type: ignore[attr-defined]
        text = ctx.event.values.get("time", "")  # type: ignore[attr-defined]
        try:
            view = await calls.find_for(ctx.member, int(call_id), ("proposed",))
            fresh = await calls.counter(view, ctx.member, int(version) if version else None, read_time(ctx, text))
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
    @r.command("samsnakk", sub=("avlys", "cancel"), help=N_("Cancel a call"), usage="[#nr]")
    async def cancel_cmd(ctx: Context) -> None:
        await cancel(ctx)

    @r.action("samsnakk.cancel")
    async def cancel(ctx: Context) -> None:
        assert ctx.member is not None
        try:
            view, _version, _ = await call_from(ctx, ("open", "proposed", "confirmed"))
            await calls.cancel(view, ctx.member)
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(ctx.t("Call #{id} is cancelled.", id=view.call.id))

    @r.command("samsnakk", sub=("flytt", "move"), help=N_("Move a call to another time"), usage="[#nr] <tid>")
    async def move_cmd(ctx: Context) -> None:
        assert ctx.member is not None
        try:
            view, _version, rest = await call_from(ctx, ("proposed", "confirmed"))
            if not rest:
                raise SamsnakkError("Write the new time: /samsnakk flytt {id} <time>.", id=view.call.id)
            fresh = await calls.move(view, ctx.member, read_time(ctx, rest))
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(moved(ctx, fresh))

    @r.action("samsnakk.move")
    async def move_button(ctx: Context) -> None:
        await ctx.open_form(time_form(ctx, "samsnakk.move", ctx.t("Move the call"), ctx.event.value))  # type: ignore[attr-defined]

    @r.form("samsnakk.move")
    async def move_form(ctx: Context) -> None:
        assert ctx.member is not None
        call_id = ctx.event.state.partition(":")[0]  # type: ignore[attr-defined]
        text = ctx.event.values.get("time", "")  # type: ignore[attr-defined]
        try:
            view = await calls.find_for(ctx.member, int(call_id), ("proposed", "confirmed"))
            fresh = await calls.move(view, ctx.member, read_time(ctx, text))
        except SamsnakkError as err:
            await fail(ctx, err)
            await ctx.reply(
                ctx.t("Your new time was: {text}. Try again with /samsnakk flytt {id} <time>.", text=text, id=call_id)
            )
            return
        await ctx.reply(moved(ctx, fresh))

    @r.command("samsnakk", sub=("mine", "my"), help=N_("Your booked and proposed calls"))
    async def mine(ctx: Context) -> None:
        assert ctx.member is not None and ctx.network is not None
        views = await calls.my_calls(ctx.member)
        if not views:
            await ctx.reply(ctx.t("You have no calls booked. Book one with /samsnakk @name [time]."))
            return
        await ctx.reply(
            Message.of(
                Section(ctx.t("Your calls"), tuple(call_line(ctx, v) for v in views)),
                ContextLine(ctx.t("Move or cancel with /samsnakk flytt <nr> <time> or /samsnakk avlys <nr>.")),
            )
        )

    # -- "who has 15 minutes now?" --------------------------------------------------------------------
    @r.command("samsnakk", sub=("nå", "na", "now"), help=N_("Ask the channel who has 15 minutes now"), usage="[tema]")
    async def now(ctx: Context) -> None:
        assert ctx.member is not None and ctx.network is not None
        if ctx.event.conversation.is_direct:
            await ctx.reply(ctx.t("Ask in a channel of the network, so the others can see it: /samsnakk nå [topic]."))
            return
        try:
            call = await calls.open_now(ctx.network, ctx.member, ctx.args.strip())
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        t = ctx.bot.translator_for(None, ctx.network)
        lines = [Text(t.t("Who has 15 minutes now? {name} would like a quick talk.", name=ctx.member.display_name))]
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
        usage="[#nr]",
    )
    async def take_cmd(ctx: Context) -> None:
        await take(ctx)

    @r.action("samsnakk.take")
    async def take(ctx: Context) -> None:
        assert ctx.member is not None and ctx.network is not None
        value = getattr(ctx.event, "value", "") if not ctx.is_command else ctx.args.strip().lstrip("#")
        try:
            view = await calls.take(int(value) if value.isdigit() else None, ctx.network, ctx.member)
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        await ctx.reply(
            ctx.t(
                "You have a talk with {name} now. The video link is in your direct messages.",
                name=view.requester.display_name,
            )
        )

    # -- learning notes -----------------------------------------------------------------------------
    @r.command(
        "samsnakk", sub=("notat", "note"), help=N_("Share a one-line learning note from a talk"), usage="<én linje>"
    )
    async def note_cmd(ctx: Context) -> None:
        await save_note(ctx, None, ctx.args)

    @r.action("samsnakk.note")
    async def note_button(ctx: Context) -> None:
        await ctx.open_form(
            Form(
                "samsnakk.note",
                ctx.t("Share a learning note"),
                (
                    FormField(
                        "note",
                        ctx.t("What will you take back to your school?"),
                        max_length=280,
                        hint=ctx.t("One line. Nothing that can identify a student."),
                    ),
                ),
                submit_label=ctx.t("Share"),
                state=ctx.event.value,
            )
        )  # type: ignore[attr-defined]

    @r.form("samsnakk.note")
    async def note_form(ctx: Context) -> None:
        await save_note(ctx, ctx.event.state or None, ctx.event.values.get("note", ""))  # type: ignore[attr-defined]

    async def save_note(ctx: Context, target: str | None, text: str) -> None:
        assert ctx.member is not None and ctx.network is not None
        try:
            await rounds.share_note(ctx.network, ctx.member, target, text)
        except SamsnakkError as err:
            await fail(ctx, err)
            if text.strip():
                await ctx.reply(ctx.t("Your note, so you can shorten it: {text}", text=text))
            return
        await ctx.reply(ctx.t("Thank you! Your note is shared with the network in the next digest."))

    # -- rounds: the member's side ----------------------------------------------------------------------
    @r.command(
        "samsnakk",
        sub=("snakket", "met"),
        help=N_("Tell whether you have had this round's talk"),
        usage="ja|ikke-ennå|hopp",
    )
    async def met_cmd(ctx: Context) -> None:
        assert ctx.member is not None
        status = MET_WORDS.get(ctx.args.strip().lower(), "")
        await answer_met(ctx, None, status)

    @r.action("samsnakk.met")
    async def met_button(ctx: Context) -> None:
        group_id, _, status = ctx.event.value.partition(":")  # type: ignore[attr-defined]
        await answer_met(ctx, int(group_id), status)

    async def answer_met(ctx: Context, group_id: int | None, status: str) -> None:
        assert ctx.member is not None
        try:
            await rounds.set_met(ctx.member, group_id, status)
        except SamsnakkError as err:
            await fail(ctx, err)
            return
        answers = {
            "met": ctx.t("Good to hear! At the end of the round I ask for a learning note to share."),
            "not_yet": ctx.t("There is still time. Book one with the Book a time button or /samsnakk @name."),
            "skipped": ctx.t("Fine, this round is skipped for you. See you in the next one."),
        }
        await ctx.reply(answers[status])

    @r.command("samsnakk", sub=("på", "pa", "on", "bli-med", "join"), help=N_("Take part in the pairing rounds"))
    async def opt_in(ctx: Context) -> None:
        await set_option(ctx, OPT_IN, True)
        await ctx.reply(
            ctx.t("You take part in samsnakk to-og-to. Next round: {when}.", when=await next_round_text(ctx))
        )

    @r.command("samsnakk", sub=("av", "off", "meld-av"), help=N_("Stop taking part in the pairing rounds"))
    async def opt_out(ctx: Context) -> None:
        await set_option(ctx, OPT_IN, False)
        await ctx.reply(
            ctx.t(
                "You no longer take part in the pairing rounds. Colleagues can still book a call "
                "with you; pause everything with /samsnakk pause."
            )
        )

    @r.command("samsnakk", sub=("pause",), help=N_("Pause samsnakk: no rounds and no bookings"))
    async def pause(ctx: Context) -> None:
        await set_option(ctx, PAUSED, True)
        await ctx.reply(
            ctx.t("Samsnakk is paused for you: no rounds and no new bookings. Resume with /samsnakk fortsett.")
        )

    @r.command("samsnakk", sub=("fortsett", "resume"), help=N_("Resume samsnakk after a pause"))
    async def resume(ctx: Context) -> None:
        await set_option(ctx, PAUSED, False)
        await ctx.reply(ctx.t("Welcome back! Samsnakk is on again for you."))

    @r.command("samsnakk", sub=("tider", "hours"), help=N_("When you are free for a quick talk"), usage="man-fre 14-16")
    async def hours(ctx: Context) -> None:
        assert ctx.member is not None
        if not ctx.args.strip():
            current = ctx.bot.settings.member_value(ctx.member, HOURS) or ctx.t("weekdays 08:00–16:00 (default)")
            await ctx.reply(
                ctx.t("Your free hours for calls: {hours}. Change with /samsnakk tider man-fre 14-16.", hours=current)
            )
            return
        try:
            value = parse_available_hours(ctx.args)
        except SettingError as err:
            await ctx.reply(ctx.t(err.msgid, **err.kwargs))
            return
        await set_option(ctx, HOURS, value)
        await ctx.reply(ctx.t("Saved: I offer times within {hours}.", hours=value))

    @r.command(
        "samsnakk",
        sub=("unngå", "unnga", "avoid"),
        help=N_("Don't pair me with someone in rounds"),
        usage="@navn | fjern @navn",
    )
    async def avoid(ctx: Context) -> None:
        assert ctx.member is not None and ctx.network is not None
        words = ctx.args.strip()
        remove = False
        if words.split(" ", 1)[0].lower() in ("fjern", "remove"):
            remove, words = True, words.split(" ", 1)[1] if " " in words else ""
        mention, _ = split_mention(words)
        async with ctx.bot.db.session() as s:
            if mention is None:
                ids = await Avoids(s).of_member(ctx.member.id)
                names = [m.display_name for m in [await Members(s).get(i) for i in ids] if m]
                await ctx.reply(
                    ctx.t(
                        "You are not paired with: {names}. Add with /samsnakk unngå @name, remove with "
                        "/samsnakk unngå fjern @name.",
                        names=", ".join(names) or "–",
                    )
                )
                return
            other = await find_member(s, ctx.network.id, mention)
            if other is None:
                await ctx.reply(ctx.t("{who} has not joined the network.", who=mention))
                return
            if other.id == ctx.member.id:
                await ctx.reply(ctx.t("You are never paired with yourself."))
                return
            if remove:
                await Avoids(s).remove(ctx.member.id, other.id)
            else:
                await Avoids(s).add(ctx.member.id, other.id)
        if remove:
            await ctx.reply(ctx.t("You can be paired with {name} again.", name=other.display_name))
        else:
            # Only the one who asks knows: the other is never told.
            await ctx.reply(
                ctx.t("I won't pair you with {name} in rounds. Nobody else is told.", name=other.display_name)
            )

    async def set_option(ctx: Context, name: str, value: object) -> None:
        assert ctx.member is not None and ctx.network is not None
        await ctx.bot.services["membership"].set_option(ctx.member, name, value)
        await rounds.ensure_scheduled(ctx.network)

    async def next_round_text(ctx: Context) -> str:
        assert ctx.network is not None
        start = await rounds.next_start(ctx.network)
        if start is None:
            return ctx.t("when a leader starts one")
        return format_when(
            start, member_tz(ctx.bot, ctx.member, ctx.network) if ctx.member else network_tz(ctx.network), ctx.language
        )

    async def overview(ctx: Context) -> Message:
        assert ctx.member is not None and ctx.network is not None
        taking_part = is_opted_in(ctx.bot, ctx.member)
        fields = [
            (
                ctx.t("Pairing rounds"),
                ctx.t("paused")
                if is_paused(ctx.bot, ctx.member)
                else ctx.t("you take part")
                if taking_part
                else ctx.t("you don't take part"),
            ),
            (ctx.t("Next round"), await next_round_text(ctx)),
        ]
        views = await calls.my_calls(ctx.member)
        fields.extend(call_line(ctx, v) for v in views)
        parts: list = [Section(ctx.t("Samsnakk to-og-to"), tuple(fields))]
        if not taking_part and not is_paused(ctx.bot, ctx.member):
            parts.append(
                Text(
                    ctx.t(
                        "Take part in the rounds with /samsnakk på: every round pairs you with a "
                        "colleague from another school for 15 minutes."
                    )
                )
            )
        parts.append(
            ContextLine(
                ctx.t(
                    "Book: /samsnakk @name [time] · Now: /samsnakk nå [topic] · "
                    "Pause: /samsnakk pause · Not with: /samsnakk unngå @name"
                )
            )
        )
        return Message.of(*parts)

    def call_line(ctx: Context, view: CallView) -> tuple[str, str]:
        assert ctx.member is not None
        other = view.other(ctx.member.id)
        status = {
            "open": ctx.t("waiting for someone"),
            "proposed": ctx.t("waiting for an answer"),
            "confirmed": ctx.t("booked"),
        }.get(view.call.status, view.call.status)
        name = other.display_name if other else "–"
        return (f"#{view.call.id} {when(ctx, view.call.starts_at)}", f"{name} · {status}")

    def when(ctx: Context, moment: datetime) -> str:
        assert ctx.member is not None and ctx.network is not None
        return format_when(moment, member_tz(ctx.bot, ctx.member, ctx.network), ctx.language)

    def read_time(ctx: Context, text: str) -> datetime:
        assert ctx.member is not None and ctx.network is not None
        tz = member_tz(ctx.bot, ctx.member, ctx.network)
        try:
            return parse_when(text, ctx.bot.clock.now(), tz)
        except TimeParseError as err:
            if err.kind == "past":
                if err.suggestion is not None:
                    raise SamsnakkError(
                        "{text} has already passed today. Did you mean tomorrow, {suggestion}?",
                        text=text.strip(),
                        suggestion=format_when(err.suggestion, tz, ctx.language),
                    ) from None
                raise SamsnakkError(
                    "{text} has already passed. Choose a time in the future.", text=text.strip()
                ) from None
            raise SamsnakkError(
                'I did not understand the time "{text}". Write it like 15:00, i morgen 14, fre 8:30 or tomorrow 3pm.',
                text=text.strip(),
            ) from None

    def suggested(ctx: Context, view: CallView) -> str:
        assert ctx.member is not None
        other = view.other(ctx.member.id)
        return ctx.t(
            "I have suggested {when} to {name}.",
            when=when(ctx, view.call.starts_at),
            name=other.display_name if other else "",
        )

    def moved(ctx: Context, view: CallView) -> str:
        if view.call.status == "proposed":
            return suggested(ctx, view)
        return ctx.t(
            "Call #{id} is moved to {when}. You both get a new invitation.",
            id=view.call.id,
            when=when(ctx, view.call.starts_at),
        )

    def time_form(ctx: Context, form_id: str, title: str, state: str) -> Form:
        return Form(
            form_id,
            title,
            (
                FormField(
                    "time",
                    ctx.t("New time"),
                    max_length=60,
                    hint=ctx.t("e.g. 15:00, i morgen 14, fre 8:30, tomorrow 3pm"),
                ),
            ),
            submit_label=ctx.t("Send"),
            state=state,
        )

    # -- rounds: the leaders' side --------------------------------------------------------------------
    @r.command(
        "samsnakk",
        sub=("runde", "round"),
        access="leader",
        help=N_("For leaders: preview, run or skip the next pairing round; plan and stats"),
        usage="[vis|kjør|hopp-over|innstill hver 2 uker mandag 09:00|spørsmål <tekst>]",
    )
    async def round_cmd(ctx: Context) -> None:
        assert ctx.network is not None
        action, _, rest = ctx.args.strip().partition(" ")
        action = action.lower()
        if action in ("vis", "preview", "forhåndsvis"):
            await show_preview(ctx)
        elif action in ("kjør", "kjor", "run", "start"):
            await run_round(ctx)
        elif action in ("hopp-over", "hopp", "skip"):
            await skip_round(ctx)
        elif action in ("innstill", "set", "plan"):
            await plan_rounds(ctx, rest)
        elif action in ("spørsmål", "sporsmal", "prompt", "refleksjon"):
            await set_prompt(ctx, rest)
        else:
            await ctx.reply(await round_overview(ctx))

    async def round_overview(ctx: Context) -> Message:
        assert ctx.network is not None
        start = await rounds.ensure_scheduled(ctx.network)
        value = ctx.bot.settings.network_value
        weeks = int(value(ctx.network, EVERY_WEEKS))
        plan = (
            ctx.tn(
                "every week, {day} {hour}",
                "every {n} weeks, {day} {hour}",
                weeks,
                day=value(ctx.network, WEEKDAY),
                hour=value(ctx.network, HOUR),
            )
            if weeks
            else ctx.t("no automatic rounds")
        )
        fields = [
            (ctx.t("Plan"), plan),
            (ctx.t("Next round"), format_when(start, network_tz(ctx.network), ctx.language) if start else "–"),
            (ctx.t("Taking part"), str(await rounds.opted_in_count(ctx.network))),
        ]
        stats = await rounds.recent_stats(ctx.network)
        lines = [
            ctx.t(
                "Round {n}: {paired} paired, {met} groups met, {notes} notes shared",
                n=s.number,
                paired=s.paired,
                met=s.met,
                notes=s.notes,
            )
            if s.status != "skipped"
            else ctx.t("Round {n}: skipped", n=s.number)
            for s in stats
        ]
        parts: list = [Section(ctx.t("Samsnakk rounds"), tuple(fields))]
        if lines:
            parts.append(Text("\n".join(lines)))
        parts.append(
            Buttons(
                (
                    Button(ctx.t("Preview pairs"), "samsnakk.round", "preview"),
                    Button(ctx.t("Run now"), "samsnakk.round", "run", "primary"),
                    Button(ctx.t("Skip next round"), "samsnakk.round", "skip"),
                )
            )
        )
        parts.append(
            ContextLine(
                ctx.t(
                    "Or write /samsnakk runde vis|kjør|hopp-over. Plan: /samsnakk runde innstill "
                    "hver 2 uker mandag 09:00. Prompt: /samsnakk runde spørsmål <text>."
                )
            )
        )
        return Message.of(*parts)

    @r.action("samsnakk.round", access="leader")
    async def round_button(ctx: Context) -> None:
        action = ctx.event.value  # type: ignore[attr-defined]
        if action == "preview":
            await show_preview(ctx)
        elif action == "run":
            await run_round(ctx)
        elif action == "skip":
            await skip_round(ctx)

    async def show_preview(ctx: Context) -> None:
        assert ctx.network is not None
        preview = await rounds.preview(ctx.network)
        result = preview.result
        if not result.groups:
            await ctx.reply(ctx.t("Too few are taking part for a round: at least two are needed."))
            return
        names = preview.members
        lines = [" + ".join(f"{names[i].display_name} ({names[i].school})" for i in group) for group in result.groups]
        summary = ctx.t(
            "Round {n}: {groups} groups, {trios} trio(s), {same} pair(s) from the same school, "
            "{repeats} repeat(s) of the last six rounds.",
            n=preview.number,
            groups=len(result.groups),
            trios=result.trios,
            same=result.same_school,
            repeats=result.repeats,
        )
        if result.unpaired:
            summary += " " + ctx.t(
                "{n} could not be paired (asked not to be paired with each other).", n=len(result.unpaired)
            )
        await ctx.reply(
            Message.of(
                Section(summary),
                Text("\n".join(lines)),
                Buttons((Button(ctx.t("Run now"), "samsnakk.round", "run", "primary"),)),
            )
        )

    async def run_round(ctx: Context) -> None:
        assert ctx.network is not None
        if (await rounds.preview(ctx.network)).result.groups == ():
            await ctx.reply(ctx.t("Too few are taking part for a round: at least two are needed."))
            return
        try:
            row = await rounds.run_now(ctx.network)
        except RuntimeError:
            await ctx.reply(
                ctx.t("The round has started, but some group conversations could not be opened yet. I keep trying.")
            )
            return
        stats = await rounds.stats_of(row)
        await ctx.reply(
            ctx.t(
                "Round {n} has started: {paired} paired. Each group has its own conversation.",
                n=row.number,
                paired=stats.paired,
            )
        )

    async def skip_round(ctx: Context) -> None:
        assert ctx.network is not None
        number = await rounds.skip_next(ctx.network)
        await ctx.reply(ctx.t("Round {n} is skipped. The next one: {when}.", n=number, when=await next_round_text(ctx)))

    async def plan_rounds(ctx: Context, text: str) -> None:
        assert ctx.network is not None and ctx.member is not None
        words = text.lower().replace(",", " ").split()
        changes: dict[str, object] = {}
        try:
            for index, word in enumerate(words):
                if word.isdigit() and index + 1 < len(words) and words[index + 1].startswith(("uke", "week")):
                    changes[EVERY_WEEKS] = int(word)
                elif word in ("ukentlig", "weekly") or (
                    word.startswith(("uke", "week"))
                    and EVERY_WEEKS not in changes
                    and (index == 0 or not words[index - 1].isdigit())
                ):
                    changes[EVERY_WEEKS] = 1
                elif word in ("av", "off", "aldri", "never"):
                    changes[EVERY_WEEKS] = 0
                elif word.rstrip(".") in WEEKDAYS:
                    changes[WEEKDAY] = parse_weekday(word)
                elif re.fullmatch(r"\d{1,2}[:.]\d{2}", word) or (
                    word.isdigit() and index > 0 and words[index - 1] in ("kl", "kl.", "at")
                ):
                    changes[HOUR] = parse_clock_time(word.replace(".", ":"))
            weeks = changes.get(EVERY_WEEKS)
            if isinstance(weeks, int) and not 0 <= weeks <= 12:
                raise SettingError("Use a whole number from {low} to {high}.", low=0, high=12)
        except SettingError as err:
            await ctx.reply(ctx.t(err.msgid, **err.kwargs))
            return
        if not changes:
            await ctx.reply(
                ctx.t(
                    "Write the plan like: /samsnakk runde innstill hver 2 uker mandag 09:00 "
                    "(or: av, for no automatic rounds)."
                )
            )
            return
        membership = ctx.bot.services["membership"]
        for name, value in changes.items():
            await membership.set_network_setting(ctx.network, ctx.member, name, value)
        await ctx.reply(await round_overview(ctx))

    async def set_prompt(ctx: Context, text: str) -> None:
        assert ctx.network is not None and ctx.member is not None
        text = text.strip()
        if len(text) > 500:
            await ctx.reply(ctx.t("At most {n} characters.", n=500))
            return
        await ctx.bot.services["membership"].set_network_setting(ctx.network, ctx.member, PROMPT, text)
        if text:
            await ctx.reply(ctx.t("Saved. The next rounds ask: {prompt}", prompt=text))
        else:
            await ctx.reply(ctx.t("Saved. The next rounds use the default reflection prompt."))


__all__ = ["register"]
