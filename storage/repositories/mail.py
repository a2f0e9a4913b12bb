"""Addresses that get the weekly digest by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.mail import MailSubscription


class MailSubscriptions:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, subscription_id: int) -> MailSubscription | None:
        return await self.s.get(MailSubscription, subscription_id)

    async def of_member(self, member_id: int) -> MailSubscription | None:
        return await self.s.scalar(select(MailSubscription).where(MailSubscription.member_id == member_id))

    async def by_address(self, network_id: int, address: str) -> MailSubscription | None:
        query = select(MailSubscription).where(
            MailSubscription.network_id == network_id, MailSubscription.address == address
        )
        return await self.s.scalar(query)

    async def by_confirm_hash(self, confirm_hash: str) -> MailSubscription | None:
        return await self.s.scalar(select(MailSubscription).where(MailSubscription.confirm_hash == confirm_hash))

    async def by_unsubscribe_token(self, token: str) -> MailSubscription | None:
        return await self.s.scalar(select(MailSubscription).where(MailSubscription.unsubscribe_token == token))

    async def add(self, subscription: MailSubscription) -> MailSubscription:
        self.s.add(subscription)
        await self.s.flush()
        return subscription

    async def remove(self, subscription_id: int) -> bool:
        result = await self.s.execute(delete(MailSubscription).where(MailSubscription.id == subscription_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def confirm(self, subscription_id: int, now: datetime) -> bool:
        """Pending → confirmed, once; the confirmation secrets are spent."""
        result = await self.s.execute(
            update(MailSubscription)
            .where(MailSubscription.id == subscription_id, MailSubscription.status == "pending")
            .values(status="confirmed", confirmed_at=now, confirm_hash=None, code_hash=None, confirm_expires_at=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_bounced(self, subscription_id: int, reason: str, now: datetime) -> None:
        await self.s.execute(
            update(MailSubscription)
            .where(MailSubscription.id == subscription_id)
            .values(status="bounced", last_error=reason[:300], bounced_at=now)
        )

    async def confirmed(self, network_id: int) -> list[MailSubscription]:
        query = select(MailSubscription).where(
            MailSubscription.network_id == network_id, MailSubscription.status == "confirmed"
        )
        return list((await self.s.scalars(query.order_by(MailSubscription.id))).all())

    async def counts(self, network_id: int) -> dict[str, int]:
        query = (
            select(MailSubscription.status, func.count())
            .where(MailSubscription.network_id == network_id)
            .group_by(MailSubscription.status)
        )
        return {status: int(n) for status, n in (await self.s.execute(query)).all()}

    async def bounced(self, network_id: int) -> list[MailSubscription]:
        query = select(MailSubscription).where(
            MailSubscription.network_id == network_id, MailSubscription.status == "bounced"
        )
        return list((await self.s.scalars(query.order_by(MailSubscription.bounced_at))).all())
