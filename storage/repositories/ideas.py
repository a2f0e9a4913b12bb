"""Practice ideas, adoptions, follow-ups and experience reports."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import BindParameter, Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.compiled import built_once
from storage.models.core import Member
from storage.models.ideas import (
    Adoption,
    AdoptionStatus,
    ExperienceReport,
    FollowUp,
    FollowUpStatus,
    PracticeIdea,
)


class IdeaText(Protocol):
    """What a card shows of an idea: a stored PracticeIdea, or a line of the idea list."""

    @property
    def id(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def tags(self) -> list[str]: ...


class ListedIdea(NamedTuple):
    # Plain values, not ORM objects: loading ten of those made up much of listing's cost.
    id: int
    text: str
    tags: list[str]


class IdeaTry(NamedTuple):
    """Who wrote an idea, and one member's try of it (None: not tried yet)."""

    author_id: int
    adoption_id: int | None
    status: AdoptionStatus | None


@dataclass(frozen=True)
class IdeaSummary:
    idea: IdeaText
    author_name: str
    author_school: str
    trying: int
    reports: int


def _summaries_statement() -> Select[Any]:
    trying = (
        select(func.count())
        .where(Adoption.idea_id == PracticeIdea.id, Adoption.status != AdoptionStatus.NOT_YET)
        .scalar_subquery()
    )
    reports = select(func.count()).where(ExperienceReport.idea_id == PracticeIdea.id).scalar_subquery()
    return (
        select(
            PracticeIdea.id, PracticeIdea.text, PracticeIdea.tags, Member.display_name, Member.school, trying, reports
        )
        .join(Member, Member.id == PracticeIdea.author_id)
        .where(PracticeIdea.network_id == bindparam("network_id"))
        .order_by(PracticeIdea.created_at.desc(), PracticeIdea.id.desc())
        .limit(bindparam("limit"))
    )


_IDEAS, _ADOPTIONS, _FOLLOW_UPS = PracticeIdea.__table__, Adoption.__table__, FollowUp.__table__
_INSERT_IDEA = built_once(insert(_IDEAS).returning(_IDEAS.c.id))
_INSERT_ADOPTION = built_once(insert(_ADOPTIONS).returning(_ADOPTIONS.c.id))
_INSERT_FOLLOW_UP = built_once(insert(_FOLLOW_UPS).returning(_FOLLOW_UPS.c.id))
_SET_POSTED = built_once(
    update(_IDEAS)
    .where(_IDEAS.c.id == bindparam("idea_id"))
    .values(posted_in=bindparam("posted_in"), posted_message_id=bindparam("message_id"))
)


def _idea_and_try(*columns: Any) -> Select[Any]:
    """`columns` of an idea (`idea_id`) and of one member's (`member_id`) try of it, if any."""
    return (
        select(*columns)
        .outerjoin(Adoption, (Adoption.idea_id == PracticeIdea.id) & (Adoption.member_id == bindparam("member_id")))
        .where(PracticeIdea.id == bindparam("idea_id"))
    )


_TRY = built_once(
    _idea_and_try(
        PracticeIdea.network_id, PracticeIdea.author_id,
        Adoption.id.label("adoption_id"), Adoption.status.label("adoption_status"),
    )
)  # fmt: skip
_SET_ADOPTION_STATUS = built_once(
    update(_ADOPTIONS).where(_ADOPTIONS.c.id == bindparam("adoption_id")).values(status=bindparam("new_status"))
)
_IDEA_WITH_ADOPTION = _idea_and_try(PracticeIdea, Adoption)

# Built once: listing ideas is the most common command, and building this costs more than running it.
_SUMMARIES = built_once(_summaries_statement())
_SUMMARY_BY_ID = built_once(_summaries_statement().where(PracticeIdea.id == bindparam("idea_id")))


@functools.cache  # a search is at most MAX_SEARCH_LENGTH characters long: a few dozen words at most
def _search_statement(n_words: int) -> Select[Any]:
    """Ideas matching every word, in text or school; one statement per number of words, built once."""
    query = _SUMMARIES
    for i in range(n_words):
        pattern: BindParameter[str] = bindparam(f"word{i}")
        query = query.where(
            or_(
                func.lower(PracticeIdea.text).like(pattern, escape="\\"),
                func.lower(Member.school).like(pattern, escape="\\"),
            )
        )
    return built_once(query)


class Ideas:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # The hot inserts go to the table, not through the unit of work: half the cost, and all the
    # caller needs back is the new id.
    async def add(self, network_id: int, author: Member, text: str, tags: list[str], now: datetime) -> int:
        values = {"network_id": network_id, "author_id": author.id, "text": text, "tags": tags, "created_at": now}
        return int(await self.s.scalar(_INSERT_IDEA, values))

    async def with_adoption(
        self, network_id: int, idea_id: int, member_id: int
    ) -> tuple[PracticeIdea, Adoption | None] | None:
        """The idea and the member's adoption of it, in one round trip (None: no such idea here)."""
        row = (await self.s.execute(_IDEA_WITH_ADOPTION, {"idea_id": idea_id, "member_id": member_id})).first()
        if row is None or row[0].network_id != network_id:
            return None
        return row[0], row[1]

    async def try_of(self, network_id: int, idea_id: int, member_id: int) -> IdeaTry | None:
        """Who wrote the idea and how the member tries it, as values (None: no such idea here)."""
        row = (await self.s.execute(_TRY, {"idea_id": idea_id, "member_id": member_id})).first()
        if row is None or row.network_id != network_id:
            return None
        return IdeaTry(row.author_id, row.adoption_id, row.adoption_status)

    async def set_adoption_status(self, adoption_id: int, status: AdoptionStatus) -> None:
        await self.s.execute(_SET_ADOPTION_STATUS, {"adoption_id": adoption_id, "new_status": status})

    async def set_posted(self, idea_id: int, conversation: dict[str, Any], message_id: str) -> None:
        await self.s.execute(_SET_POSTED, {"idea_id": idea_id, "posted_in": conversation, "message_id": message_id})

    async def summary(self, network_id: int, idea_id: int) -> IdeaSummary | None:
        row = (await self.s.execute(_SUMMARY_BY_ID, {"network_id": network_id, "idea_id": idea_id, "limit": 1})).first()
        return _summary(row) if row is not None else None

    async def summaries(self, network_id: int, search: str = "", limit: int = 10) -> list[IdeaSummary]:
        words = search.split()
        params: dict[str, Any] = {"network_id": network_id, "limit": limit}
        params.update({f"word{i}": f"%{_escape_like(word.lower().lstrip('#'))}%" for i, word in enumerate(words)})
        rows = (await self.s.execute(_search_statement(len(words)), params)).all()
        return [_summary(row) for row in rows]

    async def by_author(self, member_id: int) -> list[PracticeIdea]:
        return list(
            (
                await self.s.scalars(
                    select(PracticeIdea).where(PracticeIdea.author_id == member_id).order_by(PracticeIdea.id)
                )
            ).all()
        )

    # -- adoptions --------------------------------------------------------------------------
    async def get_adoption(self, adoption_id: int) -> Adoption | None:
        return await self.s.get(Adoption, adoption_id)

    async def adopt(
        self, idea_id: int, member_id: int, now: datetime, status: AdoptionStatus = AdoptionStatus.TRYING
    ) -> int:
        values = {"idea_id": idea_id, "member_id": member_id, "status": status, "created_at": now}
        return int(await self.s.scalar(_INSERT_ADOPTION, values))

    async def adoptions_for(self, idea_id: int) -> list[Adoption]:
        return list((await self.s.scalars(select(Adoption).where(Adoption.idea_id == idea_id))).all())

    async def delete_idea(self, idea_id: int) -> None:
        """The idea goes with its tries, follow-ups and reports (ON DELETE CASCADE)."""
        await self.s.execute(delete(PracticeIdea).where(PracticeIdea.id == idea_id))

    async def delete_reports(self, idea_id: int, member_id: int) -> int:
        result = await self.s.execute(
            delete(ExperienceReport).where(ExperienceReport.idea_id == idea_id, ExperienceReport.member_id == member_id)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def adoptions_of(self, member_id: int) -> list[tuple[Adoption, PracticeIdea]]:
        rows = await self.s.execute(
            select(Adoption, PracticeIdea)
            .join(PracticeIdea, PracticeIdea.id == Adoption.idea_id)
            .where(Adoption.member_id == member_id)
            .order_by(Adoption.id)
        )
        return [(a, i) for a, i in rows.all()]

    # -- follow-ups -------------------------------------------------------------------------
    async def add_follow_up(self, adoption_id: int, due_at: datetime) -> int:
        values = {"adoption_id": adoption_id, "due_at": due_at, "status": FollowUpStatus.PENDING}
        return int(await self.s.scalar(_INSERT_FOLLOW_UP, values))

    async def get_follow_up(self, follow_up_id: int) -> FollowUp | None:
        return await self.s.get(FollowUp, follow_up_id)

    async def open_follow_ups(self, adoption_id: int) -> list[FollowUp]:
        return list(
            (
                await self.s.scalars(
                    select(FollowUp).where(
                        FollowUp.adoption_id == adoption_id,
                        FollowUp.status.in_([FollowUpStatus.PENDING, FollowUpStatus.SENT]),
                    )
                )
            ).all()
        )

    async def follow_ups_of(self, member_id: int) -> list[tuple[FollowUp, PracticeIdea]]:
        rows = await self.s.execute(
            select(FollowUp, PracticeIdea)
            .join(Adoption, Adoption.id == FollowUp.adoption_id)
            .join(PracticeIdea, PracticeIdea.id == Adoption.idea_id)
            .where(Adoption.member_id == member_id)
            .order_by(FollowUp.due_at)
        )
        return [(f, i) for f, i in rows.all()]

    # -- reports ----------------------------------------------------------------------------
    async def add_report(
        self, idea_id: int, member_id: int, did: str, changed: str, happened: str, now: datetime
    ) -> ExperienceReport:
        report = ExperienceReport(
            idea_id=idea_id,
            member_id=member_id,
            what_we_did=did,
            what_we_changed=changed,
            what_happened=happened,
            created_at=now,
        )
        self.s.add(report)
        await self.s.flush()
        return report

    async def reports_for(self, idea_id: int) -> list[tuple[ExperienceReport, Member]]:
        rows = await self.s.execute(
            select(ExperienceReport, Member)
            .join(Member, Member.id == ExperienceReport.member_id)
            .where(ExperienceReport.idea_id == idea_id)
            .order_by(ExperienceReport.created_at)
        )
        return [(r, m) for r, m in rows.all()]

    async def reports_by(self, member_id: int) -> list[ExperienceReport]:
        return list(
            (await self.s.scalars(select(ExperienceReport).where(ExperienceReport.member_id == member_id))).all()
        )


def _summary(row: Any) -> IdeaSummary:
    idea_id, text, tags, name, school, trying, reports = row
    return IdeaSummary(ListedIdea(idea_id, text, tags), name, school, trying, reports)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
