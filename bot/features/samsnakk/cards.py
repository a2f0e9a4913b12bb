"""Everything samsnakk shows: the messages of calls and rounds, the forms, and a call as a calendar
sees it. Pure functions of a translator and data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.calendar import CalendarEvent, invitation, member_person, organizer
from bot.features.samsnakk.common import TIME_LIMIT, member_tz
from bot.i18n import N_, Translator
from bot.messages import Attachment, Button, Buttons, ContextLine, Form, FormField, Message, Part, Section, Text
from bot.times import format_short, format_when, weekday_name
from storage.models.core import Member, Role
from storage.models.samsnakk import SamsnakkRound

if TYPE_CHECKING:
    from bot.features.samsnakk.call_view import CallView
    from bot.features.samsnakk.rounds import Preview, RoundStats

# Buttons and forms: a button's value is `call:version` for an answer (a stale one is refused),
# the call for cancel and move, the group for a round's buttons.
ACCEPT = "samsnakk.accept"
DECLINE = "samsnakk.decline"
COUNTER = "samsnakk.counter"  # opens the time form of the same name
MOVE = "samsnakk.move"  # opens the time form of the same name
CANCEL = "samsnakk.cancel"
PICK = "samsnakk.pick"  # `partner|time[|guest]`
BOOK_GROUP = "samsnakk.book_group"
TAKE = "samsnakk.take"
NOTE = "samsnakk.note"  # `g<group>` or `c<call>`; opens the note form of the same name
MET = "samsnakk.met"  # `group:met|not_yet|skipped`
ROUND = "samsnakk.round"  # `preview|run|skip`, for leaders

ROLE_NAMES = {
    Role.PARTICIPANT: N_("resource teacher"),
    Role.SCHOOL_LEADER: N_("school leader"),
    Role.NETWORK_LEADER: N_("network leader"),
}


# -- people and times ------------------------------------------------------------------------------
def school_and_role(member: Member, t: Translator) -> str:
    return f"{member.school}, {t.t(ROLE_NAMES[member.role])}"


def who(member: Member, t: Translator) -> str:
    """ "Kari (Nordby skole, resource teacher)" """
    return f"{member.display_name} ({school_and_role(member, t)})"


def call_when(t: Translator, view: CallView, person: Member, now: datetime) -> str:
    """When the call starts, in `person`'s time zone."""
    return format_when(view.call.starts_at, member_tz(person, view.network), t.language, now)


def minutes(t: Translator, view: CallView) -> str:
    return t.t("{n} minutes", n=view.call.minutes)


# -- a call's messages to its people ---------------------------------------------------------------
def proposal(t: Translator, view: CallView, proposer: Member, receiver: Member, now: datetime) -> Message:
    """To the one asked: accept, suggest another time or decline."""
    call = view.call
    value = f"{call.id}:{call.version}"
    fields: tuple[tuple[str, str], ...] = (
        (t.t("When"), call_when(t, view, receiver, now)),
        (t.t("Length"), minutes(t, view)),
    )
    if view.guest is not None:
        fields += ((t.t("Also invited"), view.guest.display_name),)
    return Message.of(
        Section(t.t("{who} would like a quick talk with you.", who=who(proposer, t)), fields),
        Buttons(
            (
                Button(t.t("Accept"), ACCEPT, value, "primary"),
                Button(t.t("Suggest another time"), COUNTER, value),
                Button(t.t("Decline"), DECLINE, value),
            )
        ),
        ContextLine(
            t.t(
                "Or write /samsnakk godta {id}, /samsnakk foreslå {id} <time> or /samsnakk avslå {id}. "
                "If you don't answer, the request expires.",
                id=call.id,
            )
        ),
        summary=t.t("{name} would like a quick talk", name=proposer.display_name),
    )


def guest_asked(t: Translator, view: CallView, guest: Member, now: datetime) -> Message:
    """To a trio's third, once the other two agree on the time."""
    call = view.call
    value = f"{call.id}:{call.version}"
    return Message.of(
        Section(t.t("{names} would like a quick talk with you.", names=view.names_for(guest.id, t)),
                ((t.t("When"), call_when(t, view, guest, now)), (t.t("Length"), minutes(t, view)))),
        Buttons((Button(t.t("Accept"), ACCEPT, value, "primary"), Button(t.t("Decline"), DECLINE, value))),
        ContextLine(t.t("Or write /samsnakk godta {id} or /samsnakk avslå {id}. If you don't answer, the request "
                        "expires.", id=call.id)),
        summary=t.t("{name} would like a quick talk", name=view.requester.display_name),
    )  # fmt: skip


def guest_declined(t: Translator, guest: Member) -> Message:
    return Message.text(t.t("{name} cannot join, so the call is booked for the two of you.", name=guest.display_name))


def declined(t: Translator, view: CallView, decliner: Member, other: Member, now: datetime) -> Message:
    return Message.text(
        t.t(
            "{name} cannot take the call {when}. Try another time with /samsnakk @{handle}.",
            name=decliner.display_name,
            when=call_when(t, view, other, now),
            handle=decliner.user_id,
        )
    )


def cancelled(
    t: Translator, view: CallView, canceller: Member, other: Member, now: datetime, ics: Attachment | None
) -> Message:
    """To the others; with the calendar's cancellation when the call was booked."""
    parts: list[Part] = [
        Text(t.t("{name} has cancelled your call {when}.", name=canceller.display_name,
                 when=call_when(t, view, other, now)))
    ]  # fmt: skip
    if ics is not None:
        parts.append(ics)
    return Message.of(*parts)


def unanswered(t: Translator, view: CallView, silent: str, person: Member, now: datetime) -> Message:
    """To whoever waited for the answer of `silent` (a name): the request has expired."""
    return Message.text(
        t.t(
            "{name} did not answer your request for {when}, so it has expired. Try another time, or another colleague.",
            name=silent,
            when=call_when(t, view, person, now),
        )
    )


def nobody_had_time(t: Translator) -> Message:
    return Message.text(
        t.t("Nobody had time for a talk just now. Try again later, or book a time with /samsnakk @name [time].")
    )


def confirmation(
    t: Translator,
    view: CallView,
    person: Member,
    kind: str,
    mover: Member | None,
    url: str,
    ics: Attachment,
    now: datetime,
) -> Message:
    """Booked (kind "confirmed"), moved, or a talk now: the video link, the invitation, move and cancel."""
    call = view.call
    name = view.names_for(person.id, t)
    when = call_when(t, view, person, now)
    if kind == "moved" and mover is not None and mover.id != person.id:
        headline = t.t("{mover} has moved your samsnakk to {when}.", mover=mover.display_name, when=when)
    elif kind == "moved":
        headline = t.t("Moved: samsnakk with {name}, {when}.", name=name, when=when)
    elif kind == "now":
        headline = t.t("Samsnakk with {name} now: join the video call.", name=name)
    else:
        headline = t.t("Booked: samsnakk with {name}, {when}.", name=name, when=when)
    cancel = Button(t.t("Cancel"), CANCEL, str(call.id), "danger")
    if kind == "now":
        buttons: tuple[Button, ...] = (cancel,)
        hint = t.t("Call #{id}. Cancel with /samsnakk avlys {id}.", id=call.id)
    else:
        buttons = (Button(t.t("Move"), MOVE, str(call.id)), cancel)
        hint = t.t(
            "Call #{id}. I remind you 10 minutes before. Move or cancel with /samsnakk flytt {id} "
            "<time> or /samsnakk avlys {id}.",
            id=call.id,
        )
    return Message.of(
        Section(headline, ((t.t("Video"), url), (t.t("Length"), minutes(t, view)))),
        ics,
        Buttons(buttons),
        ContextLine(hint),
        summary=headline,
    )


def reminder(t: Translator, view: CallView, person: Member, minutes_left: int, url: str, now: datetime) -> Message:
    """Shortly before: the minutes really left, and the link."""
    return Message.of(
        Text(
            t.tn(
                "In {n} minute: samsnakk with {name} ({when}).",
                "In {n} minutes: samsnakk with {name} ({when}).",
                minutes_left,
                name=view.names_for(person.id, t),
                when=call_when(t, view, person, now),
            )
        ),
        Text(t.t("Join the video call: {url}", url=url)),
        summary=t.tn("Samsnakk in {n} minute", "Samsnakk in {n} minutes", minutes_left),
    )


def after_call(t: Translator, view: CallView, person: Member) -> Message:
    """After the call: a learning note for the digest, if they like."""
    return Message.of(
        Text(
            t.t(
                "How was the talk with {name}? If you learned something the others could use, "
                "share it in one line: it goes into the network's digest.",
                name=view.names_for(person.id, t),
            )
        ),
        Buttons((Button(t.t("Share a learning note"), NOTE, f"c{view.call.id}", "primary"),)),
        ContextLine(t.t("Or write /samsnakk notat <one line>. Sharing is optional.")),
    )


def partner_left(t: Translator, starts_at: datetime, tz: ZoneInfo) -> Message:
    """The other person erased their data: the call is off (they are not named, they are gone)."""
    when = format_when(starts_at, tz, t.language)
    return Message.text(
        t.t("Your samsnakk call {when} is cancelled: the other person has left the network.", when=when)
    )


def call_event(view: CallView, person: Member, t: Translator, url: str, *, cancelled: bool = False) -> CalendarEvent:
    """The call as `person` sees it in a calendar; the same UID in the invitation and in the feed."""
    call = view.call
    return CalendarEvent(
        uid=f"samsnakk-{call.id}@samskap",
        sequence=call.version,
        start=call.starts_at,
        end=call.starts_at + timedelta(minutes=call.minutes),
        summary=t.t("Samsnakk with {name}", name=view.names_for(person.id, t)),
        description=call.topic or t.t("A quick talk two and two"),
        url=url,
        location=url,
        organizer=organizer(view.network.name),
        attendees=tuple(member_person(m.id, m.display_name) for m in view.people()),
        cancelled=cancelled or call.status == "cancelled",
    )


def calendar_file(
    t: Translator, view: CallView, person: Member, url: str, now: datetime, *, cancelled: bool = False
) -> Attachment:
    """The invitation (or its cancellation) attached to a message, to open in a calendar."""
    content = invitation(call_event(view, person, t, url, cancelled=cancelled), now)
    return Attachment("samsnakk.ics", content, "text/calendar")


# -- "who has 15 minutes now?" in the channel ------------------------------------------------------
def now_request(t: Translator, requester: Member, call_id: int, topic: str) -> Message:
    lines: list[Part] = [
        Text(t.t("Who has 15 minutes now? {name} would like a quick talk.", name=requester.display_name))
    ]
    if topic:
        lines.append(Text(t.t("Topic: {topic}", topic=topic)))
    lines.append(Buttons((Button(t.t("I can"), TAKE, str(call_id), "primary"),)))
    lines.append(ContextLine(t.t("Or write /samsnakk jeg-kan. The first one gets the talk.")))
    return Message.of(*lines, summary=t.t("Who has 15 minutes now?"))


def now_request_closed(t: Translator, view: CallView, *, taken: bool) -> Message:
    """The request in the channel once it is taken, or once nobody took it."""
    if taken and view.partner is not None:
        text = t.t(
            "{a} and {b} are having a quick talk. Thank you!",
            a=view.requester.display_name,
            b=view.partner.display_name,
        )
    else:
        text = t.t("{name} asked who had 15 minutes; nobody had time just then.", name=view.requester.display_name)
    return Message.text(text)


# -- answers to the member who books ---------------------------------------------------------------
def asked(t: Translator, view: CallView, member: Member, now: datetime) -> str:
    """The requester's receipt: who is asked now, and (in a call for three) who is asked next."""
    partner = view.partner.display_name if view.partner else ""
    when = call_when(t, view, member, now)
    if view.guest is not None:
        return t.t("I have asked {name} about {when} (call #{id}), and I ask {guest} when {name} says yes. "
                   "You will hear when they answer.", name=partner, guest=view.guest.display_name,
                   when=when, id=view.call.id)  # fmt: skip
    return t.t(
        "I have asked {name} about {when} (call #{id}). You will hear when they answer.",
        name=partner,
        when=when,
        id=view.call.id,
    )


def accepted(t: Translator, view: CallView) -> str:
    if view.call.status == "guest" and view.guest is not None:
        return t.t("Accepted. I have asked {name} too; you all get the video link and a calendar invitation when "
                   "they have answered.", name=view.guest.display_name)  # fmt: skip
    if len(view.people()) > 2:
        return t.t("Accepted. You all get the video link and a calendar invitation.")
    return t.t("Accepted. You both get the video link and a calendar invitation.")


def suggested(t: Translator, view: CallView, member: Member, now: datetime) -> str:
    other = view.other(member.id)
    return t.t(
        "I have suggested {when} to {name}.",
        when=call_when(t, view, member, now),
        name=other.display_name if other else "",
    )


def moved(t: Translator, view: CallView, member: Member, now: datetime) -> str:
    if view.call.status == "proposed":
        return suggested(t, view, member, now)
    when = call_when(t, view, member, now)
    if len(view.people()) > 2:
        return t.t("Call #{id} is moved to {when}. You all get a new invitation.", id=view.call.id, when=when)
    return t.t("Call #{id} is moved to {when}. You both get a new invitation.", id=view.call.id, when=when)


def free_times(
    t: Translator, slots: Sequence[datetime], partner: Member, guest: Member | None, tz: ZoneInfo
) -> Message | str:
    """The free times of everyone involved as buttons (a trio's third comes as `guest`)."""
    if not slots:
        return t.t(
            "I found no free time for both of you in the next two weeks. Suggest one: /samsnakk @{handle} fre 14:00",
            handle=partner.user_id,
        )
    guest_part = f"|{guest.id}" if guest else ""
    buttons = tuple(
        Button(format_short(slot, tz, t.language), PICK, f"{partner.id}|{slot.isoformat()}{guest_part}")
        for slot in slots
    )
    names = partner.display_name if guest is None else t.t("{a} and {b}", a=partner.display_name, b=guest.display_name)
    return Message.of(
        Text(t.t("Free times for you and {name} (15 minutes):", name=names)),
        Buttons(buttons),
        ContextLine(
            t.t("Or choose your own: /samsnakk @{handle} <time>, e.g. i morgen 14 or fre 8:30.", handle=partner.user_id)
        ),
    )


def time_form(t: Translator, form_id: str, title: str, state: str) -> Form:
    """A new time for a call (`form_id` is COUNTER or MOVE; `state` the button's value)."""
    return Form(
        form_id,
        title,
        (
            FormField(
                "time",
                t.t("New time"),
                max_length=TIME_LIMIT,
                hint=t.t("e.g. 15:00, i morgen 14, fre 8:30, tomorrow 3pm"),
            ),
        ),
        submit_label=t.t("Send"),
        state=state,
    )


def call_line(t: Translator, view: CallView, member: Member, now: datetime) -> tuple[str, str]:
    """One of the member's calls: "#3 tir. 8. sep. kl. 14:00" and "ola · booked"."""
    other = view.other(member.id)
    status = {
        "open": t.t("waiting for someone"),
        "proposed": t.t("waiting for an answer"),
        "guest": t.t("waiting for an answer"),
        "confirmed": t.t("booked"),
    }.get(view.call.status, view.call.status)
    name = view.names_for(member.id, t) if other else "–"
    return (f"#{view.call.id} {call_when(t, view, member, now)}", f"{name} · {status}")


def my_calls(t: Translator, views: Sequence[CallView], member: Member, now: datetime) -> Message:
    calendar = ContextLine(t.t("Have your calls in your own calendar: /samsnakk kalender"))
    if not views:
        return Message.of(Text(t.t("You have no calls booked. Book one with /samsnakk @name [time].")), calendar)
    return Message.of(
        Section(t.t("Your calls"), tuple(call_line(t, v, member, now) for v in views)),
        ContextLine(t.t("Move or cancel with /samsnakk flytt <nr> <time> or /samsnakk avlys <nr>.")),
        calendar,
    )


def overview(
    t: Translator,
    member: Member,
    views: Sequence[CallView],
    paused: bool,
    taking_part: bool,
    next_round: str,
    now: datetime,
) -> Message:
    """`/samsnakk`: the member's part in the rounds, their calls, and how to book."""
    rounds = t.t("paused") if paused else t.t("you take part") if taking_part else t.t("you don't take part")
    fields = [(t.t("Pairing rounds"), rounds), (t.t("Next round"), next_round)]
    fields.extend(call_line(t, v, member, now) for v in views)
    parts: list[Part] = [Section(t.t("Samsnakk to-og-to"), tuple(fields))]
    if not taking_part and not paused:
        parts.append(
            Text(
                t.t(
                    "Take part in the rounds with /samsnakk på: every round pairs you with a "
                    "colleague from another school for 15 minutes."
                )
            )
        )
    parts.append(
        ContextLine(
            t.t(
                "Book: /samsnakk @name [time] · Now: /samsnakk nå [topic] · "
                "Pause: /samsnakk pause · Not with: /samsnakk unngå @name"
            )
        )
    )
    return Message.of(*parts)


def next_round(t: Translator, start: datetime | None, tz: ZoneInfo) -> str:
    return format_when(start, tz, t.language) if start is not None else t.t("when a leader starts one")


def home(t: Translator, views: Sequence[CallView], member: Member, tz: ZoneInfo) -> list[Part]:
    fields = []
    for view in views:
        other = view.other(member.id)
        fields.append(
            (
                format_when(view.call.starts_at, tz, t.language),
                t.t("Samsnakk with {name}", name=other.display_name if other else "…"),
            )
        )
    return [Section(t.t("Your samsnakk calls"), tuple(fields))]


# -- rounds --------------------------------------------------------------------------------------------
def round_intro(t: Translator, row: SamsnakkRound, group_id: int, members: Sequence[Member], end: str) -> Message:
    """In a round's new group conversation: who, the prompt, and a button to book a time."""
    return Message.of(
        Section(
            t.t("Samsnakk to-og-to, round {n}", n=row.number),
            tuple((m.display_name, school_and_role(m, t)) for m in members),
        ),
        Text(t.t("You are paired for a talk two and two this round: 15 minutes before {end}.", end=end)),
        Text(f"*{row.prompt}*"),
        Buttons((Button(t.t("Book a time"), BOOK_GROUP, str(group_id), "primary"),)),
        ContextLine(t.t("Or write /samsnakk @name [time]. Halfway through I ask how it went.")),
        summary=t.t("Samsnakk to-og-to, round {n}", n=row.number),
    )


def checkin(t: Translator, group_id: int) -> Message:
    """Halfway through the round, in the group: have you had your talk?"""
    value = str(group_id)
    return Message.of(
        Text(t.t("Halfway through the round: have you had your talk?")),
        Buttons(
            (
                Button(t.t("Yes"), MET, f"{value}:met", "primary"),
                Button(t.t("Not yet"), MET, f"{value}:not_yet"),
                Button(t.t("Skip this time"), MET, f"{value}:skipped"),
            )
        ),
        ContextLine(t.t("Or write /samsnakk snakket ja, /samsnakk snakket ikke-ennå or /samsnakk snakket hopp")),
        summary=t.t("Have you had your talk?"),
    )


def round_over(t: Translator, number: int, group_id: int) -> Message:
    """To each member when the round ends: a learning note for the digest, if they like."""
    return Message.of(
        Text(
            t.t(
                "Round {n} of samsnakk to-og-to is over. Did you take something with you back to "
                "your school? Share it in one line, if you like: it goes into the network's digest.",
                n=number,
            )
        ),
        Buttons((Button(t.t("Share a learning note"), NOTE, f"g{group_id}", "primary"),)),
        ContextLine(t.t("Or write /samsnakk notat <one line>. Sharing is optional.")),
    )


def note_form(t: Translator, target: str, limit: int) -> Form:
    """One line to share; `target` is the note button's `g<group>` or `c<call>`."""
    return Form(
        NOTE,
        t.t("Share a learning note"),
        (
            FormField(
                "note",
                t.t("What will you take back to your school?"),
                max_length=limit,
                hint=t.t("One line. Nothing that can identify a student."),
            ),
        ),
        submit_label=t.t("Share"),
        state=target,
    )


def met_answer(t: Translator, status: str) -> str:
    answers = {
        "met": N_("Good to hear! At the end of the round I ask for a learning note to share."),
        "not_yet": N_("There is still time. Book one with the Book a time button or /samsnakk @name."),
        "skipped": N_("Fine, this round is skipped for you. See you in the next one."),
    }
    return t.t(answers[status])


# -- rounds: the leaders' view ----------------------------------------------------------------------
def round_line(t: Translator, stats: RoundStats) -> str:
    """One past round in the leader's overview: "Runde 3: 6 satt sammen, 1 gruppe møttes, 2 notater delt"."""
    if stats.status == "skipped":
        return t.t("Round {n}: skipped", n=stats.number)
    counts = (
        t.t("{n} paired", n=stats.paired),
        t.tn("{n} group met", "{n} groups met", stats.met),
        t.tn("{n} note shared", "{n} notes shared", stats.notes),
    )
    return t.t("Round {n}: {counts}", n=stats.number, counts=", ".join(counts))


def plan_text(t: Translator, every_weeks: int, weekday: int, hour: str) -> str:
    if not every_weeks:
        return t.t("no automatic rounds")
    day = weekday_name(weekday, t.language)
    return t.tn("every week, {day} {hour}", "every {n} weeks, {day} {hour}", every_weeks, day=day, hour=hour)


def round_overview(
    t: Translator, plan: str, start: datetime | None, tz: ZoneInfo, taking_part: int, stats: Sequence[RoundStats]
) -> Message:
    """`/samsnakk runde`: the plan, the next round, who takes part, the last rounds, and what to do."""
    fields = (
        (t.t("Plan"), plan),
        (t.t("Next round"), format_when(start, tz, t.language) if start else "–"),
        (t.t("Taking part"), str(taking_part)),
    )
    parts: list[Part] = [Section(t.t("Samsnakk rounds"), fields)]
    if stats:
        parts.append(Text("\n".join(round_line(t, s) for s in stats)))
    parts.append(
        Buttons(
            (
                Button(t.t("Preview pairs"), ROUND, "preview"),
                Button(t.t("Run now"), ROUND, "run", "primary"),
                Button(t.t("Skip next round"), ROUND, "skip"),
            )
        )
    )
    parts.append(
        ContextLine(
            t.t(
                "Or write /samsnakk runde vis|kjør|hopp-over. Plan: /samsnakk runde innstill "
                "hver 2 uker mandag 09:00. Prompt: /samsnakk runde spørsmål <text>."
            )
        )
    )
    return Message.of(*parts)


def too_few(t: Translator) -> str:
    return t.t("Too few are taking part for a round: at least two are needed.")


def preview(t: Translator, preview: Preview) -> Message | str:
    """The pairs the next round gets, and what could not be met (same school, repeats, unpaired)."""
    result = preview.result
    if not result.groups:
        return too_few(t)
    names = preview.members
    lines = [" + ".join(f"{names[i].display_name} ({names[i].school})" for i in group) for group in result.groups]
    counts = (
        t.tn("{n} group", "{n} groups", len(result.groups)),
        t.tn("{n} group of three", "{n} groups of three", result.trios),
        t.tn("{n} pair from the same school", "{n} pairs from the same school", result.same_school),
        t.tn("{n} pair who met in the last six rounds", "{n} pairs who met in the last six rounds", result.repeats),
    )
    summary = t.t("Round {n}: {counts}.", n=preview.number, counts=", ".join(counts))
    if result.unpaired:
        summary += " " + t.t(
            "{n} could not be paired (asked not to be paired with each other).", n=len(result.unpaired)
        )
    return Message.of(
        Section(summary),
        Text("\n".join(lines)),
        Buttons((Button(t.t("Run now"), ROUND, "run", "primary"),)),
    )
