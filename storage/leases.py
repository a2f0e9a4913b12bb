"""Rows a worker claims under a lease: the scheduler's jobs and the outbox's deliveries.

A row waits ("pending") until it is due. A worker claims it by stamping it held ("running",
"sending") with the end of its lease and counting the attempt; while the lease lasts no other
worker takes it, and once the lease has run out (the worker died, or stopped halfway and gave it
back) the next worker to claim takes it over. The holder renews the lease while its work lasts.

On PostgreSQL the claim picks its rows `FOR UPDATE SKIP LOCKED`, so workers claiming at the same
moment take different rows instead of waiting for each other and losing the race. On SQLite every
write of a process goes through one connection, so claims never overlap and need no row locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models.runtime import Delivery, ScheduledJob

Row = TypeVar("Row", ScheduledJob, Delivery)


@dataclass(frozen=True)
class Leases(Generic[Row]):
    """The lease columns of one table (`status`, `locked_until`, `attempts`) and what they mean there."""

    model: type[Row]
    due_at: InstrumentedAttribute[datetime]  # when a waiting row is due
    held: str  # the status of a claimed row
    waiting: str = "pending"

    def due(self, now: datetime) -> ColumnElement[bool]:
        """Waiting and due, or held by a worker whose lease has run out."""
        m = self.model
        return ((m.status == self.waiting) & (self.due_at <= now)) | ((m.status == self.held) & (m.locked_until < now))

    async def claim(
        self,
        session: AsyncSession,
        now: datetime,
        lease: timedelta,
        *,
        limit: int = 1,
        where: ColumnElement[bool] | None = None,
        values: dict[str, Any] | None = None,
    ) -> list[Row]:
        """Claim up to `limit` due rows (the earliest first, and only those `where` allows) in one
        statement; returns them as claimed. `values` are further columns to set; their expressions
        read the row as it was before the claim."""
        m = self.model
        pick = select(m.id).where(self.due(now))
        if where is not None:
            pick = pick.where(where)
        # A CTE, so that PostgreSQL picks once: an `IN (subquery)` may be run again for each row,
        # each run skipping the rows the previous ones locked, and claim more than `limit`.
        picked = pick.order_by(self.due_at, m.id).limit(limit).with_for_update(skip_locked=True).cte("picked")
        claimed = (
            update(m)
            .where(m.id.in_(select(picked.c.id)), self.due(now))
            .values(status=self.held, locked_until=now + lease, attempts=m.attempts + 1, **(values or {}))
            .returning(m)
            .execution_options(synchronize_session=False)
        )
        return list((await session.scalars(claimed)).all())

    async def renew(self, session: AsyncSession, ids: list[int], until: datetime) -> int:
        """Move the lease of the rows still held to `until`; returns how many."""
        m = self.model
        renewed = update(m).where(m.id.in_(ids), m.status == self.held).values(locked_until=until)
        return int((await session.execute(renewed)).rowcount or 0)  # type: ignore[attr-defined]

    async def release(self, session: AsyncSession, ids: list[int], now: datetime) -> int:
        """Give up the lease of the rows still held, so that the next claim takes them over at once."""
        return await self.renew(session, ids, now - timedelta(seconds=1))
