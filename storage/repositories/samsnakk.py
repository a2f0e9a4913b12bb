"""Samsnakk rounds, groups, "don't pair me with" and calls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, false, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models.core import Member
from storage.models.runtime import ScheduledJob
from storage.models.samsnakk import SamsnakkAvoid, SamsnakkCall, SamsnakkGroup, SamsnakkGroupMember, SamsnakkRound

# A round's groups, many at once.
_INSERT_GROUPS = insert(SamsnakkGroup.__table__)
_GROUP_IDS = select(SamsnakkGroup.id).where(SamsnakkGroup.round_id == bindparam("round_id")).order_by(SamsnakkGroup.id)
_INSERT_PLACES = insert(SamsnakkGroupMember.__table__)
# On PostgreSQL each of those is one execution, not one a row: `count` new groups, and the places
# from two arrays. (20,000 members: a fifth less CPU here and in the server.)
_INSERT_GROUPS_PG = insert(SamsnakkGroup.__table__).from_select(
    ["round_id", "status"],
    select(bindparam("round_id", type_=Integer), literal("pending")).select_from(
        func.generate_series(1, bindparam("count", type_=Integer))
    ),
)
_PLACES_PG = (
    func.unnest(bindparam("group_ids", type_=ARRAY(Integer)), bindparam("member_ids", type_=ARRAY(Integer)))
    .table_valued("group_id", "member_id")
    .render_derived()
)
_INSERT_PLACES_PG = insert(SamsnakkGroupMember.__table__).from_select(
    ["group_id", "member_id", "note_shared"], select(_PLACES_PG.c.group_id, _PLACES_PG.c.member_id, false())
)
# Who may take part in a round, as values: a Member object each cost most of a second for 20,000.
_MEMBER_OPTIONS = (
    select(Member.id, Member.school, Member.opt_ins)
    .where(Member.network_id == bindparam("network_id"))
    .order_by(Member.id)
)
# The last rounds held (not skipped) of a network, and every two members grouped together in them.
_RECENT_ROUNDS = (
    select(SamsnakkRound.id)
    .where(SamsnakkRound.network_id == bindparam("network_id"), SamsnakkRound.status != "skipped")
    .order_by(SamsnakkRound.number.desc())
    .limit(bindparam("rounds", type_=Integer))
)
_ONE, _OTHER = aliased(SamsnakkGroupMember), aliased(SamsnakkGroupMember)
_RECENT_PAIRS = (
    select(_ONE.member_id, _OTHER.member_id)
    .join(_OTHER, (_OTHER.group_id == _ONE.group_id) & (_OTHER.member_id > _ONE.member_id))
    .join(SamsnakkGroup, SamsnakkGroup.id == _ONE.group_id)
    .where(SamsnakkGroup.round_id.in_(_RECENT_ROUNDS.scalar_subquery()))
)
_AVOIDS_IN_NETWORK = (
    select(SamsnakkAvoid.member_id, SamsnakkAvoid.avoided_id)
    .join(Member, Member.id == SamsnakkAvoid.member_id)
    .where(Member.network_id == bindparam("network_id"))
)
# A call in one of these states holds its time in both people's calendars.
ACTIVE_CALL = ("proposed", "guest", "confirmed")  # "guest": the time is agreed, the third is asked


class Rounds:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, round_id: int) -> SamsnakkRound | None:
        return await self.s.get(SamsnakkRound, round_id)

    async def by_number(self, network_id: int, number: int) -> SamsnakkRound | None:
        return await self.s.scalar(
            select(SamsnakkRound).where(SamsnakkRound.network_id == network_id, SamsnakkRound.number == number)
        )

    async def last_number(self, network_id: int) -> int:
        value = await self.s.scalar(
            select(func.max(SamsnakkRound.number)).where(SamsnakkRound.network_id == network_id)
        )
        return int(value or 0)

    async def recent(self, network_id: int, limit: int) -> list[SamsnakkRound]:
        return list(
            (
                await self.s.scalars(
                    select(SamsnakkRound)
                    .where(SamsnakkRound.network_id == network_id)
                    .order_by(SamsnakkRound.number.desc())
                    .limit(limit)
                )
            ).all()
        )

    async def add(self, **values: Any) -> SamsnakkRound:
        row = SamsnakkRound(**values)
        self.s.add(row)
        await self.s.flush()
        return row

    async def add_group(self, round_id: int, member_ids: tuple[int, ...]) -> SamsnakkGroup:
        group = SamsnakkGroup(round_id=round_id, status="pending")
        self.s.add(group)
        await self.s.flush()
        for member_id in member_ids:
            self.s.add(SamsnakkGroupMember(group_id=group.id, member_id=member_id))
        await self.s.flush()
        return group

    async def add_groups(self, round_id: int, groups: Sequence[tuple[int, ...]]) -> None:
        """Store a round's groups in two statements (one per group took 40 s for 20,000 members)."""
        if not groups:
            return
        on_postgres = self.s.get_bind().dialect.name == "postgresql"
        if on_postgres:
            await self.s.execute(_INSERT_GROUPS_PG, {"round_id": round_id, "count": len(groups)})
        else:
            await self.s.execute(_INSERT_GROUPS, [{"round_id": round_id, "status": "pending"}] * len(groups))
        # The round is new and its groups are alike until they have members: the groups in order
        # take its group ids in order. Cheaper than RETURNING for each row.
        ids = list(await self.s.scalars(_GROUP_IDS, {"round_id": round_id}))
        places = [(gid, m) for gid, group in zip(ids, groups, strict=True) for m in group]
        if on_postgres:
            group_ids, member_ids = (list(column) for column in zip(*places, strict=True))
            await self.s.execute(_INSERT_PLACES_PG, {"group_ids": group_ids, "member_ids": member_ids})
        else:
            rows = [{"group_id": gid, "member_id": m, "note_shared": False} for gid, m in places]
            await self.s.execute(_INSERT_PLACES, rows)

    async def groups(self, round_id: int) -> list[tuple[SamsnakkGroup, list[int]]]:
        """The round's groups with their member ids (in id order)."""
        groups = list(
            (
                await self.s.scalars(
                    select(SamsnakkGroup).where(SamsnakkGroup.round_id == round_id).order_by(SamsnakkGroup.id)
                )
            ).all()
        )
        members: dict[int, list[int]] = defaultdict(list)
        rows = await self.s.execute(
            select(SamsnakkGroupMember.group_id, SamsnakkGroupMember.member_id)
            .join(SamsnakkGroup, SamsnakkGroup.id == SamsnakkGroupMember.group_id)
            .where(SamsnakkGroup.round_id == round_id)
            .order_by(SamsnakkGroupMember.member_id)
        )
        for group_id, member_id in rows:
            members[group_id].append(member_id)
        return [(g, members[g.id]) for g in groups]

    async def get_group(self, group_id: int) -> tuple[SamsnakkGroup, list[int]] | None:
        group = await self.s.get(SamsnakkGroup, group_id)
        if group is None:
            return None
        ids = (
            await self.s.scalars(
                select(SamsnakkGroupMember.member_id)
                .where(SamsnakkGroupMember.group_id == group_id)
                .order_by(SamsnakkGroupMember.member_id)
            )
        ).all()
        return group, list(ids)

    async def member_options(self, network_id: int) -> list[tuple[int, str, dict[str, Any] | None]]:
        """(id, school, options) of every member of the network, in id order."""
        rows = await self.s.execute(_MEMBER_OPTIONS, {"network_id": network_id})
        return [(member_id, school, options) for member_id, school, options in rows]

    async def recent_pairs(self, network_id: int, rounds: int) -> list[tuple[int, int]]:
        """Every two members grouped together in the last `rounds` held rounds (the lower id first),
        paired by the database: one row a pair, instead of every place of six rounds."""
        rows = await self.s.execute(_RECENT_PAIRS, {"network_id": network_id, "rounds": rounds})
        return [(a, b) for a, b in rows]

    async def current_group_of(self, member_id: int) -> tuple[SamsnakkRound, SamsnakkGroup] | None:
        """The member's group in their newest round."""
        row = (
            await self.s.execute(
                select(SamsnakkRound, SamsnakkGroup)
                .join(SamsnakkGroup, SamsnakkGroup.round_id == SamsnakkRound.id)
                .join(SamsnakkGroupMember, SamsnakkGroupMember.group_id == SamsnakkGroup.id)
                .where(SamsnakkGroupMember.member_id == member_id)
                .order_by(SamsnakkRound.number.desc())
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def membership(self, group_id: int, member_id: int) -> SamsnakkGroupMember | None:
        return await self.s.scalar(
            select(SamsnakkGroupMember).where(
                SamsnakkGroupMember.group_id == group_id, SamsnakkGroupMember.member_id == member_id
            )
        )

    async def stats(self, round_id: int) -> tuple[int, int, int]:
        """(members paired, groups that met, notes shared)."""
        paired = await self.s.scalar(
            select(func.count(SamsnakkGroupMember.id))
            .join(SamsnakkGroup, SamsnakkGroup.id == SamsnakkGroupMember.group_id)
            .where(SamsnakkGroup.round_id == round_id)
        )
        met = await self.s.scalar(
            select(func.count(SamsnakkGroup.id)).where(
                SamsnakkGroup.round_id == round_id, SamsnakkGroup.status == "met"
            )
        )
        notes = await self.s.scalar(
            select(func.count(SamsnakkGroupMember.id))
            .join(SamsnakkGroup, SamsnakkGroup.id == SamsnakkGroupMember.group_id)
            .where(SamsnakkGroup.round_id == round_id, SamsnakkGroupMember.note_shared.is_(True))
        )
        return int(paired or 0), int(met or 0), int(notes or 0)

    async def groups_of_member(self, member_id: int) -> list[tuple[int, str, bool]]:
        """(round number, group status, note shared) for the member, for their data export."""
        rows = await self.s.execute(
            select(SamsnakkRound.number, SamsnakkGroup.status, SamsnakkGroupMember.note_shared)
            .join(SamsnakkGroup, SamsnakkGroup.round_id == SamsnakkRound.id)
            .join(SamsnakkGroupMember, SamsnakkGroupMember.group_id == SamsnakkGroup.id)
            .where(SamsnakkGroupMember.member_id == member_id)
            .order_by(SamsnakkRound.number)
        )
        return [(n, status, bool(noted)) for n, status, noted in rows]


class RoundJobs:
    """The pending scheduler jobs that will start a network's next round (to replace a stale plan)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def pending_keys(self, network_id: int) -> list[str]:
        return list(
            (
                await self.s.scalars(
                    select(ScheduledJob.key).where(
                        ScheduledJob.key.like(f"samsnakk.round:{network_id}:%"), ScheduledJob.status == "pending"
                    )
                )
            ).all()
        )

    async def anyone_opted_in(self, network_id: int) -> bool:
        found = await self.s.scalar(
            select(Member.id)
            .where(Member.network_id == network_id, Member.opt_ins["samsnakk"].as_boolean().is_(True))
            .limit(1)
        )
        return found is not None


class Avoids:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, member_id: int, avoided_id: int) -> bool:
        exists = await self.s.scalar(
            select(SamsnakkAvoid.id).where(SamsnakkAvoid.member_id == member_id, SamsnakkAvoid.avoided_id == avoided_id)
        )
        if exists is not None:
            return False
        self.s.add(SamsnakkAvoid(member_id=member_id, avoided_id=avoided_id))
        await self.s.flush()
        return True

    async def remove(self, member_id: int, avoided_id: int) -> bool:
        row = await self.s.scalar(
            select(SamsnakkAvoid).where(SamsnakkAvoid.member_id == member_id, SamsnakkAvoid.avoided_id == avoided_id)
        )
        if row is None:
            return False
        await self.s.delete(row)
        return True

    async def of_member(self, member_id: int) -> list[int]:
        return list(
            (await self.s.scalars(select(SamsnakkAvoid.avoided_id).where(SamsnakkAvoid.member_id == member_id))).all()
        )

    async def in_network(self, network_id: int) -> list[tuple[int, int]]:
        """Every "don't pair me with" of the network's members (no list of ids to send: 20,000 of
        them cost more than the rows)."""
        rows = await self.s.execute(_AVOIDS_IN_NETWORK, {"network_id": network_id})
        return [(a, b) for a, b in rows]


class Calls:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, call_id: int) -> SamsnakkCall | None:
        return await self.s.get(SamsnakkCall, call_id)

    async def booked_of(self, member_id: int, since: datetime) -> list[SamsnakkCall]:
        """The member's calls that were booked (they have a room) from `since` on, cancelled ones too:
        a calendar that had the call learns it is off."""
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

    async def add(self, **values: Any) -> SamsnakkCall:
        call = SamsnakkCall(**values)
        self.s.add(call)
        await self.s.flush()
        return call

    async def transition(
        self, call_id: int, from_status: tuple[str, ...], *, at_version: int | None = None, **values: Any
    ) -> bool:
        """Change a call only if it is still in one of `from_status` (and at `at_version`), so two
        clicks never both win and an answer to an older time never applies to a newer one."""
        query = update(SamsnakkCall).where(SamsnakkCall.id == call_id, SamsnakkCall.status.in_(from_status))
        if at_version is not None:
            query = query.where(SamsnakkCall.version == at_version)
        result = await self.s.execute(query.values(**values).execution_options(synchronize_session=False))
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def lock_members(self, member_ids: list[int]) -> None:
        """Hold these members' rows until the transaction ends (PostgreSQL), in id order to avoid
        deadlocks, so bookings for the same people happen one after the other across workers.
        (SQLite ignores it; there, one process books one at a time.)"""
        await self.s.execute(select(Member.id).where(Member.id.in_(member_ids)).order_by(Member.id).with_for_update())

    async def busy(
        self, member_ids: list[int], since: datetime, *, exclude_call: int | None = None
    ) -> list[SamsnakkCall]:
        """Active calls of these members that end after `since` (their calendar for free slots)."""
        query = select(SamsnakkCall).where(
            SamsnakkCall.status.in_(ACTIVE_CALL),
            or_(
                SamsnakkCall.requester_id.in_(member_ids),
                SamsnakkCall.partner_id.in_(member_ids),
                SamsnakkCall.guest_id.in_(member_ids),
            ),
            SamsnakkCall.starts_at >= since - _LONGEST_CALL,
        )
        if exclude_call is not None:
            query = query.where(SamsnakkCall.id != exclude_call)
        calls = list((await self.s.scalars(query.order_by(SamsnakkCall.starts_at))).all())
        return [c for c in calls if c.starts_at + timedelta(minutes=c.minutes) > since]

    async def of_member(self, member_id: int, statuses: tuple[str, ...] = ACTIVE_CALL) -> list[SamsnakkCall]:
        return list(
            (
                await self.s.scalars(
                    select(SamsnakkCall)
                    .where(
                        SamsnakkCall.status.in_(statuses),
                        or_(
                            SamsnakkCall.requester_id == member_id,
                            SamsnakkCall.partner_id == member_id,
                            SamsnakkCall.guest_id == member_id,
                        ),
                    )
                    .order_by(SamsnakkCall.starts_at)
                )
            ).all()
        )

    async def latest_open(self, network_id: int) -> SamsnakkCall | None:
        return await self.s.scalar(
            select(SamsnakkCall)
            .where(SamsnakkCall.network_id == network_id, SamsnakkCall.status == "open")
            .order_by(SamsnakkCall.id.desc())
            .limit(1)
        )

    async def all_of_member(self, member_id: int) -> list[SamsnakkCall]:
        return await self.of_member(
            member_id, ("open", "proposed", "guest", "confirmed", "cancelled", "expired", "done")
        )


# Calls are short; looking this far back is enough to find one still running at `since`.
_LONGEST_CALL = timedelta(hours=4)
