"""The time parser and the free-slot finder behind /samsnakk @person [tid]."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.features.samsnakk.availability import HoursError, free_slots, parse_hours
from bot.times import TimeParseError, format_when, parse_when

OSLO = ZoneInfo("Europe/Oslo")
# Wednesday 25 November 2026, 10:00 in Oslo (09:00 UTC).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def local(text: str) -> str:
    return parse_when(text, NOW, OSLO).strftime("%a %Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:00", "Wed 2026-11-25 15:00"),
        ("15.30", "Wed 2026-11-25 15:30"),
        ("kl. 14", "Wed 2026-11-25 14:00"),
        ("kl tre", "Wed 2026-11-25 15:00"),
        ("i morgen 14", "Thu 2026-11-26 14:00"),
        ("imorgen kl 8:15", "Thu 2026-11-26 08:15"),
        ("14:00 i morgen", "Thu 2026-11-26 14:00"),
        ("fre 8:30", "Fri 2026-11-27 08:30"),
        ("fredag 13", "Fri 2026-11-27 13:00"),
        ("ons 9", "Wed 2026-12-02 09:00"),  # Wednesday 9:00 has passed today: next week
        ("28.11 12:00", "Sat 2026-11-28 12:00"),
        ("3. des 10", "Thu 2026-12-03 10:00"),
        ("2026-12-01 09:45", "Tue 2026-12-01 09:45"),
        ("tomorrow 3pm", "Thu 2026-11-26 15:00"),
        ("friday at 9:30 am", "Fri 2026-11-27 09:30"),
        ("3:30 pm", "Wed 2026-11-25 15:30"),
        ("om 30 min", "Wed 2026-11-25 10:30"),
        ("in 2 hours", "Wed 2026-11-25 12:00"),
        ("nå", "Wed 2026-11-25 10:00"),
    ],
)
def test_norwegian_and_english_times_are_understood_in_the_members_zone(text: str, expected: str) -> None:
    assert local(text) == expected


@pytest.mark.parametrize("text", ["", "snart", "25:00", "14:75", "i morgen", "fre", "13pm", "blå 14"])
def test_unreadable_times_are_refused(text: str) -> None:
    with pytest.raises(TimeParseError) as err:
        parse_when(text, NOW, OSLO)
    assert err.value.kind == "unparseable"


def test_a_time_that_passed_today_is_refused_with_tomorrow_suggested() -> None:
    with pytest.raises(TimeParseError) as err:
        parse_when("08:00", NOW, OSLO)
    assert err.value.kind == "past"
    assert err.value.suggestion is not None and err.value.suggestion.day == 26


def test_a_date_in_the_past_is_refused_without_a_suggestion() -> None:
    with pytest.raises(TimeParseError) as err:
        parse_when("i dag 9", NOW, OSLO)
    assert err.value.kind == "past" and err.value.suggestion is None


def test_times_are_shown_in_bokmal_and_english() -> None:
    moment = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert format_when(moment, OSLO, "nb") == "fre. 27. nov. kl. 15:00"
    assert format_when(moment, OSLO, "en") == "Fri 27 Nov 15:00"


def test_available_hours_are_read_and_bad_ones_refused() -> None:
    windows = parse_hours("man-fre 14-16, tor 8:00-9:30")
    assert len(windows) == 6
    assert any(w.weekday == 3 and w.start == 480 and w.end == 570 for w in windows)
    with pytest.raises(HoursError):
        parse_hours("hver dag etter lunsj")
    with pytest.raises(HoursError):
        parse_hours("man 16-14")


def test_free_slots_respect_both_peoples_hours_and_bookings() -> None:
    kari = parse_hours("man-fre 14-16")
    ola = parse_hours("ons-fre 15-17")
    busy_ola = [(datetime(2026, 11, 25, 14, 0, tzinfo=UTC), datetime(2026, 11, 25, 14, 15, tzinfo=UTC))]
    slots = free_slots(now=NOW, minutes=15, calendars=[(kari, OSLO, []), (ola, OSLO, busy_ola)])
    shown = [s.astimezone(OSLO).strftime("%a %H:%M") for s in slots]
    # Wednesday 15:00 is taken by Ola's call, so 15:15 is the first; then one a day.
    assert shown == ["Wed 15:15", "Thu 15:00", "Fri 15:00"]
