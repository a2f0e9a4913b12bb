"""Booking a call two and two (or three): free times, propose, accept or suggest another time,
decline, cancel, move.

Every state change is a conditional update on the call row (`Calls.transition`), so two clicks,
two workers or a restart never book the same call twice; whoever books checks that the people
are free in the same transaction, with their rows locked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.samsnakk.availability import free_slots
from bot.features.samsnakk.call_jobs import CallJobs
from bot.features.samsnakk.call_notices import CallNotices
from bot.features.samsnakk.call_view import CallView, CallViews, new_room
from bot.features.samsnakk.common import DEFAULT_MINUTES, SamsnakkError, is_paused, member_hours, member_tz
from bot.i18n import N_
from bot.mentions import find_member
from storage.models.core import Member, Network
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.core import Members
from storage.repositories.samsnakk import ACTIVE_CALL, Calls, Rounds

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)

REQUEST_LIFETIME = timedelta(hours=24)
CHANGED = N_("This request has changed or is no longer open.")


class Booking:
    def __init__(self, bot: CoreApi, views: CallViews, jobs: CallJobs, notices: CallNotices) -> None:
        self.bot = bot
        self.views = views
        self.jobs = jobs
        self.notices = notices
        self._booking = asyncio.Lock()

    def now(self) -> datetime:
        return self.bot.clock.now()

    @asynccontextmanager
    async def _booking_session(self) -> AsyncIterator[AsyncSession]:
        """A transaction that checks people are free and books them. Bookings in this process go
        one at a time; across workers, PostgreSQL row locks (`Calls.lock_members`) do the same."""
        async with self._booking, self.bot.db.session() as s:
            yield s

    # -- who, and when they are free ------------------------------------------------------------------
    async def colleague(self, network: Network, mention: str) -> Member:
        """The member a mention names, in the network."""
        async with self.bot.db.session() as s:
            found = await find_member(s, network.id, mention)
        if found is None:
            raise SamsnakkError(
                "{who} has not joined the network, so I can't book a call. They can join with "
                "/samskap bli-med <school>.",
                who=mention,
            )
        return found

    async def group_partners(self, member: Member, group_id: int) -> list[Member]:
        """The others in one of the member's round groups (a "Book a time" button)."""
        async with self.bot.db.session() as s:
            found = await Rounds(s).get_group(group_id)
            others = [await Members(s).get(i) for i in (found[1] if found else []) if i != member.id]
        partners = [o for o in others if o is not None]
        if found is None or member.id not in found[1] or not partners:
            raise SamsnakkError("This samsnakk group is not yours.")
        return partners

    async def free_times(
        self, network: Network, member: Member, partner: Member, guest: Member | None = None
    ) -> list[datetime]:
        """Free times of everyone involved (a trio's third member comes as `guest`)."""
        if partner.id == member.id:
            raise SamsnakkError("You can't book a call with yourself. Mention a colleague: /samsnakk @name [time].")
        for person in (partner, guest):
            if person is not None and is_paused(self.bot, person):
                raise SamsnakkError("{name} has paused samsnakk for now. Try someone else.", name=person.display_name)
        return await self.free_slots_for(network, [member, partner, *([guest] if guest else [])])

    async def free_slots_for(
        self, network: Network, people: list[Member], minutes: int = DEFAULT_MINUTES
    ) -> list[datetime]:
        now = self.now()
        async with self.bot.db.session() as s:
            busy = await Calls(s).busy([p.id for p in people], now)
        calendars = []
        for person in people:
            spans = [
                (c.starts_at, c.starts_at + timedelta(minutes=c.minutes))
                for c in busy
                if person.id in (c.requester_id, c.partner_id, c.guest_id)
            ]
            calendars.append((member_hours(person), member_tz(person, network), spans))
        return free_slots(now=now, minutes=minutes, calendars=calendars)

    # -- proposing ------------------------------------------------------------------------------
    async def propose(
        self,
        network: Network,
        requester: Member,
        partner: Member,
        starts_at: datetime,
        minutes: int = DEFAULT_MINUTES,
        *,
        guest: Member | None = None,
    ) -> CallView:
        """Propose a call to `partner` (a round's trio invites the third member as `guest`)."""
        await self._check_pair(requester, partner)
        if guest is not None and is_paused(self.bot, guest):
            raise SamsnakkError("{name} has paused samsnakk for now. Try someone else.", name=guest.display_name)
        self._check_future(starts_at)
        people = [requester, partner, *([guest] if guest else [])]
        now = self.now()
        async with self._booking_session() as s:
            calls = Calls(s)
            await calls.lock_members([p.id for p in people])
            for call in await calls.busy([p.id for p in people], starts_at):
                if call.starts_at < starts_at + timedelta(minutes=minutes):
                    raise self._double_booking(call, *people)
            call = await calls.add(
                network_id=network.id,
                requester_id=requester.id,
                partner_id=partner.id,
                guest_id=guest.id if guest else None,
                proposed_by_id=requester.id,
                status="proposed",
                starts_at=starts_at,
                minutes=minutes,
                expires_at=min(starts_at, now + REQUEST_LIFETIME),
                created_at=now,
            )
            call_id = call.id
        view = await self.views.fresh(call_id)
        await self.jobs.arm_expiry(view.call)
        await self.notices.proposal(view)
        log.info("samsnakk call %s proposed (network %s)", call_id, network.id)
        return view

    async def counter(self, view: CallView, member: Member, version: int | None, starts_at: datetime) -> CallView:
        """`member` suggests another time for a proposal made to them."""
        call = view.call
        if call.status != "proposed" or (version is not None and version != call.version):
            raise SamsnakkError(CHANGED)
        if call.proposed_by_id == member.id:
            raise SamsnakkError(
                "You proposed this time yourself; wait for the answer, or cancel with /samsnakk avlys {id}.", id=call.id
            )
        return await self._propose_again(view, starts_at, proposed_by_id=member.id)

    async def _propose_again(self, view: CallView, starts_at: datetime, **changes: Any) -> CallView:
        """A proposal at a new time (a counter-proposal, or the proposer's own change): asked anew."""
        call = view.call
        self._check_future(starts_at)
        async with self._booking_session() as s:
            await self._check_free(s, view, starts_at)
            changed = await Calls(s).transition(
                call.id,
                ("proposed",),
                at_version=call.version,
                starts_at=starts_at,
                version=call.version + 1,
                expires_at=min(starts_at, self.now() + REQUEST_LIFETIME),
                **changes,
            )
        if not changed:
            raise SamsnakkError(CHANGED)
        await self.jobs.drop_expiry(call)
        fresh = await self.views.fresh(call.id)
        await self.jobs.arm_expiry(fresh.call)
        await self.notices.proposal(fresh)
        return fresh

    # -- answering ------------------------------------------------------------------------------
    async def accept(self, view: CallView, member: Member, version: int | None) -> CallView:
        """Accept the time. In a trio the third member is asked once the other two agree ("guest"),
        and the call is booked when they say yes: nobody is booked without being asked."""
        call = view.call
        if member.id == call.guest_id and call.status == "guest":
            return await self._confirm(view, ("guest",))
        if member.id == call.guest_id:
            raise SamsnakkError(
                "{name} answers this request first; then I ask you.",
                name=view.partner.display_name if view.partner else "",
            )
        if member.id not in (call.requester_id, call.partner_id):
            raise SamsnakkError("This call is between two others.")
        if call.status == "confirmed":
            raise SamsnakkError("This call is already confirmed.")
        if call.status != "proposed" or (version is not None and version != call.version):
            raise SamsnakkError(CHANGED)
        if call.proposed_by_id == member.id:
            raise SamsnakkError("You proposed this time yourself; the other person accepts it.")
        if call.starts_at < self.now() - timedelta(minutes=1):
            raise SamsnakkError("That time has passed. Suggest another with /samsnakk foreslå {id} <time>.", id=call.id)
        if view.guest is not None:
            async with self.bot.db.session() as s:
                ok = await Calls(s).transition(call.id, ("proposed",), at_version=call.version, status="guest")
            if not ok:
                raise SamsnakkError(CHANGED)
            fresh = await self.views.fresh(call.id)
            await self.notices.ask_guest(fresh)
            return fresh
        return await self._confirm(view, ("proposed",))

    async def _confirm(self, view: CallView, from_statuses: tuple[str, ...], **changes: Any) -> CallView:
        call = view.call
        async with self._booking_session() as s:
            await self._check_free(s, view, call.starts_at)
            ok = await Calls(s).transition(
                call.id, from_statuses, at_version=call.version, status="confirmed", room=new_room(), expires_at=None,
                **changes,
            )  # fmt: skip
        if not ok:
            raise SamsnakkError(CHANGED)
        await self.jobs.drop_expiry(call)
        fresh = await self.views.fresh(call.id)
        await self.jobs.arm_reminders(fresh.call)
        await self.notices.confirmation(fresh, "confirmed")
        log.info("samsnakk call %s confirmed", call.id)
        return fresh

    async def decline(self, view: CallView, member: Member) -> None:
        call = view.call
        if member.id == call.guest_id and call.status == "guest":
            # The two who agreed on the time keep it; the call is booked for them without the third.
            fresh = await self._confirm(view, ("guest",), guest_id=None)
            await self.notices.guest_declined(fresh, member)
            return
        if member.id == call.guest_id:
            raise SamsnakkError(
                "{name} answers this request first; then I ask you.",
                name=view.partner.display_name if view.partner else "",
            )
        if call.proposed_by_id == member.id:
            raise SamsnakkError("You proposed this time yourself; cancel it with /samsnakk avlys {id}.", id=call.id)
        async with self.bot.db.session() as s:
            ok = await Calls(s).transition(call.id, ("proposed",), status="declined", expires_at=None)
        if not ok:
            raise SamsnakkError(CHANGED)
        await self.jobs.drop_expiry(call)
        await self.notices.declined(view, member)

    # -- cancel and move ------------------------------------------------------------------------
    async def cancel(self, view: CallView, member: Member) -> None:
        call = view.call
        if member.id not in (call.requester_id, call.partner_id, call.guest_id):
            raise SamsnakkError("This call is between two others.")
        async with self.bot.db.session() as s:
            ok = await Calls(s).transition(
                call.id, ("open", "proposed", "guest", "confirmed"), status="cancelled", expires_at=None
            )
        if not ok:
            raise SamsnakkError("Call #{id} is already over or cancelled.", id=call.id)
        await self.jobs.disarm(call)
        if call.status in ACTIVE_CALL:  # an open "who has time now?" has nobody else to tell
            await self.notices.cancelled(view, member)
        log.info("samsnakk call %s cancelled", call.id)

    async def move(self, view: CallView, member: Member, starts_at: datetime) -> CallView:
        call = view.call
        if call.status == "proposed" and call.proposed_by_id == member.id:
            # The proposer changes their own request: the other still has to accept it.
            return await self._propose_again(view, starts_at)
        if call.status == "proposed":
            return await self.counter(view, member, None, starts_at)
        if call.status != "confirmed":
            raise SamsnakkError("Call #{id} is already over or cancelled.", id=call.id)
        self._check_future(starts_at)
        async with self._booking_session() as s:
            await self._check_free(s, view, starts_at)
            ok = await Calls(s).transition(
                call.id, ("confirmed",), at_version=call.version, starts_at=starts_at, version=call.version + 1
            )
        if not ok:
            raise SamsnakkError("Call #{id} is already over or cancelled.", id=call.id)
        await self.jobs.disarm(call)
        fresh = await self.views.fresh(call.id)
        await self.jobs.arm_reminders(fresh.call)
        await self.notices.confirmation(fresh, "moved", mover=member)
        log.info("samsnakk call %s moved", call.id)
        return fresh

    # -- checks ---------------------------------------------------------------------------------
    async def _check_pair(self, requester: Member, partner: Member) -> None:
        if requester.id == partner.id:
            raise SamsnakkError("You can't book a call with yourself. Mention a colleague: /samsnakk @name [time].")
        if is_paused(self.bot, partner):
            raise SamsnakkError("{name} has paused samsnakk for now. Try someone else.", name=partner.display_name)
        if is_paused(self.bot, requester):
            raise SamsnakkError("You have paused samsnakk. Turn it on again with /samsnakk fortsett.")

    def _check_future(self, starts_at: datetime) -> None:
        if starts_at < self.now() - timedelta(minutes=1):
            raise SamsnakkError("That time has passed. Choose a time in the future.")

    async def _check_free(self, s: AsyncSession, view: CallView, starts_at: datetime) -> None:
        """In the transaction that books: lock the people first, so two workers cannot both book them."""
        people = view.people()
        calls = Calls(s)
        await calls.lock_members([p.id for p in people])
        for call in await calls.busy([p.id for p in people], starts_at, exclude_call=view.call.id):
            if call.starts_at < starts_at + timedelta(minutes=view.call.minutes):
                raise self._double_booking(call, *people)

    def _double_booking(self, call: SamsnakkCall, *people: Member) -> SamsnakkError:
        busy = next((p for p in people if p.id in (call.requester_id, call.partner_id, call.guest_id)), people[0])
        if busy is people[0]:
            return SamsnakkError(
                "You already have a call at this time (#{id}). Choose another time, or move "
                "that one with /samsnakk flytt {id} <time>.",
                id=call.id,
            )
        return SamsnakkError(
            "{name} is already booked at that time. Try another time, or send /samsnakk @{handle} "
            "without a time to see free times.",
            name=busy.display_name,
            handle=busy.user_id,
        )
