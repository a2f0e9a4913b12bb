"""Tenants, people, and open forms and offered files for the Teams adapter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.teams import TeamsPerson, TeamsStash, TeamsTenant


class Tenants:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, tenant_id: str) -> TeamsTenant | None:
        return await self.s.get(TeamsTenant, tenant_id)

    async def remember(self, tenant_id: str, service_url: str, bot_id: str, now: datetime) -> None:
        row = await self.s.get(TeamsTenant, tenant_id)
        if row is None:
            self.s.add(TeamsTenant(tenant_id=tenant_id, service_url=service_url, bot_id=bot_id, updated_at=now))
        else:
            row.service_url, row.bot_id, row.updated_at = service_url, bot_id, now
        await self.s.flush()


class People:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, tenant_id: str, user_id: str) -> TeamsPerson | None:
        return await self.s.get(TeamsPerson, (tenant_id, user_id))

    async def remember(self, tenant_id: str, user_id: str, teams_id: str, conversation_id: str, now: datetime) -> None:
        """Keep the Teams id, and the personal chat when one is given ("" keeps the known one)."""
        row = await self.s.get(TeamsPerson, (tenant_id, user_id))
        if row is None:
            self.s.add(TeamsPerson(tenant_id=tenant_id, user_id=user_id, teams_id=teams_id,
                                   conversation_id=conversation_id, updated_at=now))  # fmt: skip
        else:
            row.teams_id, row.updated_at = teams_id, now
            row.conversation_id = conversation_id or row.conversation_id
        await self.s.flush()

    async def by_teams_ids(self, tenant_id: str, teams_ids: list[str]) -> dict[str, str]:
        """Teams ids → the user ids samskap knows them by, for those it has met."""
        if not teams_ids:
            return {}
        rows = await self.s.scalars(
            select(TeamsPerson).where(TeamsPerson.tenant_id == tenant_id, TeamsPerson.teams_id.in_(teams_ids))
        )
        return {row.teams_id: row.user_id for row in rows}

    async def forget(self, tenant_id: str, user_id: str) -> None:
        await self.s.execute(
            delete(TeamsPerson).where(TeamsPerson.tenant_id == tenant_id, TeamsPerson.user_id == user_id)
        )


class Stash:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, key: str, kind: str) -> TeamsStash | None:
        row = await self.s.get(TeamsStash, key)
        return row if row is not None and row.kind == kind else None

    async def put(self, key: str, kind: str, user_id: str, data: dict[str, Any], now: datetime) -> None:
        self.s.add(TeamsStash(key=key, kind=kind, user_id=user_id, data=data, created_at=now))
        await self.s.flush()

    async def remove(self, key: str) -> bool:
        """Remove `key`; False when it was gone already (another press of the same button)."""
        result = await self.s.execute(delete(TeamsStash).where(TeamsStash.key == key))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def of(self, user_id: str) -> list[TeamsStash]:
        return list((await self.s.scalars(select(TeamsStash).where(TeamsStash.user_id == user_id))).all())

    async def remove_of(self, user_id: str) -> None:
        await self.s.execute(delete(TeamsStash).where(TeamsStash.user_id == user_id))

    async def remove_older_than(self, cutoff: datetime) -> None:
        await self.s.execute(delete(TeamsStash).where(TeamsStash.created_at < cutoff))
