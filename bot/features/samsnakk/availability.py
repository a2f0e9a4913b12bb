"""When members are free for a quick talk: the hours they state ("man-fre 14-16, tor 8-9") and the
free slots that fit everyone's hours and bookings, offered as buttons by `/samsnakk @person`.

Pure functions over an explicit `now` and time zones, so they are tested without a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.settings import SettingError
from bot.times import WEEKDAYS


@dataclass(frozen=True)
class Window:
    weekday: int
    start: int  # minutes after midnight
    end: int


DEFAULT_HOURS = "man-fre 08:00-16:00"
_RANGE = re.compile(r"^(?P<a>\d{1,2})(?:[:.](?P<am>\d{2}))?-(?P<b>\d{1,2})(?:[:.](?P<bm>\d{2}))?$")
_DAY_GROUPS = {
    "hverdager": range(0, 5),
    "kvardagar": range(0, 5),
    "weekdays": range(0, 5),
    "alle": range(0, 7),
    "all": range(0, 7),
}


class HoursError(ValueError):
    pass


def parse_hours(text: str) -> list[Window]:
    """ "man-fre 14-16, tor 8:00-9:30" → windows; raises HoursError when it cannot be read."""
    windows: list[Window] = []
    for chunk in [c.strip() for c in text.lower().split(",") if c.strip()]:
        days_text, _, span = chunk.rpartition(" ")
        match = _RANGE.match(span.replace(" ", ""))
        if not days_text or not match:
            raise HoursError(chunk)
        start = int(match.group("a")) * 60 + int(match.group("am") or 0)
        end = int(match.group("b")) * 60 + int(match.group("bm") or 0)
        if not 0 <= start < end <= 24 * 60:
            raise HoursError(chunk)
        for day in _parse_days(days_text.strip()):
            windows.append(Window(day, start, end))
    if not windows:
        raise HoursError(text)
    return windows


def _parse_days(text: str) -> list[int]:
    if text in _DAY_GROUPS:
        return list(_DAY_GROUPS[text])
    days: list[int] = []
    for part in text.replace(" og ", " ").replace(" and ", " ").split():
        first, sep, last = part.partition("-")
        if first.rstrip(".") not in WEEKDAYS or (sep and last.rstrip(".") not in WEEKDAYS):
            raise HoursError(text)
        a = WEEKDAYS[first.rstrip(".")]
        b = WEEKDAYS[last.rstrip(".")] if sep else a
        days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return days


def normalise_hours(text: str) -> str:
    """Check `text` and return it tidied (kept as the member wrote it, so they recognise it)."""
    text = " ".join(text.strip().split())
    parse_hours(text)
    return text


def is_available(windows: list[Window], start: datetime, minutes: int, tz: ZoneInfo) -> bool:
    local = start.astimezone(tz)
    begin = local.hour * 60 + local.minute
    return any(w.weekday == local.weekday() and w.start <= begin and begin + minutes <= w.end for w in windows)


def free_slots(
    *,
    now: datetime,
    minutes: int,
    calendars: list[tuple[list[Window], ZoneInfo, list[tuple[datetime, datetime]]]],
    count: int = 3,
    days: int = 14,
    step_minutes: int = 15,
    lead: timedelta = timedelta(hours=1),
) -> list[datetime]:
    """The first `count` starts where every person is within their hours and not busy.

    `calendars` has, per person, their windows, their time zone and their busy (start, end)
    spans. Slots fall on the quarter hour, at least `lead` from now, one per day at most when
    possible so the choice is real.
    """
    step = timedelta(minutes=step_minutes)
    start = now + lead
    start = start.replace(second=0, microsecond=0)
    start += timedelta(minutes=(-start.minute) % step_minutes)
    length = timedelta(minutes=minutes)
    found: list[datetime] = []
    days_used: set[date] = set()
    spare: list[datetime] = []
    moment = start
    end = now + timedelta(days=days)
    while moment < end and len(found) < count:
        fits = all(
            is_available(windows, moment, minutes, tz)
            and not any(b0 < moment + length and moment < b1 for b0, b1 in busy)
            for windows, tz, busy in calendars
        )
        if fits:
            day = moment.date()
            if day in days_used:
                spare.append(moment)
            else:
                days_used.add(day)
                found.append(moment)
                # The next offer on another day: jump to tomorrow's first quarter.
                moment = moment + timedelta(days=1)
                moment = moment.replace(hour=0, minute=0)
                continue
        moment += step
    return sorted((found + spare)[:count])


def parse_available_hours(raw: str) -> str:
    """The member option `samsnakk_tider`: empty (the default hours) or hours that can be read."""
    if not raw.strip():
        return ""
    try:
        return normalise_hours(raw)
    except HoursError:
        raise SettingError("Write your hours like man-fre 14-16, tor 8:00-9:30.") from None
