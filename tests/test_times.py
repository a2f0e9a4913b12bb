"""One reader of times of day and one table of weekdays (bot/times.py) for every feature."""

from __future__ import annotations

from datetime import time

import pytest

from adapters.memory import Chat
from bot.settings import SettingError, parse_clock_time
from bot.times import parse_clock


@pytest.mark.parametrize(("text", "meant"), [("3", time(15)), ("kl. 9", time(9)), ("tre", time(15)), ("3pm", time(15))])
def test_a_time_in_a_sentence_is_read_as_people_say_it(text: str, meant: time) -> None:
    assert parse_clock(text) == meant


@pytest.mark.parametrize(
    ("text", "meant"), [("3", time(3)), ("08:00", time(8)), ("14.30", time(14, 30)), (" 9 ", time(9))]
)
def test_an_exact_time_is_read_on_a_24_hour_clock(text: str, meant: time) -> None:
    assert parse_clock(text, exact=True) == meant


@pytest.mark.parametrize("text", ["kl. 9", "3pm", "tre", "24:00", "9:60", "9:5", "", "9 30"])
def test_an_exact_time_is_only_digits(text: str) -> None:
    assert parse_clock(text, exact=True) is None
    with pytest.raises(SettingError):
        parse_clock_time(text)


def test_a_setting_keeps_its_time_as_hh_mm() -> None:
    assert [parse_clock_time(t) for t in ("8", "08.00", "3", "23:59")] == ["08:00", "08:00", "03:00", "23:59"]


async def test_the_digest_day_is_read_with_the_same_weekdays_as_every_other_command(network_chat: Chat) -> None:
    [reply] = await network_chat.say("kari", "/digest tid tysdag 14:30")  # nynorsk
    assert "tirsdag 8. september kl. 14:30" in reply.text


def test_the_leaders_page_shows_dates_as_the_chat_does_in_each_language() -> None:
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from adapters.web.pages import View
    from bot.i18n import translator

    oslo, now = ZoneInfo("Europe/Oslo"), datetime(2026, 9, 14, 6, 0, tzinfo=UTC)
    seen = {}
    for language in ("nb", "nn", "en"):
        view = View(None, translator(language), oslo, now, "Nettverket")  # type: ignore[arg-type]
        seen[language] = (view.day(date(2026, 9, 14)), view.moment(now))
    assert seen["nb"] == ("14. sep. 2026", "man. 14. sep. kl. 08:00")
    assert seen["nn"] == ("14. sep. 2026", "måndag 14. sep. kl. 08:00")  # was English-style before
    assert seen["en"] == ("14 Sep 2026", "Mon 14 Sep 08:00")
