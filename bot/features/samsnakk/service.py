"""The feature's service in its parts, each with one job, and what it keeps about a member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.samsnakk.avoid_list import AvoidList
from bot.features.samsnakk.booking import Booking
from bot.features.samsnakk.call_jobs import CallJobs
from bot.features.samsnakk.call_notices import CallNotices
from bot.features.samsnakk.call_view import CallViews
from bot.features.samsnakk.quick_calls import QuickCalls
from bot.features.samsnakk.rounds import RoundService
from storage.models.core import Member
from storage.repositories.samsnakk import Avoids, Calls, Rounds

if TYPE_CHECKING:
    from bot.core_api import CoreApi


@dataclass(frozen=True)
class Samsnakk:
    """`bot.services.get(Samsnakk)`: the rounds, and the calls read, booked, asked for now and followed up."""

    rounds: RoundService
    calls: CallViews
    booking: Booking
    quick_calls: QuickCalls
    call_jobs: CallJobs
    avoids: AvoidList

    @classmethod
    def of(cls, bot: CoreApi) -> Samsnakk:
        calls = CallViews(bot)
        notices = CallNotices(bot, calls)
        jobs = CallJobs(bot, calls, notices)
        return cls(
            rounds=RoundService(bot),
            calls=calls,
            booking=Booking(bot, calls, jobs, notices),
            quick_calls=QuickCalls(bot, calls, jobs, notices),
            call_jobs=jobs,
            avoids=AvoidList(bot),
        )


async def export(session: AsyncSession, member: Member) -> dict[str, Any]:
    """What samsnakk keeps about a member: their calls, round groups and "don't pair me with" list."""
    calls = await Calls(session).all_of_member(member.id)
    return {
        "calls": [
            {
                "id": c.id,
                "with_member_id": c.partner_id if c.requester_id == member.id else c.requester_id,
                "starts_at": c.starts_at.isoformat(),
                "minutes": c.minutes,
                "status": c.status,
                "topic": c.topic if c.requester_id == member.id else "",
            }
            for c in calls
        ],
        "rounds": [
            {"round": number, "talk": status, "note_shared": noted}
            for number, status, noted in await Rounds(session).groups_of_member(member.id)
        ],
        "not_paired_with_member_ids": await Avoids(session).of_member(member.id),
    }
