"""Times as members write them ("15:00", "i morgen 14", "fre 8:30", "tomorrow 3pm") and as we show them.

Pure functions over an explicit `now` and time zone, so they are tested without a clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime


def find_zone(name: object) -> ZoneInfo | None:
    """The time zone called `name`, or None for anything that is not one.

    ZoneInfo raises more than ZoneInfoNotFoundError: "Europe" is a folder of the tz database
    (IsADirectoryError), a very long name is too long for the file system (OSError), and "Europe/"
    or a name with NUL in it is malformed (ValueError)."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


WEEKDAYS = {
    "man": 0,
    "mandag": 0,
    "mån": 0,
    "måndag": 0,
    "mon": 0,
    "monday": 0,
    "tir": 1,
    "tirsdag": 1,
    "tys": 1,
    "tysdag": 1,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "ons": 2,
    "onsdag": 2,
    "wed": 2,
    "wednesday": 2,
    "tor": 3,
    "tors": 3,
    "torsdag": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fre": 4,
    "fredag": 4,
    "fri": 4,
    "friday": 4,
    "lør": 5,
    "lørdag": 5,
    "lor": 5,
    "lordag": 5,
    "laur": 5,
    "laurdag": 5,
    "sat": 5,
    "saturday": 5,
    "søn": 6,
    "søndag": 6,
    "son": 6,
    "sondag": 6,
    "sundag": 6,
    "sun": 6,
    "sunday": 6,
}
# The weekdays as crontab (and APScheduler) names them, Monday first like `WEEKDAYS` and `date.weekday()`.
CRON_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RELATIVE_DAYS = {
    "i dag": 0,
    "idag": 0,
    "today": 0,
    "i morgen": 1,
    "imorgen": 1,
    "i morgon": 1,
    "imorgon": 1,
    "tomorrow": 1,
    "i overmorgen": 2,
    "overmorgen": 2,
    "i overmorgon": 2,
    "overmorgon": 2,
}
MONTHS = {
    "jan": 1,
    "januar": 1,
    "january": 1,
    "feb": 2,
    "februar": 2,
    "february": 2,
    "mar": 3,
    "mars": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "mai": 5,
    "may": 5,
    "jun": 6,
    "juni": 6,
    "june": 6,
    "jul": 7,
    "juli": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oktober": 10,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "des": 12,
    "desember": 12,
    "dec": 12,
    "december": 12,
}
HOUR_WORDS = {
    "ett": 1,
    "en": 1,
    "one": 1,
    "to": 2,
    "two": 2,
    "tre": 3,
    "three": 3,
    "fire": 4,
    "four": 4,
    "fem": 5,
    "five": 5,
    "seks": 6,
    "six": 6,
    "sju": 7,
    "syv": 7,
    "seven": 7,
    "åtte": 8,
    "eight": 8,
    "ni": 9,
    "nine": 9,
    "ti": 10,
    "ten": 10,
    "elleve": 11,
    "eleven": 11,
    "tolv": 12,
    "twelve": 12,
}
NOW_WORDS = {"nå", "now", "na"}

_TIME = re.compile(r"^(?:kl\.?\s*|at\s+)?(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$")
_CLOCK = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?$")
_WORD_TIME = re.compile(r"^(?:kl\.?\s*|at\s+)?(?P<w>[a-zæøå]+)(?:\s*(?P<ampm>am|pm))?$")
_DMY = re.compile(r"^(?P<d>\d{1,2})[./](?P<m>\d{1,2})(?:[./](?P<y>\d{2,4}))?\.?$")
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_DAY_MONTH = re.compile(r"^(?P<d>\d{1,2})\.?\s+(?P<mon>[a-zæøå]+)\.?$")
# "om 3 uker", "in 10 days": a day some days or weeks from today.
_DAYS_AHEAD = re.compile(r"^(?:om|in)\s+(?P<n>\d{1,3})\s*(?P<unit>dager|dagar|dag|days?|uker|uke|veker|veke|weeks?)$")
_IN = re.compile(r"^(?:om|in)\s+(?P<n>\d{1,3})\s*(?P<unit>min|mins|minutt|minutter|minutes?|t|timer?|hours?|h)$")


class TimeParseError(ValueError):
    """`kind` is "unparseable" or "past"; the handler turns it into a clear message."""

    def __init__(self, kind: str, text: str, suggestion: datetime | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.text = text
        self.suggestion = suggestion


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The moment `text` names, in `tz`. Raises TimeParseError when unreadable or in the past.

    A bare hour from 1 to 6 means the afternoon ("kan vi møtes kl. tre" is 15:00): nobody in a
    school books a call at three in the night. A bare time that has passed today is an error,
    not silently tomorrow, so nobody ends up waiting on the wrong day.
    """
    raw = text
    text = " ".join(text.strip().lower().replace(",", " ").split())
    if not text:
        raise TimeParseError("unparseable", raw)
    local_now = now.astimezone(tz)
    if text in NOW_WORDS:
        return local_now.replace(second=0, microsecond=0)
    if match := _IN.match(text):
        amount = int(match.group("n"))
        unit = match.group("unit")
        delta = timedelta(minutes=amount) if unit.startswith("min") else timedelta(hours=amount)
        return (local_now + delta).replace(second=0, microsecond=0)

    day, rest, day_kind = _take_day(text, local_now.date())
    if day is None:
        raise TimeParseError("unparseable", raw)
    clock = parse_clock(rest)
    if clock is None:
        raise TimeParseError("unparseable", raw)
    moment = at_local(day, clock, tz)
    if moment < local_now - timedelta(minutes=1) and day_kind == "weekday":
        # "fre 8:30" said on a Friday afternoon means next Friday.
        moment = at_local(day + timedelta(days=7), clock, tz)
    if moment < local_now - timedelta(minutes=1):
        suggestion = at_local(day + timedelta(days=1), clock, tz) if day_kind == "none" else None
        raise TimeParseError("past", raw, suggestion)
    return moment


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """That wall-clock time on that day in `tz`."""
    # Round-trip through UTC so a time inside a DST gap lands on a real wall-clock time.
    return datetime.combine(day, clock, tzinfo=tz).astimezone(ZoneInfo("UTC")).astimezone(tz)


def _take_day(text: str, today: date) -> tuple[date | None, str, str]:
    """Split a day ("i morgen", "fre", "28.11") off the front or back of `text`.

    Returns (day, the rest, kind) with kind "relative", "weekday", "date" or "none" (today).
    """
    for phrase, offset in sorted(RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
        if text.startswith(phrase + " "):
            return today + timedelta(days=offset), text[len(phrase) :].strip(), "relative"
        if text.endswith(" " + phrase):
            return today + timedelta(days=offset), text[: -len(phrase)].strip(), "relative"
        if text == phrase:
            return None, "", "relative"
    words = text.split(" ")
    if len(words) >= 2:
        for index in (0, len(words) - 1):
            word = words[index].rstrip(".")
            rest = " ".join(words[1:] if index == 0 else words[:-1])
            if word in WEEKDAYS:
                return today + timedelta(days=(WEEKDAYS[word] - today.weekday()) % 7), rest, "weekday"
            found = parse_date(words[index], today)
            if found is not None:
                return found, rest, "date"
    for n in (3, 2):  # "om 3 uker 14", "28. nov 14", "nov 28 14"
        found = parse_date(" ".join(words[:n]), today) if len(words) > n else None
        if found is not None:
            return found, " ".join(words[n:]), "date"
    return today, text, "none"


def parse_date(text: str, today: date) -> date | None:
    """ "14.01", "14/1", "14.01.27", "2027-01-14", "14. januar", "jan 14", "om 3 uker"; the next such date
    from `today`."""
    if match := _DAYS_AHEAD.match(text):
        weeks = match.group("unit").startswith(("uke", "veke", "week"))
        return today + timedelta(days=int(match.group("n")) * (7 if weeks else 1))
    try:
        if match := _ISO.match(text):
            return date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        if match := _DMY.match(text):
            year = match.group("y")
            return _future_date(int(match.group("d")), int(match.group("m")), year, today)
        if match := _DAY_MONTH.match(text):
            month = MONTHS.get(match.group("mon"))
            return _future_date(int(match.group("d")), month, None, today) if month else None
        parts = text.split(" ")
        if len(parts) == 2 and parts[0] in MONTHS and parts[1].isdigit():
            return _future_date(int(parts[1]), MONTHS[parts[0]], None, today)
    except ValueError:
        return None
    return None


def _future_date(day: int, month: int, year: str | None, today: date) -> date:
    if year is not None:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return date(full, month, day)
    found = date(today.year, month, day)
    # "3.1" written in December means next January.
    return found if found >= today - timedelta(days=1) else date(today.year + 1, month, day)


def parse_clock(text: str, *, exact: bool = False) -> time | None:
    """ "12", "kl. 12:30", "9.15", "tre", "3pm"; an hour from 1 to 6 is in the afternoon, unless it
    is written with a leading zero ("03:00" is three at night: whoever writes that means it).

    `exact` reads only a 24-hour clock ("8", "08:00", "14.30") as written: for settings, where
    "3" is three at night."""
    text = text.strip()
    literal = False
    if exact:
        match = _CLOCK.match(text)
        if match is None:
            return None
        hour, minute, ampm, literal = int(match.group("h")), int(match.group("m") or 0), "", True
    elif match := _TIME.match(text):
        hour, minute = int(match.group("h")), int(match.group("m") or 0)
        ampm = (match.group("ampm") or "").replace(".", "")
        literal = match.group("h").startswith("0")
    elif match := _WORD_TIME.match(text):
        word = match.group("w")
        if word not in HOUR_WORDS:
            return None
        hour, minute, ampm = HOUR_WORDS[word], 0, match.group("ampm") or ""
    else:
        return None
    if minute > 59:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif 1 <= hour <= 6 and not literal:
        hour += 12
    if hour > 23:
        return None
    return time(hour, minute)


# -- showing times ---------------------------------------------------------------------------------
# Every date and time a member reads is written here, with Babel (CLDR), in the reader's language
# and the network's (or member's) time zone.
BABEL_LOCALES = {"nb": "nb_NO", "nn": "nn_NO", "en": "en"}
DatePattern = Literal["day_month", "long", "short"]
_ENGLISH_DATES: dict[str, str] = {
    "when": "EEE d MMM{year} HH:mm",
    "short": "EEE HH:mm",
    "moment": "EEEE d MMMM 'at' HH:mm",
    "day_month": "d MMMM",
    "long": "d MMMM y",
    "date": "d MMM y",
}
_NORWEGIAN_DATES: dict[str, str] = {
    "when": "EEE d. MMM{year} 'kl.' HH:mm",
    "short": "EEE HH:mm",
    "moment": "EEEE d. MMMM 'kl.' HH:mm",
    "day_month": "d. MMMM",
    "long": "d. MMMM y",
    "date": "d. MMM y",
}


def babel_locale(language: str) -> str:
    return BABEL_LOCALES.get(language, BABEL_LOCALES["nb"])


# CLDR's short nynorsk weekdays ("fr.", "to.") read as other words and are not what people type;
# nynorsk shows the weekday in full instead.
_NYNORSK_DATES = {**_NORWEGIAN_DATES, "when": "EEEE d. MMM{year} 'kl.' HH:mm", "short": "EEEE HH:mm"}


def _pattern(language: str, name: str) -> str:
    return {"en": _ENGLISH_DATES, "nn": _NYNORSK_DATES}.get(language, _NORWEGIAN_DATES)[name]


def format_when(moment: datetime, tz: ZoneInfo, language: str, now: datetime | None = None) -> str:
    """ "fre. 28. nov. kl. 15:00" in bokmål, "fredag 28. nov. kl. 15:00" in nynorsk, "Fri 28 Nov 15:00" in
    English; with the year ("fre. 14. jan. 2028 kl. 12:00") when it is not the year of `now`, so
    nobody mistakes the year."""
    year = " y" if now is not None and moment.astimezone(tz).year != now.astimezone(tz).year else ""
    pattern = _pattern(language, "when").format(year=year)
    return format_datetime(moment, pattern, tzinfo=tz, locale=babel_locale(language))


def format_short(moment: datetime, tz: ZoneInfo, language: str) -> str:
    """A button-sized time: "fre. 15:00" / "Fri 15:00"."""
    return format_datetime(moment, _pattern(language, "short"), tzinfo=tz, locale=babel_locale(language))


def format_clock(moment: datetime, tz: ZoneInfo) -> str:
    """The time of day alone: "10:25", the same in every language."""
    return moment.astimezone(tz).strftime("%H:%M")


def format_day(moment: datetime, tz: ZoneInfo, language: str, pattern: DatePattern = "long") -> str:
    """A date: "14. september 2026" / "14 September 2026"; "14. september" (day_month); "14. sep.
    2026" (short)."""
    name = "date" if pattern == "short" else pattern
    return format_date(moment.astimezone(tz).date(), _pattern(language, name), locale=babel_locale(language))


def format_calendar_day(day: date, language: str) -> str:
    """A day of the calendar, with no time of day to place: "14. sep. 2026" / "14 Sept 2026"."""
    return format_date(day, _pattern(language, "date"), locale=babel_locale(language))


def format_moment(moment: datetime, tz: ZoneInfo, language: str) -> str:
    """A weekday, date and time in full: "mandag 14. september kl. 08:00" / "Monday 14 September at 08:00"."""
    return format_datetime(moment, _pattern(language, "moment"), tzinfo=tz, locale=babel_locale(language))


def weekday_name(weekday: int, language: str) -> str:
    """ "mandag" / "måndag" / "Monday" for 0; the weekday as the language writes it in a sentence."""
    return format_date(date(2024, 1, 1) + timedelta(days=weekday), "EEEE", locale=babel_locale(language))
