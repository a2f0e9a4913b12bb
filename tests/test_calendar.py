"""Calendars: the `.ics` a samsnakk booking brings, parsed back with `icalendar` as a calendar would.

The fake clock starts on Monday 7 September 2026 at 08:00 UTC (10:00 in Oslo).
"""

from __future__ import annotations

from icalendar import Calendar

from adapters.memory import Chat, Sent
from bot.messages import Attachment


def dms(chat: Chat, name: str, text: str) -> list[Sent]:
    return [s for s in chat.adapter.to_user(name) if s.destination.kind == "dm" and text in s.text]


def ics_of(sent: Sent) -> str:
    return next(p.content for p in sent.message.parts if isinstance(p, Attachment) and p.filename.endswith(".ics"))


def no_bare_line_breaks(content: str) -> bool:
    """Every line of iCalendar ends in CRLF; a CR or LF alone breaks the file for strict readers."""
    return content.replace("\r\n", "").count("\r") == 0 and content.replace("\r\n", "").count("\n") == 0


async def test_the_cancel_file_names_organizer_and_attendees_with_the_booking_uid(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @ola i morgen 14")
    await chat.click("ola", "Godta")
    booked = Calendar.from_ical(ics_of(dms(chat, "ola", "Booket")[0]))
    await chat.say("kari", "/samsnakk avlys 1")

    cancel = Calendar.from_ical(ics_of(dms(chat, "ola", "kari har avlyst samtalen deres")[0]))

    assert cancel["METHOD"] == "CANCEL"
    [event] = cancel.walk("VEVENT")
    [first] = booked.walk("VEVENT")
    assert event["UID"] == first["UID"] and event["STATUS"] == "CANCELLED"
    assert event["ORGANIZER"].params["CN"] == first["ORGANIZER"].params["CN"]
    attendees = sorted(a.params["CN"] for a in event.get("ATTENDEE"))
    assert attendees == ["kari", "ola"]
    assert sorted(str(a) for a in event.get("ATTENDEE")) == sorted(str(a) for a in first.get("ATTENDEE"))


async def test_a_carriage_return_in_a_topic_leaves_no_bare_cr_in_the_file(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk nå elevsamtaler\rog vurdering")
    await chat.click("ola", "Jeg kan")

    content = ics_of(dms(chat, "ola", "nå")[-1])

    assert no_bare_line_breaks(content)
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert "elevsamtaler" in event["DESCRIPTION"] and "vurdering" in event["DESCRIPTION"]
