"""The leaders' overview in numbers: pure functions from what was read to what the page shows.

Counts are by network and by school, never by person. A school with fewer than three members shows
no figures of its own (three people or fewer can be told apart); such schools are counted together
when that group has three members or more, and left out otherwise.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.repositories.overview import Raw

MIN_SCHOOL_SIZE = 3
TRAVELLED_SHOWN = 10
PERIODS = ("term", "last-term", "year")
AUTUMN_MONTH = 8  # the school year and the autumn term begin in August


@dataclass(frozen=True)
class Period:
    key: str  # one of PERIODS
    start: date
    end: date  # exclusive

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time(), tz), datetime.combine(self.end, time(), tz)


def term_start(day: date) -> date:
    return date(day.year, AUTUMN_MONTH, 1) if day.month >= AUTUMN_MONTH else date(day.year, 1, 1)


def term_end(start: date) -> date:
    return date(start.year + 1, 1, 1) if start.month == AUTUMN_MONTH else date(start.year, AUTUMN_MONTH, 1)


def period_for(key: str, today: date) -> Period:
    """This term (August–December or January–July), the term before, or this school year."""
    if key == "last-term":
        start = term_start(term_start(today) - timedelta(days=1))
        return Period(key, start, term_end(start))
    if key == "year":
        year = today.year if today.month >= AUTUMN_MONTH else today.year - 1
        return Period(key, date(year, AUTUMN_MONTH, 1), date(year + 1, AUTUMN_MONTH, 1))
    start = term_start(today)
    return Period("term", start, term_end(start))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_of(period: Period, today: date) -> list[date]:
    """The Mondays of the period's weeks, up to this week (the weeks to come have nothing yet)."""
    last = min(period.end - timedelta(days=1), today)
    weeks, week = [], monday(period.start)
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class Circle:
    shared: int  # ideas shared
    tried: int  # "I'll try this"
    reported: int  # experience reports
    tries_reported: int  # of the period's tries, those that came back with a report
    crossed_ideas: int  # ideas tried at a school other than the author's
    crossings: int  # tries at another school than the author's


@dataclass(frozen=True)
class Week:
    monday: date
    shared: int
    tried: int
    reported: int


@dataclass(frozen=True)
class Travelled:
    title: str
    schools: int  # other schools than the author's where someone tried it


@dataclass(frozen=True)
class Gatherings:
    kv_held: int  # kritisk venn rounds begun
    kv_completed: int  # rounds that went through every phase
    rounds_held: int  # samsnakk pairing rounds
    pairs: int
    pairs_met: int
    calls_held: int
    issues_sent: int  # digest issues published

    @property
    def met_share(self) -> float | None:
        return self.pairs_met / self.pairs if self.pairs else None


@dataclass(frozen=True)
class SchoolRow:
    school: str  # "" for the smaller schools counted together
    members: int
    shares: tuple[float, ...]  # per week, the share of its members who took part


@dataclass(frozen=True)
class Participation:
    weeks: tuple[date, ...]
    schools: tuple[SchoolRow, ...]
    hidden: int  # small schools whose members are too few to be shown even together


@dataclass(frozen=True)
class Coming:
    starts_at: datetime
    planned: tuple[tuple[str, datetime], ...]  # (job kind, when), in order


@dataclass(frozen=True)
class Figures:
    period: Period
    weeks: tuple[Week, ...]
    circle: Circle
    travelled: tuple[Travelled, ...]
    gatherings: Gatherings
    participation: Participation
    milestones: tuple[date, ...]  # the meetings in the period
    coming: tuple[Coming, ...]
    members: int
    schools: int


def compute(raw: Raw, period: Period, tz: ZoneInfo, now: datetime) -> Figures:
    today = now.astimezone(tz).date()
    weeks = weeks_of(period, today)
    start, end = period.bounds(tz)
    return Figures(
        period=period,
        weeks=weekly(raw, weeks, tz),
        circle=circle(raw),
        travelled=travelled(raw),
        gatherings=gatherings(raw, start, end, now),
        participation=participation(raw, weeks, tz),
        milestones=tuple(m.starts_at.astimezone(tz).date() for m in raw.meetings if m.starts_at < end),
        coming=coming(raw, now),
        members=len(raw.schools),
        schools=len(set(raw.schools.values())),
    )


def circle(raw: Raw) -> Circle:
    schools = raw.schools
    crossing = [t for t in raw.tries if _crosses(schools, t.author_id, t.member_id)]
    return Circle(
        shared=len(raw.ideas),
        tried=len(raw.tries),
        reported=len(raw.reports),
        tries_reported=sum(1 for t in raw.tries if t.status == "reported"),
        crossed_ideas=len({t.idea_id for t in crossing}),
        crossings=len(crossing),
    )


def _crosses(schools: dict[int, str], author_id: int, member_id: int) -> bool:
    author, member = schools.get(author_id), schools.get(member_id)
    return author is not None and member is not None and author != member


def travelled(raw: Raw) -> tuple[Travelled, ...]:
    """The ideas tried at most other schools; only titles already posted to the whole network."""
    other_schools: dict[int, set[str]] = defaultdict(set)
    for t in raw.tries:
        if _crosses(raw.schools, t.author_id, t.member_id):
            other_schools[t.idea_id].add(raw.schools[t.member_id])
    shown = [
        (len(schools), idea_id)
        for idea_id, schools in other_schools.items()
        if (idea := raw.titles.get(idea_id)) is not None and idea.posted and idea.title
    ]
    shown.sort(key=lambda pair: (-pair[0], pair[1]))
    return tuple(Travelled(raw.titles[idea_id].title, n) for n, idea_id in shown[:TRAVELLED_SHOWN])


class WeekIndex:
    """Which of the weeks a moment falls in: a search among the weeks' first instants, much faster
    than converting each of a year's thousands of moments to a local date."""

    def __init__(self, weeks: list[date], tz: ZoneInfo) -> None:
        self.starts = [datetime.combine(w, time(), tz).astimezone(UTC) for w in weeks]
        self.end = datetime.combine(weeks[-1] + timedelta(days=7), time(), tz).astimezone(UTC) if weeks else None

    def __call__(self, moment: datetime) -> int | None:
        if self.end is None or moment >= self.end:
            return None
        n = bisect_right(self.starts, moment) - 1
        return n if n >= 0 else None


def weekly(raw: Raw, weeks: list[date], tz: ZoneInfo) -> tuple[Week, ...]:
    week_of = WeekIndex(weeks, tz)

    def count(moments: list[datetime]) -> list[int]:
        counts = [0] * len(weeks)
        for moment in moments:
            if (n := week_of(moment)) is not None:
                counts[n] += 1
        return counts

    shared = count([i.created_at for i in raw.ideas])
    tried = count([t.created_at for t in raw.tries])
    reported = count([r.created_at for r in raw.reports])
    return tuple(Week(w, shared[n], tried[n], reported[n]) for n, w in enumerate(weeks))


def gatherings(raw: Raw, start: datetime, end: datetime, now: datetime) -> Gatherings:
    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    held_rounds = [r for r in raw.rounds if r.status != "skipped" and r.starts_at <= now]
    return Gatherings(
        kv_held=sum(1 for k in raw.kv if within(k.started_at)),
        kv_completed=sum(1 for k in raw.kv if k.status == "done" and within(k.ended_at)),
        rounds_held=len(held_rounds),
        pairs=sum(r.pairs for r in held_rounds),
        pairs_met=sum(r.met for r in held_rounds),
        calls_held=sum(1 for c in raw.calls if c.status in ("confirmed", "done") and c.starts_at <= now),
        issues_sent=sum(1 for i in raw.issues if i.status == "published"),
    )


def participation(raw: Raw, weeks: list[date], tz: ZoneInfo) -> Participation:
    """Per school and week, the share of its members who did anything in the network."""
    size: dict[str, int] = defaultdict(int)
    for school in raw.schools.values():
        size[school] += 1
    small = {school for school, n in size.items() if n < MIN_SCHOOL_SIZE}
    pooled_size = sum(size[s] for s in small)
    pooled = pooled_size >= MIN_SCHOOL_SIZE

    def row_of(school: str) -> str | None:
        if school not in small:
            return school
        return "" if pooled else None

    week_of = WeekIndex(weeks, tz)
    active_in: list[set[int]] = [set() for _ in weeks]  # member ids active in each week
    acts = [
        *((i.author_id, i.created_at) for i in raw.ideas),
        *((t.member_id, t.created_at) for t in raw.tries),
        *((r.member_id, r.created_at) for r in raw.reports),
        *raw.activity,
    ]
    for member_id, moment in acts:
        if (n := week_of(moment)) is not None:
            active_in[n].add(member_id)
    round_week = {r.id: week_of(r.starts_at) for r in raw.rounds}
    for member_id, round_id in raw.met:
        if (n := round_week.get(round_id)) is not None:
            active_in[n].add(member_id)
    row_of_member = {m: row_of(school) for m, school in raw.schools.items()}
    active: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    for n, members in enumerate(active_in):
        for member_id in members:
            if (row := row_of_member.get(member_id)) is not None:
                active[row][n] += 1

    rows = [school for school in sorted(size, key=str.casefold) if school not in small]
    if pooled:
        rows.append("")
    row_size = {**size, "": pooled_size}
    table = tuple(
        SchoolRow(school, row_size[school], tuple(a / row_size[school] for a in active[school]) if school in active
                  else tuple(0.0 for _ in weeks))
        for school in rows
    )  # fmt: skip
    return Participation(tuple(weeks), table, 0 if pooled else len(small))


def coming(raw: Raw, now: datetime) -> tuple[Coming, ...]:
    """The meetings to come, each with what the bot posts before it (what falls between it and the one before)."""
    upcoming = [m for m in raw.meetings if m.starts_at > now]
    result = []
    previous_ids = {m.id: prev.id for prev, m in zip(raw.meetings, raw.meetings[1:], strict=False)}
    for meeting in upcoming:
        before = [
            (p.kind, p.run_at)
            for p in raw.planned
            if p.run_at < meeting.starts_at
            and (
                (p.kind == "samlinger.reminder" and p.samling_id == meeting.id)
                or (p.kind in ("samlinger.after", "samlinger.midway") and p.samling_id == previous_ids.get(meeting.id))
            )
        ]
        result.append(Coming(meeting.starts_at, tuple(sorted(before, key=lambda pair: pair[1]))))
    return tuple(result)
