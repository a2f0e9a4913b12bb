"""What the leaders' overview page counts, read for one network and one period in a few queries.

Only ids, schools, statuses and times are read: the page shows counts, never people, and the
only words it shows are the first lines of ideas that were posted to the whole network.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.core import LearningNote, Member
from storage.models.digest import DigestIssue, DigestShare
from storage.models.ideas import Adoption, ExperienceReport, PracticeIdea
from storage.models.kritisk_venn import KvContribution, KvSession
from storage.models.runtime import ScheduledJob
from storage.models.samlinger import Samling
from storage.models.samsnakk import SamsnakkCall, SamsnakkGroup, SamsnakkGroupMember, SamsnakkRound
from storage.models.web import WebSecret

# The first line of an idea is its title; longer ones are cut here (the page shortens further).
TITLE_CHARS = 120
UNIX_EPOCH_JULIAN_DAY = 2440587.5


class IdeaRow(NamedTuple):
    id: int
    author_id: int
    title: str
    posted: bool  # announced in the network's channel, so its title is already known to all
    created_at: datetime


class TryRow(NamedTuple):
    idea_id: int
    author_id: int
    member_id: int
    status: str
    created_at: datetime


class ReportRow(NamedTuple):
    idea_id: int
    member_id: int
    created_at: datetime


class KvRow(NamedTuple):
    status: str
    started_at: datetime | None
    ended_at: datetime | None


class RoundRow(NamedTuple):
    id: int
    status: str
    starts_at: datetime
    pairs: int
    met: int


class CallRow(NamedTuple):
    status: str
    starts_at: datetime


class IssueRow(NamedTuple):
    status: str
    published_at: datetime | None


class Activity(NamedTuple):
    member_id: int
    at: datetime


class MeetingRow(NamedTuple):
    id: int
    starts_at: datetime


class PlannedRow(NamedTuple):
    kind: str
    run_at: datetime
    samling_id: int


@dataclass(frozen=True)
class Raw:
    """Everything the figures are computed from, for one network and period."""

    schools: dict[int, str]  # member id -> school, for every current member
    ideas: list[IdeaRow]
    tries: list[TryRow]
    reports: list[ReportRow]
    kv: list[KvRow]
    rounds: list[RoundRow]
    calls: list[CallRow]
    issues: list[IssueRow]
    # What members did beside ideas, tries and reports: took part in a round or a call, shared a link
    # or a note; and (member, round) for the members of samsnakk pairs that met.
    activity: list[Activity]
    met: list[tuple[int, int]]
    titles: dict[int, IdeaRow]  # the ideas tried in the period, whenever they were shared
    meetings: list[MeetingRow]  # the meeting calendar in the period and after it
    planned: list[PlannedRow]  # what the bot will post before and between the coming meetings


def _idea_columns(at: Any) -> Any:
    return select(
        PracticeIdea.id,
        PracticeIdea.author_id,
        func.substr(PracticeIdea.text, 1, TITLE_CHARS),
        PracticeIdea.posted_message_id.is_not(None),
        at(PracticeIdea.created_at),
    )


def _idea_row(idea_id: int, author_id: int, text: str | None, posted: Any, created_at: Any) -> IdeaRow:
    return IdeaRow(idea_id, author_id, (text or "").split("\n", 1)[0].strip(), bool(posted), _moment(created_at))


def _moment(seconds: Any) -> datetime:
    return datetime.fromtimestamp(float(seconds), UTC)


class Overview:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    def _at(self, column: Any) -> Any:
        """A time as seconds since 1970: a year's thousands of rows are read many times faster as
        numbers than as datetimes (SQLite keeps text that would be parsed row by row)."""
        if self.s.get_bind().dialect.name == "sqlite":
            return (func.julianday(column) - UNIX_EPOCH_JULIAN_DAY) * 86400.0
        return cast(func.extract("epoch", column), Float)  # a float, not a Decimal to convert

    async def _rows(self, query: Any) -> Any:
        """Rows of plain values through the connection: the ORM's handling of a statement is not needed.
        (Run as the session runs its own statements: `AsyncConnection.execute` insists that the driver
        waits for something, and SQLite's reads usually answer at once, on the event loop's thread.)"""
        return await self.s.run_sync(lambda session: session.connection().execute(query))

    async def raw(self, network_id: int, start: datetime, end: datetime, now: datetime) -> Raw:
        members = await self._rows(select(Member.id, Member.school).where(Member.network_id == network_id))
        meetings = await self._meetings(network_id, start)
        ideas = await self._ideas(network_id, start, end)
        tries = await self._tries(network_id, start, end)
        rounds = await self._rounds(network_id, start, end)
        return Raw(
            schools={row.id: row.school for row in members},
            ideas=ideas,
            tries=tries,
            reports=await self._reports(network_id, start, end),
            kv=await self._kv(network_id, start, end),
            rounds=rounds,
            calls=await self._calls(network_id, start, end),
            issues=await self._issues(network_id, start, end),
            activity=await self._activity(network_id, start, end),
            met=await self._met(rounds),
            titles=await self._titles(ideas, {t.idea_id for t in tries}),
            meetings=meetings,
            planned=await self._planned([m.id for m in meetings], now),
        )

    async def _ideas(self, network_id: int, start: datetime, end: datetime) -> list[IdeaRow]:
        query = _idea_columns(self._at).where(
            PracticeIdea.network_id == network_id, PracticeIdea.created_at >= start, PracticeIdea.created_at < end
        )
        return [_idea_row(*row) for row in await self._rows(query)]

    async def _titles(self, ideas: list[IdeaRow], tried: set[int]) -> dict[int, IdeaRow]:
        known = {idea.id: idea for idea in ideas}
        missing = sorted(tried - known.keys())
        for chunk in range(0, len(missing), 500):
            query = _idea_columns(self._at).where(PracticeIdea.id.in_(missing[chunk : chunk + 500]))
            known.update((row.id, row) for row in (_idea_row(*r) for r in await self._rows(query)))
        return {idea_id: known[idea_id] for idea_id in tried if idea_id in known}

    async def _tries(self, network_id: int, start: datetime, end: datetime) -> list[TryRow]:
        query = (
            select(
                Adoption.idea_id,
                PracticeIdea.author_id,
                Adoption.member_id,
                Adoption.status,
                self._at(Adoption.created_at),
            )
            .join(PracticeIdea, PracticeIdea.id == Adoption.idea_id)
            .where(PracticeIdea.network_id == network_id, Adoption.created_at >= start, Adoption.created_at < end)
        )
        return [TryRow(i, a, m, str(getattr(s, "value", s)), _moment(c)) for i, a, m, s, c in await self._rows(query)]

    async def _reports(self, network_id: int, start: datetime, end: datetime) -> list[ReportRow]:
        query = (
            select(ExperienceReport.idea_id, ExperienceReport.member_id, self._at(ExperienceReport.created_at))
            .join(PracticeIdea, PracticeIdea.id == ExperienceReport.idea_id)
            .where(
                PracticeIdea.network_id == network_id,
                ExperienceReport.created_at >= start,
                ExperienceReport.created_at < end,
            )
        )
        return [ReportRow(i, m, _moment(c)) for i, m, c in await self._rows(query)]

    async def _kv(self, network_id: int, start: datetime, end: datetime) -> list[KvRow]:
        started = and_(KvSession.started_at >= start, KvSession.started_at < end)
        ended = and_(KvSession.ended_at >= start, KvSession.ended_at < end)
        query = select(KvSession.status, KvSession.started_at, KvSession.ended_at).where(
            KvSession.network_id == network_id, or_(started, ended)
        )
        return [KvRow(*row) for row in await self._rows(query)]

    async def _rounds(self, network_id: int, start: datetime, end: datetime) -> list[RoundRow]:
        met = func.sum(func.cast(SamsnakkGroup.status == "met", SamsnakkGroup.id.type))
        query = (
            select(
                SamsnakkRound.id,
                SamsnakkRound.status,
                SamsnakkRound.starts_at,
                func.count(SamsnakkGroup.id),
                func.coalesce(met, 0),
            )
            .outerjoin(SamsnakkGroup, SamsnakkGroup.round_id == SamsnakkRound.id)
            .where(
                SamsnakkRound.network_id == network_id, SamsnakkRound.starts_at >= start, SamsnakkRound.starts_at < end
            )
            .group_by(SamsnakkRound.id, SamsnakkRound.status, SamsnakkRound.starts_at)
        )
        return [RoundRow(i, s, at, int(p), int(m)) for i, s, at, p, m in await self._rows(query)]

    async def _calls(self, network_id: int, start: datetime, end: datetime) -> list[CallRow]:
        query = select(SamsnakkCall.status, self._at(SamsnakkCall.starts_at)).where(
            SamsnakkCall.network_id == network_id, SamsnakkCall.starts_at >= start, SamsnakkCall.starts_at < end
        )
        return [CallRow(status, _moment(at)) for status, at in await self._rows(query)]

    async def _issues(self, network_id: int, start: datetime, end: datetime) -> list[IssueRow]:
        query = select(DigestIssue.status, DigestIssue.published_at).where(
            DigestIssue.network_id == network_id, DigestIssue.published_at >= start, DigestIssue.published_at < end
        )
        return [IssueRow(*row) for row in await self._rows(query)]

    async def _activity(self, network_id: int, start: datetime, end: datetime) -> list[Activity]:
        """Who else did something when (ideas, tries and reports are read already): one round trip."""

        def within(column: Any) -> Any:
            return and_(column >= start, column < end)

        kv = (
            select(KvContribution.member_id, self._at(KvContribution.created_at))
            .join(KvSession, KvSession.id == KvContribution.session_id)
            .where(KvSession.network_id == network_id, within(KvContribution.created_at))
        )
        calls = [
            select(column, self._at(SamsnakkCall.starts_at)).where(
                SamsnakkCall.network_id == network_id,
                SamsnakkCall.status.in_(("confirmed", "done")),
                column.is_not(None),
                within(SamsnakkCall.starts_at),
            )
            for column in (SamsnakkCall.requester_id, SamsnakkCall.partner_id)
        ]
        shares = select(DigestShare.member_id, self._at(DigestShare.created_at)).where(
            DigestShare.network_id == network_id, DigestShare.member_id.is_not(None), within(DigestShare.created_at)
        )
        notes = select(LearningNote.member_id, self._at(LearningNote.created_at)).where(
            LearningNote.network_id == network_id, within(LearningNote.created_at)
        )
        union = kv.union_all(*calls, shares, notes)
        return [Activity(m, _moment(at)) for m, at in await self._rows(union)]

    async def _met(self, rounds: list[RoundRow]) -> list[tuple[int, int]]:
        """(member, round) for the members of pairs that met: the most numerous rows, so ids only."""
        if not rounds:
            return []
        query = (
            select(SamsnakkGroupMember.member_id, SamsnakkGroup.round_id)
            .join(SamsnakkGroup, SamsnakkGroup.id == SamsnakkGroupMember.group_id)
            .where(SamsnakkGroup.round_id.in_([r.id for r in rounds]), SamsnakkGroup.status == "met")
        )
        return [(member_id, round_id) for member_id, round_id in await self._rows(query)]

    async def _meetings(self, network_id: int, start: datetime) -> list[MeetingRow]:
        query = (
            select(Samling.id, Samling.starts_at)
            .where(Samling.network_id == network_id, Samling.starts_at >= start)
            .order_by(Samling.starts_at)
            .limit(100)
        )
        return [MeetingRow(*row) for row in await self._rows(query)]

    async def _planned(self, samling_ids: list[int], now: datetime) -> list[PlannedRow]:
        """The meeting prompts still to be sent (reminder, the day after, halfway to the next)."""
        if not samling_ids:
            return []
        kinds = ("samlinger.reminder", "samlinger.after", "samlinger.midway")
        keys = [f"{kind}:{samling_id}" for kind in kinds for samling_id in samling_ids]
        query = select(ScheduledJob.kind, ScheduledJob.run_at, ScheduledJob.key).where(
            ScheduledJob.key.in_(keys), ScheduledJob.status == "pending", ScheduledJob.run_at > now
        )
        rows = await self._rows(query)
        return [PlannedRow(kind, run_at, int(key.rsplit(":", 1)[1])) for kind, run_at, key in rows]


class WebSecrets:
    """The signing key all workers share when none is configured: made once, kept in the database."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get_or_create(self, name: str, now: datetime) -> str:
        dialect = self.s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        candidate = secrets.token_urlsafe(48)
        # Two workers starting at once: the first insert wins and both read the same key.
        await self.s.execute(
            insert(WebSecret).values(name=name, value=candidate, created_at=now).on_conflict_do_nothing()
        )
        value = await self.s.scalar(select(WebSecret.value).where(WebSecret.name == name))
        assert value is not None
        return value
