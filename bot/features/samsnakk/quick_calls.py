""" "Who has 15 minutes now?": a member asks in the channel, the first colleague who answers gets
the talk, and the post says so (or, after a quarter of an hour, that nobody had time)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.adapter import SentMessage
from bot.features.samsnakk.call_jobs import CallJobs
from bot.features.samsnakk.call_notices import CallNotices
from bot.features.samsnakk.call_view import CallView, CallViews, new_room
from bot.features.samsnakk.common import DEFAULT_MINUTES, TOPIC_LIMIT, SamsnakkError, is_paused
from bot.i18n import N_
from bot.limits import check_length
from storage.models.core import Member, Network
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.samsnakk import Calls

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)

NOW_LIFETIME = timedelta(minutes=15)
NOBODY_ASKING = N_("Nobody is asking for a talk right now. Ask yourself with /samsnakk nå [topic].")
TOO_LATE = N_("Someone else was quicker, or the request has expired. Thank you all the same!")


class QuickCalls:
    def __init__(self, bot: CoreApi, views: CallViews, jobs: CallJobs, notices: CallNotices) -> None:
        self.bot = bot
        self.views = views
        self.jobs = jobs
        self.notices = notices

    async def open_now(self, network: Network, member: Member, topic: str) -> SamsnakkCall:
        """An open call starting now, for the first who answers; it expires unanswered."""
        check_length(topic, TOPIC_LIMIT)
        if is_paused(self.bot, member):
            raise SamsnakkError("You have paused samsnakk. Turn it on again with /samsnakk fortsett.")
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            for call in await Calls(s).busy([member.id], now):
                if call.starts_at < now + timedelta(minutes=DEFAULT_MINUTES):
                    raise SamsnakkError("You already have a call at this time (#{id}).", id=call.id)
            call = await Calls(s).add(
                network_id=network.id,
                requester_id=member.id,
                partner_id=None,
                proposed_by_id=member.id,
                status="open",
                starts_at=now,
                minutes=DEFAULT_MINUTES,
                topic=topic,
                expires_at=now + NOW_LIFETIME,
                created_at=now,
            )
        await self.jobs.arm_expiry(call)
        return call

    async def remember_post(self, call_id: int, sent: SentMessage | None) -> None:
        """Where the request was posted, so it can say later that it was taken or expired."""
        if sent is None:
            return
        async with self.bot.db.session() as s:
            row = await Calls(s).get(call_id)
            if row is not None:
                row.posted_in = sent.conversation.to_dict()
                row.posted_message_id = sent.message_id

    async def take(self, call_id: int | None, network: Network, member: Member) -> CallView:
        """`member` pressed "Jeg kan" (or wrote /samsnakk jeg-kan): the first one gets the call."""
        if call_id is None:
            async with self.bot.db.session() as s:
                latest = await Calls(s).latest_open(network.id)
            if latest is None:
                raise SamsnakkError(NOBODY_ASKING)
            call_id = latest.id
        view = await self.views.view(call_id)
        if view is None or view.call.network_id != network.id:
            raise SamsnakkError(NOBODY_ASKING)
        call = view.call
        if call.requester_id == member.id:
            raise SamsnakkError("This is your own request; wait for a colleague to answer it.")
        if call.status != "open":
            raise SamsnakkError(TOO_LATE)
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            for other in await Calls(s).busy([member.id], now):
                if other.starts_at < now + timedelta(minutes=call.minutes):
                    raise SamsnakkError("You already have a call at this time (#{id}).", id=other.id)
            ok = await Calls(s).transition(
                call.id, ("open",), status="confirmed", partner_id=member.id, starts_at=now, room=new_room(),
                expires_at=None,
            )  # fmt: skip
        if not ok:
            raise SamsnakkError(TOO_LATE)
        await self.jobs.drop_expiry(call)
        fresh = await self.views.fresh(call.id)
        await self.notices.request_closed(fresh, taken=True)
        await self.jobs.arm_reminders(fresh.call)
        await self.notices.confirmation(fresh, "now")
        log.info("samsnakk now-call %s taken", call.id)
        return fresh
