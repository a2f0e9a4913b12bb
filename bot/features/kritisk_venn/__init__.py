"""Kritisk venn: a structured critical-friend round the bot leads, phase by phase.

A member presents a practice or a dilemma with a focus question; colleagues from other schools
ask clarifying and probing questions, give warm and cool feedback, and the presenter reflects.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.kritisk_venn import erasure
from bot.features.kritisk_venn import messages as msg
from bot.features.kritisk_venn.common import JOB_BEGIN, JOB_DEADLINE, JOB_INVITE, JOB_REMIND, JOB_STUCK
from bot.features.kritisk_venn.handlers import register
from bot.features.kritisk_venn.service import KritiskVennService
from bot.i18n import Translator
from bot.messages import Button, Buttons, ContextLine, Part, Text
from bot.scheduler import JobRun, Late
from storage.models.core import Member
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = KritiskVennService(bot)
    bot.services.add(service)
    register(bot, service)

    # A phase's end moves the round on however late; a live round that missed its time goes on over days.
    @bot.scheduler.handler(JOB_DEADLINE, grace=timedelta(minutes=15), late=Late.REWORD)
    async def deadline(payload: dict[str, Any], run: JobRun) -> None:
        await service.deadline_reached(payload["session"], payload["token"], payload["phase"], late=run.late)

    # A nudge to write is worth little hours late, and nothing once the phase is over.
    @bot.scheduler.handler(JOB_REMIND, grace=timedelta(hours=1), late=Late.SKIP)
    async def remind(payload: dict[str, Any], run: JobRun) -> None:
        await service.remind(payload["session"], payload["token"], payload["phase"])

    # An unanswered invitation lapses and the next colleague is asked, however late.
    @bot.scheduler.handler(JOB_INVITE, grace=timedelta(hours=1), late=Late.RUN)
    async def invitation_expired(payload: dict[str, Any], run: JobRun) -> None:
        await service.invitation_expired(payload["session"], payload["token"], payload["member"])

    # A round short of friends that its presenter left undecided starts with those it has, however late.
    @bot.scheduler.handler(JOB_STUCK, grace=timedelta(hours=1), late=Late.RUN)
    async def stuck(payload: dict[str, Any], run: JobRun) -> None:
        await service.stuck_deadline_reached(payload["session"], payload["token"])

    # Trying again to open the round's conversation: the round waits for it.
    @bot.scheduler.handler(JOB_BEGIN, grace=timedelta(minutes=5), late=Late.RUN)
    async def begin(payload: dict[str, Any], run: JobRun) -> None:
        session = await service.get(payload["session"])
        if session is not None and session.token == payload["token"]:
            await service.begin(session.id)

    async def export(s: AsyncSession, member: Member) -> dict[str, Any]:
        return await KritiskVennRepo(s).export(member.id)

    # Rounds, friendships and contributions cascade from the member; the eraser tells whom it concerns.
    bot.data_exporters["kritisk_venn"] = export
    erasure.register(bot, service)

    async def home(member: Member, t: Translator) -> list[Part]:
        rows = await service.running_for(member)
        if not rows:
            return []
        lines, buttons = [], []
        for session, presenter, answer in rows:
            if answer is None:
                lines.append(t.t("#{id}: your round — {state}", id=session.id,
                                 state=t.t(msg.STATUS_NAMES[session.status])))  # fmt: skip
            elif answer == "invited":
                lines.append(t.t("#{id}: {name} asks you to be a critical friend", id=session.id,
                                 name=presenter.display_name))  # fmt: skip
                buttons.append(Button(t.t("Yes, I'll join"), "kritisk_venn.accept", str(session.id), "primary"))
            elif answer == "accepted":
                lines.append(t.t("#{id}: you are a critical friend for {name} — {state}", id=session.id,
                                 name=presenter.display_name, state=t.t(msg.STATUS_NAMES[session.status])))  # fmt: skip
        if not lines:
            return []
        parts: list[Part] = [Text("*" + t.t("Kritisk venn") + "*\n" + "\n".join(lines))]
        if buttons:
            parts.append(Buttons(tuple(buttons[:5])))
        parts.append(ContextLine(t.t("/kritiskvenn status shows your rounds.")))
        return parts

    bot.home_providers.append(home)
