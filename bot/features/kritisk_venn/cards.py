"""Builds the messages of a kritisk venn round (pure: values in, `Message` out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.features.kritisk_venn.phases import PHASE_COUNT, PHASES
from bot.i18n import N_, Translator
from bot.messages import Button, Buttons, ContextLine, Divider, Form, FormField, Message, Part, Section, Text
from bot.times import format_clock, format_when
from storage.models.core import Member
from storage.models.kritisk_venn import KvContribution, KvSession

if TYPE_CHECKING:
    from bot.features.kritisk_venn.common import Created

KIND_NAMES = {"practice": N_("a practice"), "dilemma": N_("a dilemma")}
STATUS_NAMES = {
    "inviting": N_("finding critical friends"),
    "running": N_("running"),
    "done": N_("finished"),
    "cancelled": N_("cancelled"),
}
ANSWER_NAMES = {
    "invited": N_("not answered yet"),
    "accepted": N_("you said yes"),
    "declined": N_("you said no"),
    "expired": N_("no answer in time"),
    "withdrawn": N_("the invitation was closed"),
}
STUDENT_NOTICE = N_(
    "Write nothing that can identify a student: no names, no class with few pupils, no details others "
    "could recognise. Describe the situation, not the person."
)
MIN_FRIENDS, MAX_FRIENDS = 2, 4
TEXT_LIMIT = 3000
FOCUS_LIMIT = NAMES_LIMIT = NOTE_LIMIT = 500
START_LIMITS = {"practice": TEXT_LIMIT, "focus": FOCUS_LIMIT, "names": NAMES_LIMIT, "friends": 10}
CONTRIBUTE_LIMITS = {"text": TEXT_LIMIT, "wonder": TEXT_LIMIT, "suggestion": TEXT_LIMIT}
SHARE_LIMITS = {"note": NOTE_LIMIT}


def when(t: Translator, moment: datetime, timezone: str, now: datetime) -> str:
    """A deadline as people say it: "kl. 10:25" today, otherwise with the day and date."""
    tz = ZoneInfo(timezone)
    if moment.astimezone(tz).date() == now.astimezone(tz).date():
        return t.t("at {time}", time=format_clock(moment, tz))
    return format_when(moment, tz, t.language, now)


def phase_label(t: Translator, index: int) -> str:
    phase = PHASES[index]
    return t.t("Phase {n} of {total}: {title}", n=phase.number, total=PHASE_COUNT, title=t.t(phase.title))


def start_form(t: Translator, practice: str = "") -> Form:
    return Form(
        form_id="kritisk_venn.start",
        title=t.t("Kritisk venn"),
        submit_label=t.t("Find critical friends"),
        notice=t.t(STUDENT_NOTICE),
        fields=(
            FormField("kind", t.t("What do you want feedback on?"), "choice", initial="practice",
                      choices=(("practice", t.t("A practice (what I do)")),
                               ("dilemma", t.t("A dilemma (what happened)")))),
            FormField("practice", t.t("Your practice or dilemma"), "long_text", max_length=TEXT_LIMIT,
                      hint=t.t("What do you do, what happened? Leave out anything that identifies a student."),
                      initial=practice),
            FormField("focus", t.t("Your focus question"), "text", max_length=FOCUS_LIMIT,
                      hint=t.t("The one question you most want help to think about.")),
            FormField("friends", t.t("Number of critical friends (2–4)"), "number", initial="3",
                      min_value=MIN_FRIENDS, max_value=MAX_FRIENDS),
            FormField("pace", t.t("Pace"), "choice", initial="days",
                      choices=(("days", t.t("Over days (the whole round over 3 working days)")),
                               ("live", t.t("Live (about 25 minutes, phases of a few minutes)")))),
            FormField("venue", t.t("Where"), "choice", initial="thread",
                      choices=(("thread", t.t("In a thread in the channel")),
                               ("group", t.t("In a private group conversation")))),
            FormField("names", t.t("Choose critical friends yourself"), "text", required=False, max_length=NAMES_LIMIT,
                      hint=t.t("@name @name — otherwise I invite members from other schools, taking turns.")),
        ),
    )  # fmt: skip


def invitation(t: Translator, session: KvSession, presenter: Member, deadline: str, source: str) -> Message:
    pace = t.t("live, about 25 minutes") if session.pace == "live" else t.t("over three working days")
    lead = (
        t.t("{name} ({school}) would like you as a critical friend, on {what}.", name=presenter.display_name,
            school=presenter.school, what=t.t(KIND_NAMES[session.kind]))
        if source != "named" else
        t.t("{name} ({school}) has asked for you by name as a critical friend, on {what}.",
            name=presenter.display_name, school=presenter.school, what=t.t(KIND_NAMES[session.kind]))
    )  # fmt: skip
    return Message.of(
        Section(lead, ((t.t("Focus question"), session.focus_question), (t.t("Pace"), pace),
                       (t.t("Answer by"), deadline))),
        Text(t.t("A critical friend asks questions and gives warm and cool feedback, kindly and honestly, "
                 "following a fixed protocol the bot leads. Can you take part?")),
        Buttons((Button(t.t("Yes, I'll join"), "kritisk_venn.accept", str(session.id), "primary"),
                 Button(t.t("Not this time"), "kritisk_venn.decline", str(session.id)))),
        ContextLine(t.t("Or type /kritiskvenn ja {id} or /kritiskvenn nei {id}. You can turn off invitations with "
                        "/samskap innstillinger kritiskvenn av.", id=session.id)),
        summary=t.t("Invitation: critical friend for {name}", name=presenter.display_name),
    )  # fmt: skip


def shortfall(t: Translator, session: KvSession, accepted: int, pending: int, decide_by: str = "") -> Message:
    buttons = [Button(t.t("Open to volunteers"), "kritisk_venn.volunteers", str(session.id), "primary")]
    if accepted:
        buttons.append(Button(t.t("Start with those who said yes"), "kritisk_venn.start_now", str(session.id)))
    buttons.append(Button(t.t("Cancel the round"), "kritisk_venn.cancel", str(session.id), "danger"))
    return Message.of(
        Text(t.t("I cannot find enough critical friends for round #{id}: I need {wanted}; {accepted} said yes and "
                 "{pending} have not answered yet, and nobody else from another school can be asked right now.",
                 id=session.id, wanted=session.friends_wanted, accepted=accepted, pending=pending)),
        Text(t.t("You can open the round to volunteers in the channel (colleagues from your own school may "
                 "join then), start with those who said yes, or cancel.")),
        Buttons(tuple(buttons)),
        ContextLine(t.t("/kritiskvenn frivillige {id} · /kritiskvenn start {id} · /kritiskvenn avbryt {id}",
                        id=session.id)),
        *([ContextLine(t.t("If you have not chosen by {deadline}, I start the round with those who said yes, "
                           "or cancel it if nobody has.", deadline=decide_by))] if decide_by else []),
    )  # fmt: skip


def volunteer_call(t: Translator, session: KvSession, presenter: Member) -> Message:
    return Message.of(
        Text(t.t("{name} is looking for critical friends for {what}. Focus question: {focus}",
                 name=presenter.display_name, what=t.t(KIND_NAMES[session.kind]), focus=session.focus_question)),
        Buttons((Button(t.t("I'll be a critical friend"), "kritisk_venn.volunteer", str(session.id), "primary"),)),
        ContextLine(t.t("Or type /kritiskvenn ja {id}", id=session.id)),
        summary=t.t("{name} is looking for critical friends", name=presenter.display_name),
    )  # fmt: skip


def announcement(t: Translator, session: KvSession, presenter: Member, friends: Sequence[Member]) -> Message:
    names = ", ".join(f.display_name for f in friends) or "–"
    return Message.of(
        Section(t.t("Kritisk venn #{id}: {name} presents {what}", id=session.id, name=presenter.display_name,
                    what=t.t(KIND_NAMES[session.kind])),
                ((t.t("Critical friends"), names),)),
        ContextLine(t.t("The round runs in the thread below. Everyone may read; the critical friends and the "
                        "presenter write.")),
        summary=t.t("Kritisk venn #{id}", id=session.id),
    )  # fmt: skip


def phase_message(t: Translator, session: KvSession, index: int, presenter: Member, deadline: str,
                  friends: Sequence[Member]) -> Message:  # fmt: skip
    phase = PHASES[index]
    parts: list = [Section(f"*{phase_label(t, index)}*"), Text(t.t(phase.purpose))]
    if phase.key == "presentation":
        parts.append(Text(t.t("{name} presents {what}:", name=presenter.display_name,
                              what=t.t(KIND_NAMES[session.kind]))))  # fmt: skip
        parts.append(Text(session.practice))
        parts.append(Section(t.t("Focus question: {question}", question=session.focus_question)))
    if phase.starters:
        parts.append(Text(t.t("Sentence starters: {starters}", starters=" · ".join(t.t(s) for s in phase.starters))))
    names = ", ".join(f.display_name for f in friends) or "–"
    if phase.key in ("clarifying", "probing"):
        who = t.t(
            "Critical friends ({names}) ask now; {presenter} may answer briefly.",
            names=names,
            presenter=presenter.display_name,
        )
    else:
        who = {
            "friends": t.t(
                "Critical friends ({names}) write now; {presenter} listens.",
                names=names,
                presenter=presenter.display_name,
            ),
            "presenter": t.t("{presenter} writes now; the critical friends listen.", presenter=presenter.display_name),
            "everyone": t.t("Everyone writes a few words."),
            "nobody": t.t("Read, and think about what you would like to ask."),
        }[phase.speakers]
    parts.append(Text(who))
    parts.append(
        ContextLine(
            t.t(
                "Until {deadline}, or until everyone has written. Reply here, or press "
                "Contribute (/kritiskvenn bidra {id} <text>).",
                deadline=deadline,
                id=session.id,
            )
        )
    )
    buttons = []
    if phase.speakers != "nobody":
        buttons.append(Button(t.t("Contribute"), "kritisk_venn.contribute", str(session.id), "primary"))
    buttons.append(Button(t.t("Next phase"), "kritisk_venn.next", f"{session.id}:{index}"))
    parts.append(Buttons(tuple(buttons)))
    return Message.of(*parts, summary=phase_label(t, index))


def contribute_form(t: Translator, session: KvSession, index: int) -> Form:
    phase = PHASES[index]
    fields: tuple[FormField, ...]
    if phase.key == "cool":
        fields = (
            FormField("wonder", t.t("I wonder …"), "long_text", required=False, max_length=TEXT_LIMIT),
            FormField("suggestion", t.t("Have you considered …"), "long_text", required=False, max_length=TEXT_LIMIT),
        )
    else:
        fields = (FormField("text", t.t(phase.form_label), "long_text", max_length=TEXT_LIMIT,
                            hint=" · ".join(t.t(s) for s in phase.starters)),)  # fmt: skip
    return Form(
        "kritisk_venn.contribute",
        t.t(phase.title),
        fields,
        submit_label=t.t("Contribute"),
        state=f"{session.id}:{index}",
        notice=t.t(STUDENT_NOTICE),
    )


def reminder(t: Translator, session: KvSession, index: int, deadline: str, presenter: Member) -> Message:
    return Message.of(
        Text(t.t("A gentle reminder: round #{id} for {name} is in {phase}, until {deadline}. "
                 "A short contribution is enough.", id=session.id, name=presenter.display_name,
                 phase=phase_label(t, index), deadline=deadline)),
        Buttons((Button(t.t("Contribute"), "kritisk_venn.contribute", str(session.id), "primary"),)),
        ContextLine(t.t("Or type /kritiskvenn bidra {id} <text>", id=session.id)),
    )  # fmt: skip


def answer_reminder(t: Translator, session: KvSession, index: int, deadline: str) -> Message:
    """To the presenter, when the friends' questions wait for her answer."""
    return Message.of(
        Text(t.t("The critical friends in your round #{id} wait for your answer in {phase}, until {deadline}. "
                 "A short answer is enough.", id=session.id, phase=phase_label(t, index), deadline=deadline)),
        Buttons((Button(t.t("Contribute"), "kritisk_venn.contribute", str(session.id), "primary"),)),
        ContextLine(t.t("Or type /kritiskvenn bidra {id} <text>", id=session.id)),
    )  # fmt: skip


def summary(t: Translator, session: KvSession, contributions: Sequence[tuple[KvContribution, Member]]) -> Message:
    groups: dict[str, list[str]] = {}
    for contribution, author in contributions:
        # The presenter's answers stay under the questions they answer, in the order they were written.
        kind = "questions" if contribution.kind in ("clarifying", "probing", "answer") else contribution.kind
        bullet = "  ↳" if contribution.kind == "answer" else "•"
        groups.setdefault(kind, []).append(f"{bullet} {contribution.text} — {author.display_name}")
    parts: list = [
        Section(t.t("Summary of your kritisk venn round #{id}", id=session.id),
                ((t.t("Focus question"), session.focus_question),)),
    ]  # fmt: skip
    sections = (
        (t.t("Questions you were asked"), groups.get("questions", [])),
        (t.t("Warm feedback"), groups.get("warm", [])),
        (t.t("Cool feedback"), groups.get("cool", [])),
        (t.t("Suggestions"), groups.get("suggestion", [])),
        (t.t("Your reflection"), groups.get("reflection", [])),
        (t.t("About the process"), groups.get("debrief", [])),
    )
    for title, lines in sections:
        parts.append(Text(f"*{title}*\n" + ("\n".join(lines) if lines else "–")))
    parts.append(Divider())
    parts.append(Text(t.t("Would you like to share a short learning note with the network? It appears in the next "
                          "digest without your name; write the learning, not the details of your case.")))  # fmt: skip
    parts.append(Buttons((Button(t.t("Share a learning note"), "kritisk_venn.share", str(session.id), "primary"),)))
    parts.append(ContextLine(t.t("Or type /kritiskvenn del {id} <text>", id=session.id)))
    return Message.of(*parts, summary=t.t("Summary of your kritisk venn round #{id}", id=session.id))


def share_form(t: Translator, session: KvSession, initial: str) -> Form:
    return Form(
        "kritisk_venn.share", t.t("Learning note"),
        (FormField("note", t.t("What did you learn? (a few sentences)"), "long_text", max_length=NOTE_LIMIT,
                   initial=initial[:NOTE_LIMIT]),),
        submit_label=t.t("Share"), state=str(session.id), notice=t.t(STUDENT_NOTICE),
    )  # fmt: skip


def echo(t: Translator, text: str) -> str:
    """Give a text back to its writer whenever it was not saved, so nothing is lost."""
    return t.t("Your text, so you have it:") + "\n\n" + text


def created(t: Translator, created: Created, shortfall: Message | None) -> Message:
    """The presenter's receipt for a new round: whom I asked, whom I could not, and what to do if too few."""
    session, parts = created.session, list[Part]()
    if created.invited:
        parts.append(Text(t.t("Kritisk venn #{id} is set up. I have asked {names}; I will tell you when the round "
                              "starts.", id=session.id, names=", ".join(created.invited))))  # fmt: skip
    if created.not_found:
        parts.append(Text(t.t("I could not ask {names}: not a member of the network, or they have turned off "
                              "invitations.", names=", ".join(created.not_found))))  # fmt: skip
    if created.named_self:
        parts.append(Text(t.t("You named yourself; as the presenter you cannot be your own critical friend.")))
    if shortfall is not None:
        parts.extend(shortfall.parts)
    parts.append(ContextLine(t.t("/kritiskvenn status shows your rounds; /kritiskvenn avbryt {id} cancels.",
                                 id=session.id)))  # fmt: skip
    return Message.of(*parts)


def status(
    t: Translator,
    rows: Sequence[tuple[KvSession, Member, str | None]],
    counts: dict[int, tuple[int, int]],
    timezone: str,
    now: datetime,
) -> Message:
    """A member's rounds, newest first: who presents, and where each round is."""
    lines = []
    for session, presenter, answer in rows:
        if session.status == "running" and session.phase >= 0:
            state = phase_label(t, session.phase)
            if session.phase_deadline is not None:
                state += ", " + t.t("until {deadline}", deadline=when(t, session.phase_deadline, timezone, now))
        elif session.status == "inviting":
            accepted, pending = counts.get(session.id, (0, 0))
            state = t.t("finding critical friends: {yes} of {wanted} said yes, {pending} not answered yet",
                        yes=accepted, wanted=session.friends_wanted, pending=pending)  # fmt: skip
        else:
            state = t.t(STATUS_NAMES[session.status])
        if answer is None:
            who = t.t("you present")
        else:
            who = t.t("{name} presents, {answer}", name=presenter.display_name, answer=t.t(ANSWER_NAMES[answer]))
        lines.append(f"#{session.id} — {who} — {state}")
    return Message.of(Section(t.t("Your kritisk venn rounds")), Text("\n".join(lines)))


def home(t: Translator, rows: Sequence[tuple[KvSession, Member, str | None]]) -> list[Part]:
    """The member's running rounds on their home: their own, and invitations waiting for an answer."""
    lines, buttons = [], []
    for session, presenter, answer in rows:
        if answer is None:
            lines.append(t.t("#{id}: your round — {state}", id=session.id, state=t.t(STATUS_NAMES[session.status])))
        elif answer == "invited":
            lines.append(t.t("#{id}: {name} asks you to be a critical friend", id=session.id,
                             name=presenter.display_name))  # fmt: skip
            buttons.append(Button(t.t("Yes, I'll join"), "kritisk_venn.accept", str(session.id), "primary"))
        elif answer == "accepted":
            lines.append(t.t("#{id}: you are a critical friend for {name} — {state}", id=session.id,
                             name=presenter.display_name, state=t.t(STATUS_NAMES[session.status])))  # fmt: skip
    if not lines:
        return []
    parts: list[Part] = [Text("*" + t.t("Kritisk venn") + "*\n" + "\n".join(lines))]
    if buttons:
        parts.append(Buttons(tuple(buttons[:5])))
    parts.append(ContextLine(t.t("/kritiskvenn status shows your rounds.")))
    return parts
