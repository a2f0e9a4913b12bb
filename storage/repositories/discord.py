"""Stored button ids and open forms for the Discord adapter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.discord import DiscordStash


class Stash:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, key: str, kind: str) -> DiscordStash | None:
        row = await self.s.get(DiscordStash, key)
        return row if row is not None and row.kind == kind else None

    async def put(self, key: str, kind: str, data: dict[str, Any], now: datetime, user_id: str = "") -> None:
        """Insert or replace; the same key always carries the same button, so replacing is harmless."""
        row = await self.s.get(DiscordStash, key)
        if row is None:
            self.s.add(DiscordStash(key=key, kind=kind, data=data, user_id=user_id, created_at=now))
        else:
            row.data, row.user_id = data, user_id
        await self.s.flush()

    async def remove(self, key: str) -> None:
        await self.s.execute(delete(DiscordStash).where(DiscordStash.key == key))

    async def forms_of(self, user_id: str) -> list[DiscordStash]:
        rows = await self.s.scalars(
            select(DiscordStash).where(DiscordStash.kind == "form", DiscordStash.user_id == user_id)
        )
        return list(rows.all())

    async def remove_forms_of(self, user_id: str) -> None:
        await self.s.execute(delete(DiscordStash).where(DiscordStash.kind == "form", DiscordStash.user_id == user_id))

    async def remove_forms_older_than(self, cutoff: datetime) -> None:
        await self.s.execute(delete(DiscordStash).where(DiscordStash.kind == "form", DiscordStash.created_at < cutoff))
