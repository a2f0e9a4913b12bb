"""What the network sees of its meetings. Pure functions of data and a translator."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar import CalendarEvent, organizer
from bot.i18n import Translator
from bot.messages import ContextLine, Message, Part, Section, Text
from bot.times import format_when, weekday_name
from storage.models.core import Network
from storage.models.samlinger import Samling


def when_and_about(t: Translator, samling: Samling, tz: ZoneInfo, now: datetime | None = None) -> str:
    """When and what; with the year when `now` is given and it is another year."""
    when = format_when(samling.starts_at, tz, t.language, now)
    return f"{when} — {samling.about}" if samling.about else when


def upcoming(t: Translator, samlinger: list[Samling], tz: ZoneInfo, is_leader: bool, now: datetime) -> Message:
    if not samlinger:
        text = t.t("No network meetings are in the calendar yet.")
        if is_leader:
            text += "\n" + t.t("Add one with /samling ny <date> <time> [where: what].")
        return Message.text(text)
    parts: list[Part] = [Section(t.t("The next network meetings"))]
    parts += [Text(t.t("*{id}.* {when}", id=s.id, when=when_and_about(t, s, tz, now))) for s in samlinger]
    if is_leader:
        parts.append(ContextLine(t.t("/samling ny <date> <time> [where: what] · /samling fjern <number>")))
    return Message(tuple(parts), t.t("The next network meetings"))


def added(t: Translator, samling: Samling, tz: ZoneInfo, reminder_days: int | None, now: datetime) -> Message:
    when = when_and_about(t, samling, tz, now)
    text = t.t("Meeting {id} is in the calendar: {when}.", id=samling.id, when=when)
    if reminder_days:
        text += " " + t.tn(
            "I will remind the channel {n} day before, and ask the day after what people took with them.",
            "I will remind the channel {n} days before, and ask the day after what people took with them.",
            reminder_days,
        )
    else:
        text += " " + t.t("The day after, I will ask what people took with them.")
    return Message.text(text)


def reminder(t: Translator, samling: Samling, tz: ZoneInfo, trying: int, now: datetime | None = None) -> Message:
    """Before the meeting: bring a story from your own practice."""
    parts: list[Part] = [
        Section(t.t("Network meeting {when}", when=when_and_about(t, samling, tz, now))),
        Text(
            t.t(
                "Bring a story from your own practice: what did you try since last time, what did you change, "
                "and how did it go? The others learn from what did not work, too."
            )
        ),
    ]
    if trying:
        parts.append(
            ContextLine(
                t.tn(
                    "{n} of you is trying an idea now: tell how it went with /ide rapport <number>.",
                    "{n} of you are trying an idea now: tell how it went with /ide rapport <number>.",
                    trying,
                )
            )
        )
    return Message(tuple(parts), t.t("Network meeting {when}", when=format_when(samling.starts_at, tz, t.language)))


def after(
    t: Translator,
    samling: Samling,
    following: Samling | None,
    tz: ZoneInfo,
    days_since: int = 1,
    now: datetime | None = None,
) -> Message:
    """The day after: what did you take with you, and what will you try in your own way?

    `days_since` the meeting (more than one when the bot was away): "yesterday" only when it is true.
    """
    if days_since <= 1:
        thanks = t.t("Thank you for yesterday's meeting! What did you take with you?")
    else:
        day = weekday_name(samling.starts_at.astimezone(tz).weekday(), t.language)
        thanks = t.t("Thank you for the meeting on {day}! What did you take with you?", day=day)
    parts: list[Part] = [
        Section(thanks),
        Text(
            t.t(
                "Did a story inspire you? Try your own version at your school: say \u201cI'll try this\u201d "
                "under the idea (/ideer), or share what you will try with /ide <text>."
            )
        ),
        ContextLine(t.t("Want a critical friend on something you are working on? /kritiskvenn")),
    ]
    if following is not None:
        parts.append(ContextLine(t.t("Next meeting: {when}", when=when_and_about(t, following, tz, now))))
    return Message(tuple(parts), t.t("What did you take with you from the meeting?"))


def midway(t: Translator, following: Samling, tz: ZoneInfo, trying: int, now: datetime | None = None) -> Message:
    """Halfway to the next meeting: how is it going?"""
    parts: list[Part] = [
        Section(
            t.t("Halfway to the next meeting ({when}). How is it going?", when=when_and_about(t, following, tz, now))
        ),
        Text(
            t.t(
                "Tell the others how it went with what you tried (/ide rapport <number>), "
                "or ask someone from another school for a quick talk: /samsnakk."
            )
        ),
    ]
    if trying:
        parts.append(
            ContextLine(t.tn("{n} of you is trying an idea now.", "{n} of you are trying an idea now.", trying))
        )
    return Message(tuple(parts), t.t("Halfway to the next meeting"))


def home(t: Translator, following: Samling, tz: ZoneInfo, now: datetime | None = None) -> list[Part]:
    return [ContextLine(t.t("Next network meeting: {when}", when=when_and_about(t, following, tz, now)))]


# Meetings are stored with their start only; calendars need an end.
MEETING_LENGTH = timedelta(hours=3)


def meeting_event(t: Translator, network: Network, samling: Samling) -> CalendarEvent:
    """A network meeting in a calendar feed, with what to bring in its description (the prompt the reminder gives)."""
    summary = t.t("Network meeting: {about}", about=samling.about) if samling.about else t.t("Network meeting")
    prompt = t.t(
        "Bring a story from your own practice: what did you try since last time, what did you change, "
        "and how did it go? The others learn from what did not work, too."
    )
    description = f"{samling.about}\n\n{prompt}" if samling.about else prompt
    return CalendarEvent(
        uid=f"samling-{samling.id}@samskap",
        sequence=0,
        start=samling.starts_at,
        end=samling.starts_at + MEETING_LENGTH,
        summary=summary,
        description=description,
        location=samling.about.split(":", 1)[0].strip() if ":" in samling.about else "",
        organizer=organizer(network.name),
    )
