"""Personal calendar feeds: the hash of each member's live link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.calendar import CalendarFeed
from storage.models.core import Member
from storage.models.samlinger import Samling
from storage.models.samsnakk import SamsnakkCall


class CalendarFeeds:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def replace(self, member_id: int, token_hash: str, now: datetime) -> None:
        """A new link for the member; the one they had stops working."""
        await self.revoke(member_id)
        self.s.add(CalendarFeed(member_id=member_id, token_hash=token_hash, created_at=now))
        await self.s.flush()

    async def revoke(self, member_id: int) -> bool:
        result = await self.s.execute(delete(CalendarFeed).where(CalendarFeed.member_id == member_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def member_of(self, token_hash: str) -> Member | None:
        query = select(Member).join(CalendarFeed, CalendarFeed.member_id == Member.id)
        return await self.s.scalar(query.where(CalendarFeed.token_hash == token_hash))

    async def created(self, member_id: int) -> datetime | None:
        return await self.s.scalar(select(CalendarFeed.created_at).where(CalendarFeed.member_id == member_id))

    async def meetings_since(self, network_id: int, since: datetime) -> list[Samling]:
        query = select(Samling).where(Samling.network_id == network_id, Samling.starts_at >= since)
        return list((await self.s.scalars(query.order_by(Samling.starts_at))).all())

    async def calls_of(self, member_id: int, since: datetime) -> list[SamsnakkCall]:
        """The member's calls that were booked (they have a room), cancelled ones too: a calendar that
        had the call learns it is off."""
        query = select(SamsnakkCall).where(
            SamsnakkCall.room.is_not(None),
            SamsnakkCall.starts_at >= since,
            or_(
                SamsnakkCall.requester_id == member_id,
                SamsnakkCall.partner_id == member_id,
                SamsnakkCall.guest_id == member_id,
            ),
        )
        return list((await self.s.scalars(query.order_by(SamsnakkCall.starts_at))).all())

    async def members(self, ids: Sequence[int]) -> list[Member]:
        return list((await self.s.scalars(select(Member).where(Member.id.in_(ids)))).all())
