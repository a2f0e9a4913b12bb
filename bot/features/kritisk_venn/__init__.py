"""Kritisk venn: a structured critical-friend round the bot leads, phase by phase.

A member presents a practice or a dilemma with a focus question; colleagues from other schools
ask clarifying and probing questions, give warm and cool feedback, and the presenter reflects.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.kritisk_venn import erasure
from bot.features.kritisk_venn.common import JOB_BEGIN, JOB_DEADLINE, JOB_INVITE, JOB_REMIND, JOB_STUCK, OPTION
from bot.features.kritisk_venn.handlers import register
from bot.features.kritisk_venn.jobs import RoundJobs
from bot.features.kritisk_venn.service import KritiskVennService
from bot.i18n import N_
from bot.scheduler import Late
from bot.settings import SettingSpec, parse_bool
from storage.models.core import Member
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = KritiskVennService(bot)
    bot.services.add(service)
    # On by default: being asked costs one click to decline, the network asked for more challenge,
    # and with opt-in only a new network would have nobody to ask. The invitation says how to turn it off.
    bot.settings.declare_member(
        SettingSpec(OPTION, True, parse_bool, N_("Invitations to be a critical friend for members of other schools"))
    )
    jobs, handler = RoundJobs(service), bot.scheduler.handler
    # A phase's end moves the round on however late; a live round that missed its time goes on over days.
    handler(JOB_DEADLINE, grace=timedelta(minutes=15), late=Late.REWORD)(jobs.deadline)
    # A nudge to write is worth little hours late, and nothing once the phase is over.
    handler(JOB_REMIND, grace=timedelta(hours=1), late=Late.SKIP)(jobs.remind)
    # An unanswered invitation lapses and the next colleague is asked, however late.
    handler(JOB_INVITE, grace=timedelta(hours=1), late=Late.RUN)(jobs.invitation_expired)
    # A round short of friends that its presenter left undecided starts with those it has, however late.
    handler(JOB_STUCK, grace=timedelta(hours=1), late=Late.RUN)(jobs.stuck)
    # Trying again to open the round's conversation: the round waits for it.
    handler(JOB_BEGIN, grace=timedelta(minutes=5), late=Late.RUN)(jobs.begin)
    register(bot, service)
    # Rounds, friendships and contributions cascade from the member; the eraser tells whom it concerns.
    bot.data_exporters["kritisk_venn"] = export
    erasure.register(bot, service)
    bot.home_providers.append(service.home)


async def export(s: AsyncSession, member: Member) -> dict[str, Any]:
    return await KritiskVennRepo(s).export(member.id)
