"""Calendars: the `.ics` a samsnakk booking brings, parsed back with `icalendar` as a calendar would.

The fake clock starts on Monday 7 September 2026 at 08:00 UTC (10:00 in Oslo).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from icalendar import Calendar

from adapters.calendar_http import calendar_routes
from adapters.memory import Chat, Sent
from adapters.ops_http import application, serve_http
from bot.config import Config, check_config, load_config, public_url
from bot.messages import Attachment
from tests.support import dms_to, free_port


def ics_of(sent: Sent) -> str:
    return next(p.content for p in sent.message.parts if isinstance(p, Attachment) and p.filename.endswith(".ics"))


def no_bare_line_breaks(content: str) -> bool:
    """Every line of iCalendar ends in CRLF; a CR or LF alone breaks the file for strict readers."""
    return content.replace("\r\n", "").count("\r") == 0 and content.replace("\r\n", "").count("\n") == 0


async def test_the_cancel_file_names_organizer_and_attendees_with_the_booking_uid(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @ola i morgen 14")
    await chat.click("ola", "Godta")
    booked = Calendar.from_ical(ics_of(dms_to(chat, "ola", "Booket")[0]))
    await chat.say("kari", "/samsnakk avlys 1")

    cancel = Calendar.from_ical(ics_of(dms_to(chat, "ola", "kari har avlyst samtalen deres")[0]))

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

    content = ics_of(dms_to(chat, "ola", "nå")[-1])

    assert no_bare_line_breaks(content)
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert "elevsamtaler" in event["DESCRIPTION"] and "vurdering" in event["DESCRIPTION"]


# -- personal calendar feeds -------------------------------------------------------------------------------
PUBLIC = "https://samskap.example.no"


class Served:
    """The calendar route on 127.0.0.1, fetched as a calendar app would (by the link's path)."""

    def __init__(self, chat: Chat, port: int) -> None:
        self.chat, self.port = chat, port

    async def fetch(self, link: str) -> tuple[int, str]:
        path = link.removeprefix(PUBLIC)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}{path}") as response:
            return response.status, await response.text()

    async def calendar(self, link: str) -> Calendar:
        status, body = await self.fetch(link)
        assert status == 200
        return Calendar.from_ical(body)


@pytest.fixture
async def feeds(any_database_url: str) -> AsyncIterator[Served]:
    chat = await Chat.start(any_database_url, config=Config(sections={"web": {"base_url": PUBLIC + "/"}}))
    for name, school in (("kari", "Nordby skole"), ("ola", "Sørby skole"), ("per", "Vestby skole")):
        await chat.say(name, f"/samskap bli-med {school}")
    app = application()
    calendar_routes(app, chat.bot)
    port = free_port()
    runner = await serve_http(app, "127.0.0.1", port)
    yield Served(chat, port)
    await runner.cleanup()
    await chat.close()


async def link_of(chat: Chat, name: str, command: str = "/samling kalender") -> str:
    reply = await chat.say(name, command)
    found = re.search(re.escape(PUBLIC) + r"/calendar/\S+\.ics", reply[-1].text)
    assert found is not None, reply[-1].text
    return found.group(0)


def events(calendar: Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_the_feed_has_the_meetings_with_their_prompt_in_oslo_time(feeds: Served) -> None:
    chat = feeds.chat
    await chat.say("kari", "/samling ny 14.09 12:00 Rådhuset: trivsel i friminuttene")
    link = await link_of(chat, "ola")

    calendar = await feeds.calendar(link)

    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Oslo"
    [meeting] = calendar.walk("VEVENT")
    assert meeting.decoded("DTSTART") == datetime(2026, 9, 14, 12, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    assert meeting["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert "trivsel i friminuttene" in meeting["SUMMARY"]
    assert "Ta med en praksisfortelling" in meeting["DESCRIPTION"]

    listed = await chat.say("ola", "/samling")
    assert "/samling kalender" in listed[-1].text
    await chat.say("kari", "/samling fjern 1")  # a meeting taken out leaves the feed, and so the calendars
    assert not (await feeds.calendar(link)).walk("VEVENT")


async def test_a_call_keeps_its_uid_through_a_move_and_a_cancellation(feeds: Served) -> None:
    chat = feeds.chat
    await chat.say("kari", "/samsnakk @ola i morgen 14")
    await chat.click("ola", "Godta")
    link = await link_of(chat, "ola", "/samsnakk kalender")
    [booked] = events(await feeds.calendar(link)).values()
    invitation = Calendar.from_ical(ics_of(dms_to(chat, "ola", "Booket")[0]))
    assert booked["UID"] == invitation.walk("VEVENT")[0]["UID"]

    await chat.say("ola", "/samsnakk flytt i morgen 15")
    moved = events(await feeds.calendar(link))[str(booked["UID"])]
    assert moved["SEQUENCE"] > booked["SEQUENCE"] and moved["STATUS"] == "CONFIRMED"
    assert moved.decoded("DTSTART") == datetime(2026, 9, 8, 15, 0, tzinfo=ZoneInfo("Europe/Oslo"))

    await chat.say("kari", "/samsnakk avlys 1")
    cancelled = events(await feeds.calendar(link))[str(booked["UID"])]
    assert cancelled["STATUS"] == "CANCELLED"
    assert "/samsnakk kalender" in (await chat.say("ola", "/samsnakk mine"))[-1].text


async def test_a_wrong_or_revoked_link_is_refused(feeds: Served) -> None:
    chat = feeds.chat
    first = await link_of(chat, "ola")
    second = await link_of(chat, "ola", "/samskap innstillinger kalender")  # a new link replaces the old one

    assert (await feeds.fetch(first))[0] == 404
    assert (await feeds.fetch(second))[0] == 200
    token = second.rsplit("/", 1)[1].removesuffix(".ics")
    assert (await feeds.fetch(second.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))))[0] == 404
    assert (await feeds.fetch(f"{PUBLIC}/calendar/short.ics"))[0] == 404

    stopped = await chat.say("ola", "/samling kalender av")
    assert "virker ikke lenger" in stopped[-1].text
    assert (await feeds.fetch(second))[0] == 404


async def test_the_feed_serves_no_other_members_calls(feeds: Served) -> None:
    chat = feeds.chat
    await chat.say("kari", "/samsnakk @ola i morgen 14")
    await chat.click("ola", "Godta")
    await chat.say("per", "/samsnakk @kari i morgen 10")
    await chat.click("kari", "Godta")

    ola = events(await feeds.calendar(await link_of(chat, "ola")))
    per = events(await feeds.calendar(await link_of(chat, "per")))

    assert list(ola) == ["samsnakk-1@samskap"] and list(per) == ["samsnakk-2@samskap"]


async def test_without_a_public_address_the_link_is_explained_not_broken(network_chat: Chat) -> None:
    reply = await network_chat.say("ola", "/samling kalender")
    assert "offentlige adresse" in reply[-1].text and "/calendar/" not in reply[-1].text


def test_the_public_address_comes_from_the_environment_and_must_be_https(tmp_path: Path) -> None:
    env = {"SAMSKAP_PUBLIC_URL": "https://samskap.example.no/", "SAMSKAP_CONFIG": str(tmp_path / "none.toml")}
    cfg = load_config(env=env)
    assert public_url(cfg) == "https://samskap.example.no" and not check_config(cfg, env)

    plain = Config(sections={"web": {"base_url": "http://samskap.example.no"}})
    assert any("[web] base_url must be an https:// address" in p for p in check_config(plain, {}))
    assert not check_config(Config(sections={"web": {"base_url": "http://127.0.0.1:8080"}}), {})
