"""A call's scheduled jobs: armed when it is proposed or booked, dropped when it changes, and what
each does when it runs. Jobs are keyed by the call and its `version`, so a moved call's old
reminders are cancelled, and one that runs all the same finds another version and does nothing."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.samsnakk.call_notices import CallNotices
from bot.features.samsnakk.call_view import CallViews, ends_at
from bot.scheduler import JobRun
from storage.models.core import Member
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.core import Members, Networks
from storage.repositories.samsnakk import Calls

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)

EXPIRE_JOB = "samsnakk.expire"
REMIND_JOB = "samsnakk.remind"
AFTER_JOB = "samsnakk.after"
PARTNER_LEFT_JOB = "samsnakk.partner_left"
REMINDER_BEFORE = timedelta(minutes=10)


def _key(kind: str, call: SamsnakkCall) -> str:
    return f"{kind}:{call.id}:{call.version}"


class CallJobs:
    def __init__(self, bot: CoreApi, views: CallViews, notices: CallNotices) -> None:
        self.bot = bot
        self.views = views
        self.notices = notices

    # -- arming ---------------------------------------------------------------------------------------
    async def arm_expiry(self, call: SamsnakkCall) -> None:
        """An unanswered request (or "who has time now?") expires at `expires_at`."""
        if call.expires_at is not None:
            payload = {"call_id": call.id, "version": call.version}
            await self.bot.scheduler.schedule(EXPIRE_JOB, call.expires_at, payload, key=_key(EXPIRE_JOB, call))

    async def drop_expiry(self, call: SamsnakkCall) -> None:
        await self.bot.scheduler.cancel(_key(EXPIRE_JOB, call))

    async def arm_reminders(self, call: SamsnakkCall) -> None:
        """A booked call: a reminder shortly before (when there is time for one), a note prompt after."""
        payload = {"call_id": call.id, "version": call.version}
        remind_at = call.starts_at - REMINDER_BEFORE
        if remind_at > self.bot.clock.now():
            await self.bot.scheduler.schedule(REMIND_JOB, remind_at, payload, key=_key(REMIND_JOB, call))
        await self.bot.scheduler.schedule(AFTER_JOB, ends_at(call), payload, key=_key(AFTER_JOB, call))

    async def disarm(self, call: SamsnakkCall) -> None:
        for kind in (EXPIRE_JOB, REMIND_JOB, AFTER_JOB):
            await self.bot.scheduler.cancel(_key(kind, call))

    # -- running --------------------------------------------------------------------------------------
    async def expire(self, payload: dict[str, Any], run: JobRun) -> None:
        call_id, version = int(payload["call_id"]), int(payload["version"])
        view = await self.views.view(call_id)
        if view is None or view.call.version != version:
            return
        async with self.bot.db.session() as s:
            ok = await Calls(s).transition(
                call_id, ("open", "proposed", "guest"), at_version=version, status="expired", expires_at=None
            )
        if not ok:
            return
        await self.notices.expired(view)
        log.info("samsnakk call %s expired", call_id)

    async def remind(self, payload: dict[str, Any], run: JobRun) -> None:
        view = await self.views.view(int(payload["call_id"]))
        if view is None or view.call.status != "confirmed" or view.call.version != int(payload["version"]):
            return
        left = view.call.starts_at - run.now
        if left <= timedelta():
            return  # the call has begun: a reminder of it would only confuse
        await self.notices.reminder(view, math.ceil(left / timedelta(minutes=1)))

    async def after(self, payload: dict[str, Any], run: JobRun) -> None:
        view = await self.views.view(int(payload["call_id"]))
        if view is None or view.call.version != int(payload["version"]):
            return
        async with self.bot.db.session() as s:
            ok = await Calls(s).transition(view.call.id, ("confirmed",), status="done")
        if ok:
            await self.notices.after(view)

    async def erase_member(self, session: AsyncSession, member: Member) -> None:
        """Before a member's data is erased (their calls cascade away): queue a notice to the
        people they had a call with. The notice names nobody, since the member is gone."""
        calls, now = Calls(session), self.bot.clock.now()
        for call in await calls.of_member(member.id, ("proposed", "confirmed")):
            if ends_at(call) <= now:
                continue
            for other_id in {call.requester_id, call.partner_id, call.guest_id} - {member.id, None}:
                payload = {"member_id": other_id, "call_id": call.id, "starts_at": call.starts_at.isoformat()}
                key = f"samsnakk.left:{call.id}:{other_id}"
                await self.bot.scheduler.schedule(PARTNER_LEFT_JOB, now, payload, key=key, session=session)

    async def partner_left(self, payload: dict[str, Any], run: JobRun) -> None:
        async with self.bot.db.session() as s:
            member = await Members(s).get(int(payload["member_id"]))
            network = await Networks(s).get(member.network_id) if member else None
        if member is None or network is None:
            return
        starts_at = datetime.fromisoformat(payload["starts_at"])
        await self.notices.partner_left(member, network, int(payload["call_id"]), starts_at)
