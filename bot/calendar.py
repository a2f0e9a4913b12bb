"""iCalendar (RFC 5545) through the `icalendar` library: the invitation attached to a samsnakk booking,
and the feeds members subscribe to in Outlook or Google Calendar.

A calendar recognises an event again by its UID: a moved event keeps it with a higher SEQUENCE, a
cancelled one keeps it with STATUS:CANCELLED, so subscribers' calendars change rather than duplicate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

PRODID = "-//samskap//samskap//NO"
# Where no address is configured: a domain that is reserved never to exist (RFC 2606).
NO_REPLY = "noreply@samskap.invalid"
_MEMBER_NAMESPACE = uuid.UUID("6f1c2a4e-5d0b-4c6e-9a57-3b8e2d1f0c11")


@dataclass(frozen=True)
class Person:
    """Someone in an event. Members have no address the bot may share, so they are named by a
    URN that stays the same for them (RFC 5545 allows any URI as a calendar user address)."""

    name: str
    address: str  # a URI: mailto:… or urn:uuid:…


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    url: str = ""
    location: str = ""
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()
    cancelled: bool = False


def member_person(member_id: int, name: str) -> Person:
    return Person(name, uuid.uuid5(_MEMBER_NAMESPACE, f"member:{member_id}").urn)


def organizer(name: str, address: str = NO_REPLY) -> Person:
    return Person(name, f"mailto:{address}")


def _address(person: Person, role: str | None = None) -> vCalAddress:
    address = vCalAddress(person.address)
    address.params["CN"] = vText(_one_line(person.name))
    if role:
        address.params["ROLE"] = role
        address.params["PARTSTAT"] = "ACCEPTED"
    return address


def _one_line(text: str) -> str:
    """Parameter values cannot hold line breaks; names never need them."""
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def _event(item: CalendarEvent, now: datetime, tz: ZoneInfo | None) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("sequence", item.sequence)
    event.add("dtstamp", now)
    start, end = (item.start.astimezone(tz), item.end.astimezone(tz)) if tz else (item.start, item.end)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", item.summary)
    event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.url:
        event.add("url", item.url)
    if item.organizer is not None:
        event.add("organizer", _address(item.organizer))
    for person in item.attendees:
        event.add("attendee", _address(person, "REQ-PARTICIPANT"))
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    return event


def _calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def invitation(item: CalendarEvent, now: datetime) -> str:
    """One event to open in a calendar: PUBLISH, or CANCEL with the same UID and people, which
    RFC 5546 needs (ORGANIZER and ATTENDEE) before a calendar removes the event."""
    calendar = _calendar("CANCEL" if item.cancelled else "PUBLISH")
    calendar.add_component(_event(item, now, None))
    return calendar.to_ical().decode("utf-8")


def feed(name: str, items: Iterable[CalendarEvent], now: datetime, tz: ZoneInfo) -> bytes:
    """A calendar to subscribe to: times in `tz` with its VTIMEZONE, so they stay right across
    summer time in calendars that do not know the zone by name."""
    calendar = _calendar("PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", tz.key)
    # Google and Outlook fetch subscriptions on their own schedule; this asks for at most hourly.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    events = [_event(item, now, tz) for item in items]
    if events:
        calendar.add_component(Timezone.from_tzid(tz.key))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()
