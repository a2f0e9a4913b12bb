"""Tenants, personal chats and open forms for the Teams adapter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.teams import TeamsForm, TeamsPerson, TeamsTenant


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

    async def forget(self, tenant_id: str, user_id: str) -> None:
        await self.s.execute(
            delete(TeamsPerson).where(TeamsPerson.tenant_id == tenant_id, TeamsPerson.user_id == user_id)
        )


class Forms:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, key: str) -> TeamsForm | None:
        return await self.s.get(TeamsForm, key)

    async def put(self, key: str, user_id: str, data: dict[str, Any], now: datetime) -> None:
        row = await self.s.get(TeamsForm, key)
        if row is None:
            self.s.add(TeamsForm(key=key, user_id=user_id, data=data, created_at=now))
        else:
            row.data = data
        await self.s.flush()

    async def remove(self, key: str) -> None:
        await self.s.execute(delete(TeamsForm).where(TeamsForm.key == key))

    async def of(self, user_id: str) -> list[TeamsForm]:
        return list((await self.s.scalars(select(TeamsForm).where(TeamsForm.user_id == user_id))).all())

    async def remove_of(self, user_id: str) -> None:
        await self.s.execute(delete(TeamsForm).where(TeamsForm.user_id == user_id))

    async def remove_older_than(self, cutoff: datetime) -> None:
        await self.s.execute(delete(TeamsForm).where(TeamsForm.created_at < cutoff))
