"""Networks, channels, members, learning notes and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.core import AuditEntry, Channel, LearningNote, Member, Network, Role


# What storage reads of the core's `Conversation` and `User` (storage never imports `bot`):
# any object with these attributes will do.
class ConversationRef(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def workspace_id(self) -> str: ...
    @property
    def id(self) -> str: ...


class UserRef(ConversationRef, Protocol):  # found by the same three ids, and named
    @property
    def display_name(self) -> str: ...


# Built once: every event runs this query, and building a statement costs more than running it.
_NETWORK_AND_MEMBER_BY_CHANNEL = (
    select(Network, Member)
    .join(Channel, Channel.network_id == Network.id)
    .outerjoin(
        Member,
        (Member.network_id == Network.id)
        & (Member.platform == bindparam("user_platform"))
        & (Member.workspace_id == bindparam("user_workspace_id"))
        & (Member.user_id == bindparam("user_id")),
    )
    .where(
        Channel.platform == bindparam("platform"),
        Channel.workspace_id == bindparam("workspace_id"),
        Channel.channel_id == bindparam("channel_id"),
    )
)


class Networks:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, network_id: int) -> Network | None:
        return await self.s.get(Network, network_id)

    async def by_workspace(self, workspace_key: str) -> Network | None:
        return await self.s.scalar(select(Network).where(Network.workspace_key == workspace_key))

    async def by_channel(self, conv: ConversationRef) -> Network | None:
        return await self.s.scalar(
            select(Network)
            .join(Channel, Channel.network_id == Network.id)
            .where(
                Channel.platform == conv.platform,
                Channel.workspace_id == conv.workspace_id,
                Channel.channel_id == conv.id,
            )
        )

    async def with_member_by_channel(
        self, conv: ConversationRef, user: UserRef
    ) -> tuple[Network, Member | None] | None:
        """The channel's network and the user's membership in it, in one round trip (every event asks)."""
        params = {
            "platform": conv.platform,
            "workspace_id": conv.workspace_id,
            "channel_id": conv.id,
            "user_platform": user.platform,
            "user_workspace_id": user.workspace_id,
            "user_id": user.id,
        }
        row = (await self.s.execute(_NETWORK_AND_MEMBER_BY_CHANNEL, params)).first()
        return (row[0], row[1]) if row is not None else None

    async def all(self) -> list[Network]:
        return list((await self.s.scalars(select(Network).order_by(Network.id))).all())

    async def create(
        self, *, name: str, language: str, timezone: str, workspace_key: str | None, now: datetime
    ) -> Network:
        network = Network(
            name=name, language=language, timezone=timezone, workspace_key=workspace_key, settings={}, created_at=now
        )
        self.s.add(network)
        await self.s.flush()
        return network

    async def channels(self, network_id: int) -> list[Channel]:
        return list((await self.s.scalars(select(Channel).where(Channel.network_id == network_id))).all())

    async def channels_shared_by(self, users: Sequence[UserRef], platform: str) -> list[Channel]:
        """The platform's channels of the networks every one of `users` has joined, the oldest network's
        first: where a private thread or group for them can be opened."""
        shared: set[int] | None = None
        members = Members(self.s)
        for user in users:
            ids = {m.network_id for m in await members.networks_of(user)}
            shared = ids if shared is None else shared & ids
        found = []
        for network_id in sorted(shared or ()):
            found += [c for c in await self.channels(network_id) if c.platform == platform]
        return found

    async def link_channel(self, network: Network, conv: ConversationRef, name: str, now: datetime) -> Channel:
        existing = await self.s.scalar(
            select(Channel).where(
                Channel.platform == conv.platform,
                Channel.workspace_id == conv.workspace_id,
                Channel.channel_id == conv.id,
            )
        )
        if existing is not None:
            existing.network_id = network.id
            return existing
        channel = Channel(
            network_id=network.id,
            platform=conv.platform,
            workspace_id=conv.workspace_id,
            channel_id=conv.id,
            name=name,
            created_at=now,
        )
        self.s.add(channel)
        await self.s.flush()
        return channel

    async def unlink_channel(self, conv: ConversationRef) -> bool:
        result = await self.s.execute(
            delete(Channel).where(
                Channel.platform == conv.platform,
                Channel.workspace_id == conv.workspace_id,
                Channel.channel_id == conv.id,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class Members:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, member_id: int) -> Member | None:
        return await self.s.get(Member, member_id)

    async def by_ids(self, ids: Sequence[int]) -> list[Member]:
        return list((await self.s.scalars(select(Member).where(Member.id.in_(ids)))).all())

    async def by_user(self, network_id: int, user: UserRef) -> Member | None:
        return await self.s.scalar(
            select(Member).where(
                Member.network_id == network_id,
                Member.platform == user.platform,
                Member.workspace_id == user.workspace_id,
                Member.user_id == user.id,
            )
        )

    async def networks_of(self, user: UserRef) -> list[Member]:
        return list(
            (
                await self.s.scalars(
                    select(Member).where(
                        Member.platform == user.platform,
                        Member.workspace_id == user.workspace_id,
                        Member.user_id == user.id,
                    )
                )
            ).all()
        )

    async def first_membership(self, user: UserRef) -> Member | None:
        """The membership a user is known by where nothing names a network (a direct message,
        Slack's home tab, an adapter's own notices): the one they joined first."""
        return await self.s.scalar(
            select(Member)
            .where(
                Member.platform == user.platform, Member.workspace_id == user.workspace_id, Member.user_id == user.id
            )
            .order_by(Member.id)
            .limit(1)
        )

    async def by_display_name(self, network_id: int, name: str) -> Member | None:
        return await self.s.scalar(
            select(Member).where(Member.network_id == network_id, func.lower(Member.display_name) == name.lower())
        )

    async def by_platform_id(self, network_id: int, user_id: str) -> Member | None:
        return await self.s.scalar(select(Member).where(Member.network_id == network_id, Member.user_id == user_id))

    async def in_network(self, network_id: int) -> list[Member]:
        return list(
            (await self.s.scalars(select(Member).where(Member.network_id == network_id).order_by(Member.id))).all()
        )

    async def leaders(self, network_id: int, *, lock: bool = False) -> list[Member]:
        """The network's leaders; `lock` holds their rows until commit (two leaving at once)."""
        query = select(Member).where(Member.network_id == network_id, Member.role == Role.NETWORK_LEADER)
        if lock:
            query = query.with_for_update()
        return list((await self.s.scalars(query)).all())

    async def count(self, network_id: int) -> int:
        return int(await self.s.scalar(select(func.count()).where(Member.network_id == network_id)) or 0)

    async def add(self, network: Network, user: UserRef, school: str, role: Role, now: datetime) -> Member:
        member = Member(
            network_id=network.id,
            platform=user.platform,
            workspace_id=user.workspace_id,
            user_id=user.id,
            display_name=user.display_name or user.id,
            school=school,
            role=role,
            opt_ins={},
            joined_at=now,
        )
        self.s.add(member)
        await self.s.flush()
        return member

    async def delete(self, member: Member) -> None:
        await self.s.delete(member)


class Notes:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, network_id: int, member_id: int, source: str, text: str, now: datetime) -> LearningNote:
        note = LearningNote(network_id=network_id, member_id=member_id, source=source, text=text, created_at=now)
        self.s.add(note)
        await self.s.flush()
        return note

    async def between(self, network_id: int, since: datetime, until: datetime) -> list[LearningNote]:
        return list(
            (
                await self.s.scalars(
                    select(LearningNote)
                    .where(
                        LearningNote.network_id == network_id,
                        LearningNote.created_at >= since,
                        LearningNote.created_at < until,
                    )
                    .order_by(LearningNote.created_at)
                )
            ).all()
        )

    async def of_member(self, member_id: int) -> list[LearningNote]:
        query = select(LearningNote).where(LearningNote.member_id == member_id).order_by(LearningNote.created_at)
        return list((await self.s.scalars(query)).all())


class Audit:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def record(
        self, network_id: int, actor_member_id: int | None, action: str, details: dict[str, Any], now: datetime
    ) -> None:
        self.s.add(
            AuditEntry(
                network_id=network_id, actor_member_id=actor_member_id, action=action, details=details, created_at=now
            )
        )

    async def recent(self, network_id: int, limit: int = 50) -> list[AuditEntry]:
        return list(
            (
                await self.s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.network_id == network_id)
                    .order_by(AuditEntry.id.desc())
                    .limit(limit)
                )
            ).all()
        )

    async def by_actor(self, network_id: int, member_id: int) -> list[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.network_id == network_id, AuditEntry.actor_member_id == member_id)
            .order_by(AuditEntry.id)
        )
        return list((await self.s.scalars(query)).all())
