"""Kritisk venn rounds, their friends and contributions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.core import Member
from storage.models.kritisk_venn import KvContribution, KvFriend, KvSession

ACTIVE = ("inviting", "running")
# A friend who still counts as taking part (an open invitation or a yes).
TAKING_PART = ("invited", "accepted")


class KritiskVennRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # -- rounds --------------------------------------------------------------------------------
    async def add(self, **values: Any) -> KvSession:
        row = KvSession(**values)
        self.s.add(row)
        await self.s.flush()
        return row

    async def get(self, session_id: int) -> KvSession | None:
        return await self.s.get(KvSession, session_id)

    async def by_token(self, token: str) -> KvSession | None:
        return await self.s.scalar(select(KvSession).where(KvSession.token == token))

    async def by_conversation(self, conversation_key: str) -> KvSession | None:
        """The newest round that runs in this thread or group."""
        return await self.s.scalar(
            select(KvSession)
            .where(KvSession.conversation_key == conversation_key)
            .order_by(KvSession.id.desc())
            .limit(1)
        )

    async def of_member(self, member_id: int, limit: int = 20) -> list[KvSession]:
        """Rounds where the member presents or is (or was asked to be) a friend, newest first."""
        friend_of = select(KvFriend.session_id).where(KvFriend.member_id == member_id)
        return list(
            (
                await self.s.scalars(
                    select(KvSession)
                    .where(or_(KvSession.presenter_id == member_id, KvSession.id.in_(friend_of)))
                    .order_by(KvSession.id.desc())
                    .limit(limit)
                )
            ).all()
        )

    async def move_phase(
        self, session_id: int, from_phase: int, to_phase: int, started: datetime, deadline: datetime | None
    ) -> bool:
        """Move a running round on, only if it is still in `from_phase` (two triggers, one move)."""
        result = await self.s.execute(
            update(KvSession)
            .where(KvSession.id == session_id, KvSession.phase == from_phase, KvSession.status == "running")
            .values(phase=to_phase, phase_started_at=started, phase_deadline=deadline)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def set_status(self, session_id: int, from_statuses: tuple[str, ...], status: str, now: datetime) -> bool:
        values: dict[str, Any] = {"status": status}
        if status in ("done", "cancelled"):
            values["ended_at"] = now
        if status == "running":
            values["started_at"] = now
        result = await self.s.execute(
            update(KvSession).where(KvSession.id == session_id, KvSession.status.in_(from_statuses)).values(**values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    # -- friends -------------------------------------------------------------------------------
    async def friends(self, session_id: int, statuses: tuple[str, ...] | None = None) -> list[tuple[KvFriend, Member]]:
        query = (
            select(KvFriend, Member)
            .join(Member, Member.id == KvFriend.member_id)
            .where(KvFriend.session_id == session_id)
            .order_by(KvFriend.id)
        )
        if statuses is not None:
            query = query.where(KvFriend.status.in_(statuses))
        return [(f, m) for f, m in (await self.s.execute(query)).all()]

    async def friend(self, session_id: int, member_id: int) -> KvFriend | None:
        return await self.s.scalar(
            select(KvFriend).where(KvFriend.session_id == session_id, KvFriend.member_id == member_id)
        )

    async def add_friend(self, session_id: int, member_id: int, source: str, status: str, now: datetime) -> KvFriend:
        row = KvFriend(
            session_id=session_id,
            member_id=member_id,
            source=source,
            status=status,
            invited_at=now,
            answered_at=now if status == "accepted" else None,
        )
        self.s.add(row)
        await self.s.flush()
        return row

    async def answer(self, session_id: int, member_id: int, from_statuses: tuple[str, ...], status: str,
                     now: datetime) -> bool:  # fmt: skip
        result = await self.s.execute(
            update(KvFriend)
            .where(
                KvFriend.session_id == session_id,
                KvFriend.member_id == member_id,
                KvFriend.status.in_(from_statuses),
            )
            .values(status=status, answered_at=now)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def withdraw_open_invitations(self, session_id: int, now: datetime) -> list[int]:
        """Close invitations nobody answered (the round is full or cancelled); returns member ids."""
        open_ids = list(
            (
                await self.s.scalars(
                    select(KvFriend.member_id).where(KvFriend.session_id == session_id, KvFriend.status == "invited")
                )
            ).all()
        )
        await self.s.execute(
            update(KvFriend)
            .where(KvFriend.session_id == session_id, KvFriend.status == "invited")
            .values(status="withdrawn", answered_at=now)
        )
        return open_ids

    async def rotation_history(
        self, network_id: int, declined_since: datetime
    ) -> dict[int, tuple[int, datetime | None, bool]]:
        """member id -> (times asked, last asked, declined since `declined_since`), within a network."""
        asked_rows = (
            await self.s.execute(
                select(KvFriend.member_id, func.count(KvFriend.id), func.max(KvFriend.invited_at))
                .join(KvSession, KvSession.id == KvFriend.session_id)
                .where(KvSession.network_id == network_id, KvFriend.status != "withdrawn")
                .group_by(KvFriend.member_id)
            )
        ).all()
        declined = set(
            (
                await self.s.scalars(
                    select(KvFriend.member_id)
                    .join(KvSession, KvSession.id == KvFriend.session_id)
                    .where(
                        KvSession.network_id == network_id,
                        KvFriend.status.in_(("declined", "expired")),
                        KvFriend.answered_at >= declined_since,
                    )
                )
            ).all()
        )
        history: dict[int, tuple[int, datetime | None, bool]] = {}
        for member_id, count, last in asked_rows:
            history[member_id] = (int(count), _aware(last), member_id in declined)
        return history

    async def busy_members(self, network_id: int) -> set[int]:
        """Members with an open invitation, or a yes in a round that has not ended."""
        return set(
            (
                await self.s.scalars(
                    select(KvFriend.member_id)
                    .join(KvSession, KvSession.id == KvFriend.session_id)
                    .where(
                        KvSession.network_id == network_id,
                        KvSession.status.in_(ACTIVE),
                        KvFriend.status.in_(TAKING_PART),
                    )
                )
            ).all()
        )

    # -- contributions -------------------------------------------------------------------------
    async def contribute(self, session_id: int, member_id: int, phase: int, kind: str, text: str,
                         now: datetime) -> KvContribution:  # fmt: skip
        row = KvContribution(session_id=session_id, member_id=member_id, phase=phase, kind=kind, text=text,
                             created_at=now)  # fmt: skip
        self.s.add(row)
        await self.s.flush()
        return row

    async def contributions(self, session_id: int) -> list[tuple[KvContribution, Member]]:
        return [
            (c, m)
            for c, m in (
                await self.s.execute(
                    select(KvContribution, Member)
                    .join(Member, Member.id == KvContribution.member_id)
                    .where(KvContribution.session_id == session_id)
                    .order_by(KvContribution.id)
                )
            ).all()
        ]

    async def delete_session(self, session_id: int) -> None:
        """The round goes with its friends and contributions (ON DELETE CASCADE)."""
        await self.s.execute(delete(KvSession).where(KvSession.id == session_id))

    async def delete_contributions(self, session_id: int, member_id: int) -> int:
        result = await self.s.execute(
            delete(KvContribution).where(KvContribution.session_id == session_id, KvContribution.member_id == member_id)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def contributors_in_phase(self, session_id: int, phase: int) -> set[int]:
        return set(
            (
                await self.s.scalars(
                    select(KvContribution.member_id).where(
                        KvContribution.session_id == session_id, KvContribution.phase == phase
                    )
                )
            ).all()
        )

    # -- personal data -------------------------------------------------------------------------
    async def presented_by(self, member_id: int, statuses: tuple[str, ...]) -> list[KvSession]:
        query = select(KvSession).where(KvSession.presenter_id == member_id, KvSession.status.in_(statuses))
        return list((await self.s.scalars(query)).all())

    async def asked_as_friend(self, member_id: int, statuses: tuple[str, ...]) -> list[KvSession]:
        """Rounds in `statuses` where the member is invited or has said yes."""
        query = (
            select(KvSession)
            .join(KvFriend, KvFriend.session_id == KvSession.id)
            .where(
                KvFriend.member_id == member_id,
                KvFriend.status.in_(("invited", "accepted")),
                KvSession.status.in_(statuses),
            )
        )
        return list((await self.s.scalars(query)).all())

    async def export(self, member_id: int) -> dict[str, Any]:
        presented = (await self.s.scalars(select(KvSession).where(KvSession.presenter_id == member_id))).all()
        friend_rows = (await self.s.scalars(select(KvFriend).where(KvFriend.member_id == member_id))).all()
        written = (await self.s.scalars(select(KvContribution).where(KvContribution.member_id == member_id))).all()
        return {
            "rounds_presented": [
                {"round": r.id, "kind": r.kind, "practice": r.practice, "focus_question": r.focus_question,
                 "status": r.status, "created_at": r.created_at.isoformat()}
                for r in presented
            ],
            "asked_as_friend": [
                {"round": f.session_id, "status": f.status, "source": f.source, "asked_at": f.invited_at.isoformat()}
                for f in friend_rows
            ],
            "contributions": [
                {"round": c.session_id, "kind": c.kind, "text": c.text, "created_at": c.created_at.isoformat()}
                for c in written
            ],
        }  # fmt: skip


def _aware(value: Any) -> datetime | None:
    """Aggregates skip the column type, so SQLite hands back a naive (UTC) datetime or a string."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
