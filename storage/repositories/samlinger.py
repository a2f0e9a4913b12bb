"""The network's meetings (samlinger)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.ideas import Adoption, AdoptionStatus, PracticeIdea
from storage.models.samlinger import Samling


class Samlinger:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, network_id: int, starts_at: datetime, about: str, now: datetime) -> Samling:
        samling = Samling(network_id=network_id, starts_at=starts_at, about=about, created_at=now)
        self.s.add(samling)
        await self.s.flush()
        return samling

    async def get(self, network_id: int, samling_id: int) -> Samling | None:
        samling = await self.s.get(Samling, samling_id)
        return samling if samling is not None and samling.network_id == network_id else None

    async def upcoming(self, network_id: int, after: datetime, limit: int = 10) -> list[Samling]:
        return list(
            (
                await self.s.scalars(
                    select(Samling)
                    .where(Samling.network_id == network_id, Samling.starts_at > after)
                    .order_by(Samling.starts_at)
                    .limit(limit)
                )
            ).all()
        )

    async def since(self, network_id: int, since: datetime) -> list[Samling]:
        """The network's meetings from `since` on, oldest first (for calendar feeds)."""
        query = select(Samling).where(Samling.network_id == network_id, Samling.starts_at >= since)
        return list((await self.s.scalars(query.order_by(Samling.starts_at))).all())

    async def remove(self, samling: Samling) -> None:
        await self.s.delete(samling)

    async def trying_ideas(self, network_id: int) -> int:
        """How many in the network are trying someone's idea now (and can tell how it went)."""
        query = (
            select(func.count())
            .select_from(Adoption)
            .join(PracticeIdea, PracticeIdea.id == Adoption.idea_id)
            .where(PracticeIdea.network_id == network_id, Adoption.status == AdoptionStatus.TRYING)
        )
        return int(await self.s.scalar(query) or 0)
