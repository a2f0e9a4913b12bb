"""The leaders' overview in numbers, on a network whose history is known to the last try."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import Chat
from bot.features.oversikt.figures import compute, period_for, weeks_of
from bot.features.oversikt.service import OverviewService
from storage.repositories.overview import (
    CallRow,
    IdeaRow,
    IssueRow,
    KvRow,
    Raw,
    RoundRow,
    TryRow,
)

OSLO = ZoneInfo("Europe/Oslo")
# The test clock starts on Monday 7 September 2026, 08:00 UTC: the autumn term of 2026.
MONDAY = date(2026, 9, 7)


async def known_network(url: str) -> Chat:
    """Nordby has three members, Sørby three, Vestby and Østby one each."""
    chat = await Chat.start(url)
    for name, school in [
        ("kari", "Nordby"), ("kai", "Nordby"), ("kim", "Nordby"),
        ("ola", "Sørby"), ("siri", "Sørby"), ("sara", "Sørby"),
        ("per", "Vestby"), ("oda", "Østby"),
    ]:  # fmt: skip
        await chat.say(name, f"/samskap bli-med {school}")
    await chat.say("kari", "/ide Vennskapsbenk i friminuttene\nMed faste voksne")  # idea 1, Nordby
    await chat.say("ola", "/ide Exit-lapp etter hver time")  # idea 2, Sørby
    await chat.say("ola", "/ide prøv 1")  # from Nordby to Sørby
    await chat.say("siri", "/ide prøv 1")  # again to Sørby
    await chat.say("kai", "/ide prøv 1")  # within Nordby: not a crossing
    await chat.say("per", "/ide prøv 2")  # from Sørby to Vestby
    await chat.advance(timedelta(days=7))  # the week of 14 September
    await chat.say("ola", "/ide rapport 1 Elevene fant hverandre")
    return chat


async def test_the_circle_counts_ideas_tries_reports_and_crossings_between_schools(any_database_url: str) -> None:
    chat = await known_network(any_database_url)
    try:
        figures = await overview_of(chat, "term")
    finally:
        await chat.close()
    assert figures.period.start == date(2026, 8, 1) and figures.period.end == date(2027, 1, 1)
    circle = figures.circle
    assert (circle.shared, circle.tried, circle.reported, circle.tries_reported) == (2, 4, 1, 1)
    assert (circle.crossed_ideas, circle.crossings) == (2, 3)
    # The first line of a posted idea is its title; one other school tried each.
    assert [(t.title, t.schools) for t in figures.travelled] == [
        ("Vennskapsbenk i friminuttene", 1),
        ("Exit-lapp etter hver time", 1),
    ]
    by_week = {w.monday: (w.shared, w.tried, w.reported) for w in figures.weeks}
    assert by_week[MONDAY] == (2, 4, 0) and by_week[MONDAY + timedelta(days=7)] == (0, 0, 1)
    assert figures.weeks[0].monday == date(2026, 7, 27) and figures.weeks[-1].monday == MONDAY + timedelta(days=7)
    assert (figures.members, figures.schools) == (8, 4)


async def test_participation_is_shown_by_school_and_never_for_a_school_of_fewer_than_three(
    any_database_url: str,
) -> None:
    chat = await known_network(any_database_url)
    try:
        figures = await overview_of(chat, "term")
    finally:
        await chat.close()
    part = figures.participation
    rows = {row.school: row for row in part.schools}
    assert set(rows) == {"Nordby", "Sørby"}  # Vestby and Østby have one member each, two together
    assert part.hidden == 2
    week = part.weeks.index(MONDAY)
    assert rows["Nordby"].members == 3 and rows["Nordby"].shares[week] == pytest.approx(2 / 3)  # kari, kai
    assert rows["Sørby"].shares[week] == pytest.approx(2 / 3)  # ola, siri
    assert rows["Sørby"].shares[week + 1] == pytest.approx(1 / 3)  # ola's report
    assert rows["Nordby"].shares[week + 1] == 0


async def test_the_coming_meetings_show_what_the_bot_posts_before_them(database_url: str) -> None:
    chat = await known_network(database_url)  # now Monday 14 September, 10:00 in Oslo
    try:
        await chat.say("kari", "/samling ny 21.09 12:00 Rådhuset")
        await chat.say("kari", "/samling ny 26.10.2026 12:00 Biblioteket")
        figures = await overview_of(chat, "term")
    finally:
        await chat.close()
    first, second = figures.coming
    assert first.starts_at == datetime(2026, 9, 21, 10, tzinfo=UTC)
    assert [(kind, at.astimezone(OSLO).date()) for kind, at in first.planned] == [
        ("samlinger.reminder", date(2026, 9, 19))
    ]
    # The day after the first meeting is thanked; halfway is planned only once that has run.
    assert [(kind, at.astimezone(OSLO).date()) for kind, at in second.planned] == [
        ("samlinger.after", date(2026, 9, 22)),
        ("samlinger.reminder", date(2026, 10, 24)),
    ]
    assert figures.milestones == (date(2026, 9, 21), date(2026, 10, 26))


async def overview_of(chat: Chat, period: str):  # type: ignore[no-untyped-def]
    from storage.repositories.core import Networks

    async with chat.bot.db.read() as s:
        network = await Networks(s).get(1)
    assert network is not None
    return await chat.bot.services.get(OverviewService).figures(network, period)


def test_periods_follow_the_school_terms() -> None:
    autumn = period_for("term", date(2026, 11, 30))
    assert (autumn.start, autumn.end) == (date(2026, 8, 1), date(2027, 1, 1))
    spring = period_for("term", date(2027, 3, 1))
    assert (spring.start, spring.end) == (date(2027, 1, 1), date(2027, 8, 1))
    assert (period_for("last-term", date(2027, 3, 1)).start, period_for("last-term", date(2027, 3, 1)).end) == (
        date(2026, 8, 1),
        date(2027, 1, 1),
    )
    assert period_for("last-term", date(2026, 9, 1)).start == date(2026, 1, 1)
    year = period_for("year", date(2027, 3, 1))
    assert (year.start, year.end) == (date(2026, 8, 1), date(2027, 8, 1))
    assert period_for("anything else", date(2027, 3, 1)).key == "term"
    assert len(weeks_of(autumn, date(2026, 8, 20))) == 4  # 27 Jul, 3, 10 and 17 August; none to come


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 9, day, hour, tzinfo=UTC)


def test_gatherings_count_rounds_held_and_completed_pairs_met_calls_and_digests() -> None:
    raw = Raw(
        schools={1: "A", 2: "A", 3: "A", 4: "B", 5: "C", 6: "D"},
        ideas=[IdeaRow(1, 1, "Idé", True, at(8))],
        tries=[TryRow(1, 1, 4, "trying", at(9)), TryRow(1, 1, 5, "trying", at(9))],
        reports=[],
        kv=[
            KvRow("done", at(8), at(10)),
            KvRow("running", at(9), None),
            KvRow("done", datetime(2026, 7, 30, tzinfo=UTC), at(8)),  # begun before the term, ended in it
        ],
        rounds=[
            RoundRow(1, "closed", at(7), 3, 2), RoundRow(2, "skipped", at(14), 0, 0), RoundRow(3, "open", at(21), 3, 1),
        ],
        calls=[
            CallRow("done", at(8)), CallRow("confirmed", at(10)), CallRow("cancelled", at(9)),
            CallRow("confirmed", at(25)),
        ],
        issues=[IssueRow("published", at(11)), IssueRow("skipped", at(18))],
        activity=[],
        met=[(6, 1)],  # in the pair of round 1 that met
        titles={},
        meetings=[],
        planned=[],
    )  # fmt: skip
    figures = compute(raw, period_for("term", date(2026, 9, 15)), OSLO, at(15))
    g = figures.gatherings
    assert (g.kv_held, g.kv_completed) == (2, 2)
    assert (g.rounds_held, g.pairs, g.pairs_met) == (1, 3, 2)  # the skipped round and the one to come are left out
    assert g.met_share == pytest.approx(2 / 3)
    assert (g.calls_held, g.issues_sent) == (2, 1)
    # B, C and D have one member each: three together, shown as one row with no name.
    rows = figures.participation.schools
    assert [(r.school, r.members) for r in rows] == [("A", 3), ("", 3)]
    week = figures.participation.weeks.index(date(2026, 9, 7))
    assert rows[1].shares[week] == 1.0  # two tried an idea, one met in samsnakk
    assert rows[0].shares[week] == pytest.approx(1 / 3)  # the idea's author
    assert figures.travelled == ()  # the idea's title is only shown when it was posted: not in `titles`
