"""The network's meetings: a calendar leaders keep, and the prompts before, after and between them."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import Chat
from bot.features.samlinger.service import SamlingError, split_when
from tests.support import channel_posts, texts

# The test clock starts on Monday 7 September 2026, 08:00 UTC (10:00 in Oslo).
FIRST = "/samling ny 14.09 12:00 Rådhuset: trivsel i friminuttene"
SECOND = "/samling ny 26.10.2026 12:00 Biblioteket"


async def test_a_leader_puts_meetings_in_the_calendar_and_everyone_sees_them(network_chat: Chat) -> None:
    chat = network_chat
    added = await chat.say("kari", FIRST)
    assert "Samling 1 er satt opp: man. 14. sep. kl. 12:00 — Rådhuset: trivsel i friminuttene." in added[0].text
    assert "2 dager før" in added[0].text and added[0].destination.kind == "channel"
    await chat.say("kari", SECOND)
    listed = (await chat.say("ola", "/samling"))[0].text
    assert listed.index("Rådhuset") < listed.index("Biblioteket")
    assert "/samling fjern" not in listed  # leaders' commands are shown to leaders only
    assert "Neste samling: man. 14. sep. kl. 12:00" in (await chat.say("ola", "/samskap hjem"))[0].text


async def test_only_leaders_change_the_calendar(network_chat: Chat) -> None:
    assert "nettverksledere" in (await network_chat.say("ola", FIRST))[0].text
    assert "Ingen samlinger" in (await network_chat.say("ola", "/samling"))[0].text


async def test_a_time_that_cannot_be_read_or_has_passed_is_explained(network_chat: Chat) -> None:
    chat = network_chat
    unreadable = (await chat.say("kari", "/samling ny Rådhuset en gang i høst"))[0].text
    assert "klarte ikke å lese datoen" in unreadable
    assert "Skriv klokkeslettet også" in (await chat.say("kari", "/samling ny 14.09 Rådhuset"))[0].text
    assert "Det tidspunktet har vært" in (await chat.say("kari", "/samling ny 01.09.2026 12:00"))[0].text
    assert "Skriv dato og klokkeslett" in (await chat.say("kari", "/samling ny"))[0].text
    assert "Ingen samlinger" in (await chat.say("kari", "/samling"))[0].text


async def test_the_channel_is_reminded_before_asked_after_and_prompted_halfway(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("per", "/ide Vennskapsbenk")
    await chat.say("ola", "/ide prøv 1")
    await chat.say("kari", FIRST)
    await chat.say("kari", SECOND)

    await chat.advance(timedelta(days=4, hours=22))  # Saturday 12 September, 08:00 in Oslo
    assert not channel_posts(chat, "Ta med en praksisfortelling")
    await chat.restart()  # what is scheduled survives a restart
    await chat.advance(timedelta(hours=1, minutes=1))  # 09:01, two days before
    reminders = texts(channel_posts(chat), "Ta med en praksisfortelling")
    assert len(reminders) == 1 and "Samling man. 14. sep. kl. 12:00" in reminders[0]
    assert "1 av dere prøver en idé nå" in reminders[0]

    await chat.advance(timedelta(days=3))  # Tuesday 15 September, the day after
    after = texts(channel_posts(chat), "Takk for samlingen i går")
    assert len(after) == 1 and "Neste samling: man. 26. okt. kl. 12:00 — Biblioteket" in after[0]

    await chat.advance(timedelta(days=20))  # Monday 5 October: halfway to 26 October
    halfway = texts(channel_posts(chat), "Halvveis til neste samling")
    assert len(halfway) == 1 and "26. okt." in halfway[0]
    await chat.advance(timedelta(days=19))  # Saturday 24 October, two days before the second meeting
    assert len(channel_posts(chat, "Ta med en praksisfortelling")) == 2  # and the second meeting's
    await chat.advance(timedelta(days=3, hours=1))  # Tuesday 27 October, 09:01 (winter time now)
    assert len(channel_posts(chat, "Takk for samlingen i går")) == 2


async def test_a_meeting_taken_out_brings_no_reminders(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", FIRST)
    assert "Samling 1 (man. 14. sep. kl. 12:00" in (await chat.say("kari", "/samling fjern 1"))[0].text
    assert "ingen samling nummer 1" in (await chat.say("kari", "/samling fjern 1"))[0].text
    await chat.advance(timedelta(days=10))
    assert not channel_posts(chat, "Ta med en praksisfortelling") + channel_posts(chat, "Takk for samlingen")


async def test_meetings_speak_english_in_an_english_network(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samskap leder innstilling språk en")
    added = (await chat.say("kari", "/meeting new 14.09 12:00 Town hall"))[0].text
    assert "Meeting 1 is in the calendar: Mon 14 Sep 12:00 — Town hall." in added


async def test_a_changed_reminder_setting_moves_the_coming_reminders(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", FIRST)  # Monday 14 September
    await chat.say("kari", "/samskap leder innstilling samling_varsel 5")
    await chat.advance(timedelta(days=1, hours=23, minutes=1))  # Wednesday 9 September, 09:01
    assert len(channel_posts(chat, "Ta med en praksisfortelling")) == 1
    await chat.advance(timedelta(days=3))  # not again two days before
    assert len(channel_posts(chat, "Ta med en praksisfortelling")) == 1

    await chat.say("kari", SECOND)
    await chat.say("kari", "/samskap leder innstilling samling_varsel 0")
    await chat.advance(timedelta(days=60))
    assert len(channel_posts(chat, "Ta med en praksisfortelling")) == 1


NOW, OSLO = datetime(2026, 11, 27, 8, 0, tzinfo=UTC), ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("text", "when", "rest"),
    [
        ("14.01 12:00 Rådhuset: trivsel", "2027-01-14 12:00", "Rådhuset: trivsel"),
        ("tor. 14. januar kl. 12 Rådhuset", "2027-01-14 12:00", "Rådhuset"),
        ("torsdag 14.01 kl. 9.30", "2027-01-14 09:30", ""),
        ("2027-03-25 12:00 Biblioteket", "2027-03-25 12:00", "Biblioteket"),
        ("14/1 12", "2027-01-14 12:00", ""),
    ],
)
def test_a_meeting_time_is_read_as_leaders_write_it(text: str, when: str, rest: str) -> None:
    moment, remainder = split_when(text, NOW, OSLO)
    assert (moment.astimezone(OSLO).strftime("%Y-%m-%d %H:%M"), remainder) == (when, rest)


@pytest.mark.parametrize("text", ["Rådhuset 14.01 12:00", "14.01 Rådhuset", "01.09.2026 12:00", ""])
def test_a_meeting_needs_a_coming_date_and_a_time(text: str) -> None:
    with pytest.raises(SamlingError):
        split_when(text, NOW, OSLO)
