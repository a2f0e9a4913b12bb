"""Personal calendar feeds: the hash of each member's live link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.calendar import CalendarFeed
from storage.models.core import Member


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
