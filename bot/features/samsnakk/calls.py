"""Quick calls two and two: propose, accept or suggest another time, confirm, remind, cancel, move.

Every state change is a conditional update on the call row (`Calls.transition`), so two clicks,
two workers or a restart never book the same call twice. Reminders and follow-ups are durable
scheduler jobs keyed by the call and its `version` (a move makes the old ones stale); messages
the bot sends on its own go through the outbox with keys built the same way.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapter import DeliveryError, SentMessage
from bot.calendar import CalendarEvent, invitation, member_person, organizer
from bot.events import Conversation
from bot.features.samsnakk.availability import free_slots
from bot.features.samsnakk.common import (
    DEFAULT_MINUTES,
    TOPIC_LIMIT,
    SamsnakkError,
    is_paused,
    member_hours,
    member_tz,
    video_base,
    who,
)
from bot.i18n import Translator
from bot.limits import check_length
from bot.messages import Attachment, Button, Buttons, ContextLine, Message, Part, Section, Text
from bot.scheduler import JobRun
from bot.times import format_when
from storage.models.core import Member, Network
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.core import Members, Networks
from storage.repositories.samsnakk import ACTIVE_CALL, Calls

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)

REQUEST_LIFETIME = timedelta(hours=24)
NOW_LIFETIME = timedelta(minutes=15)
REMINDER_BEFORE = timedelta(minutes=10)


@dataclass
class CallView:
    """A call with its people loaded, for messages."""

    call: SamsnakkCall
    network: Network
    requester: Member
    partner: Member | None
    guest: Member | None = None

    def other(self, member_id: int) -> Member | None:
        """The other one of requester and partner (the two who agree on the time)."""
        return self.partner if member_id == self.requester.id else self.requester

    def proposer(self) -> Member:
        """Who proposed the current time (the other one of requester and partner answers it)."""
        if self.partner is not None and self.call.proposed_by_id == self.partner.id:
            return self.partner
        return self.requester

    def people(self) -> list[Member]:
        return [m for m in (self.requester, self.partner, self.guest) if m is not None]

    def others(self, member_id: int) -> list[Member]:
        return [m for m in self.people() if m.id != member_id]

    def names_for(self, member_id: int, t: Translator) -> str:
        """Who `member_id` talks with: "ola", or "ola and per" for a trio."""
        names = [m.display_name for m in self.others(member_id)]
        if len(names) < 2:
            return names[0] if names else ""
        return t.t("{a} and {b}", a=", ".join(names[:-1]), b=names[-1])


class CallService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot
        self._booking = asyncio.Lock()

    @asynccontextmanager
    async def _booking_session(self) -> AsyncIterator[AsyncSession]:
        """A transaction that checks people are free and books them. Bookings in this process go
        one at a time; across workers, PostgreSQL row locks (`Calls.lock_members`) do the same."""
        async with self._booking, self.bot.db.session() as s:
            yield s

    # -- reading -----------------------------------------------------------------------------
    async def view(self, call_id: int) -> CallView | None:
        async with self.bot.db.session() as s:
            call = await Calls(s).get(call_id)
            if call is None:
                return None
            network = await Networks(s).get(call.network_id)
            requester = await Members(s).get(call.requester_id)
            partner = await Members(s).get(call.partner_id) if call.partner_id else None
            guest = await Members(s).get(call.guest_id) if call.guest_id else None
        if network is None or requester is None:
            return None
        return CallView(call, network, requester, partner, guest)

    async def my_calls(self, member: Member) -> list[CallView]:
        async with self.bot.db.session() as s:
            ids = [c.id for c in await Calls(s).of_member(member.id, ("open", *ACTIVE_CALL))]
        views = [await self.view(i) for i in ids]
        return [v for v in views if v is not None and v.call.starts_at + timedelta(minutes=v.call.minutes) > self.now()]

    async def find_for(self, member: Member, call_id: int | None, statuses: tuple[str, ...]) -> CallView:
        """The call a command means: the given id, or the member's only call in `statuses`."""
        if call_id is not None:
            view = await self.view(call_id)
            if view is None or member.id not in (view.call.requester_id, view.call.partner_id, view.call.guest_id):
                raise SamsnakkError(
                    "I can't find call #{id} among your calls. See them with /samsnakk mine.", id=call_id
                )
            return view
        async with self.bot.db.session() as s:
            calls = [
                c
                for c in await Calls(s).of_member(member.id, statuses)
                if c.starts_at + timedelta(minutes=c.minutes) > self.now()
            ]
        if not calls:
            raise SamsnakkError("You have no call that fits. Book one with /samsnakk @name [time].")
        if len(calls) > 1:
            raise SamsnakkError(
                "You have more than one call; say which with its number, e.g. #{id}. See them with /samsnakk mine.",
                id=calls[0].id,
            )
        view = await self.view(calls[0].id)
        assert view is not None
        return view

    def now(self) -> datetime:
        return self.bot.clock.now()

    # -- free slots ----------------------------------------------------------------------------
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
            calendars.append((member_hours(person), member_tz(self.bot, person, network), spans))
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
        view = await self.view(call_id)
        assert view is not None
        await self._arm_expiry(view.call)
        await self._send_proposal(view)
        log.info("samsnakk call %s proposed (network %s)", call_id, network.id)
        return view

    async def counter(self, view: CallView, member: Member, version: int | None, starts_at: datetime) -> CallView:
        """`member` suggests another time for a proposal made to them."""
        call = view.call
        if call.status != "proposed" or (version is not None and version != call.version):
            raise SamsnakkError("This request has changed or is no longer open.")
        if call.proposed_by_id == member.id:
            raise SamsnakkError(
                "You proposed this time yourself; wait for the answer, or cancel with /samsnakk avlys {id}.", id=call.id
            )
        self._check_future(starts_at)
        now = self.now()
        async with self._booking_session() as s:
            await self._check_free(s, view, starts_at)
            changed = await Calls(s).transition(
                call.id,
                ("proposed",),
                at_version=call.version,
                starts_at=starts_at,
                version=call.version + 1,
                proposed_by_id=member.id,
                expires_at=min(starts_at, now + REQUEST_LIFETIME),
            )
        if not changed:
            raise SamsnakkError("This request has changed or is no longer open.")
        await self.bot.scheduler.cancel(f"samsnakk.expire:{call.id}:{call.version}")
        fresh = await self.view(call.id)
        assert fresh is not None
        await self._arm_expiry(fresh.call)
        await self._send_proposal(fresh)
        return fresh

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
            raise SamsnakkError("This request has changed or is no longer open.")
        if call.proposed_by_id == member.id:
            raise SamsnakkError("You proposed this time yourself; the other person accepts it.")
        if call.starts_at < self.now() - timedelta(minutes=1):
            raise SamsnakkError("That time has passed. Suggest another with /samsnakk foreslå {id} <time>.", id=call.id)
        if view.guest is not None:
            async with self.bot.db.session() as s:
                ok = await Calls(s).transition(call.id, ("proposed",), at_version=call.version, status="guest")
            if not ok:
                raise SamsnakkError("This request has changed or is no longer open.")
            fresh = await self.view(call.id)
            assert fresh is not None
            await self._ask_guest(fresh)
            return fresh
        return await self._confirm(view, ("proposed",))

    async def _confirm(self, view: CallView, from_statuses: tuple[str, ...], **changes: Any) -> CallView:
        call = view.call
        async with self._booking_session() as s:
            await self._check_free(s, view, call.starts_at)
            ok = await Calls(s).transition(
                call.id, from_statuses, at_version=call.version, status="confirmed", room=_room(), expires_at=None,
                **changes,
            )  # fmt: skip
        if not ok:
            raise SamsnakkError("This request has changed or is no longer open.")
        await self.bot.scheduler.cancel(f"samsnakk.expire:{call.id}:{call.version}")
        fresh = await self.view(call.id)
        assert fresh is not None
        await self._arm_reminders(fresh.call)
        await self._send_confirmation(fresh, "confirmed")
        log.info("samsnakk call %s confirmed", call.id)
        return fresh

    async def _ask_guest(self, view: CallView) -> None:
        guest = view.guest
        assert guest is not None
        call = view.call
        t = self.bot.translator_for(guest)
        value = f"{call.id}:{call.version}"
        message = Message.of(
            Section(t.t("{names} would like a quick talk with you.", names=view.names_for(guest.id, t)),
                    ((t.t("When"), self._when(view, guest, t)), (t.t("Length"), t.t("{n} minutes", n=call.minutes)))),
            Buttons((Button(t.t("Accept"), "samsnakk.accept", value, "primary"),
                     Button(t.t("Decline"), "samsnakk.decline", value))),
            ContextLine(t.t("Or write /samsnakk godta {id} or /samsnakk avslå {id}. If you don't answer, the request "
                        "expires.", id=call.id)),
            summary=t.t("{name} would like a quick talk", name=view.requester.display_name),
        )  # fmt: skip
        await self.bot.send_dm(guest, message, key=f"samsnakk:c{call.id}:v{call.version}:guest")

    async def _guest_declines(self, view: CallView, guest: Member) -> None:
        """The two who agreed on the time keep it; the call is booked for them without the third."""
        fresh = await self._confirm(view, ("guest",), guest_id=None)
        for person in fresh.people():
            t = self.bot.translator_for(person)
            await self.bot.send_dm(person, Message.text(t.t(
                "{name} cannot join, so the call is booked for the two of you.", name=guest.display_name)),
                key=f"samsnakk:c{view.call.id}:guest-declined:{person.id}")  # fmt: skip

    async def decline(self, view: CallView, member: Member) -> None:
        call = view.call
        if member.id == call.guest_id and call.status == "guest":
            await self._guest_declines(view, member)
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
            raise SamsnakkError("This request has changed or is no longer open.")
        await self.bot.scheduler.cancel(f"samsnakk.expire:{call.id}:{call.version}")
        for other in view.others(member.id):
            t = self.bot.translator_for(other, view.network)
            text = t.t(
                "{name} cannot take the call {when}. Try another time with /samsnakk @{handle}.",
                name=member.display_name,
                when=self._when(view, other, t),
                handle=member.user_id,
            )
            key = f"samsnakk:c{call.id}:v{call.version}:declined:{other.id}"
            await self.bot.send_dm(other, Message.text(text), key=key)

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
        await self._disarm(call)
        for other in view.others(member.id) if call.status in ACTIVE_CALL else []:
            t = self.bot.translator_for(other, view.network)
            parts: list[Part] = [
                Text(
                    t.t(
                        "{name} has cancelled your call {when}.",
                        name=member.display_name,
                        when=self._when(view, other, t),
                    )
                )
            ]
            if call.status == "confirmed":
                parts.append(self._ics(view, other, t, cancelled=True))
            key = f"samsnakk:c{call.id}:v{call.version}:cancelled:{other.id}"
            await self.bot.send_dm(other, Message.of(*parts), key=key)
        log.info("samsnakk call %s cancelled", call.id)

    async def move(self, view: CallView, member: Member, starts_at: datetime) -> CallView:
        call = view.call
        if call.status == "proposed":
            return await self._move_proposal(view, member, starts_at)
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
        await self._disarm(call)
        fresh = await self.view(call.id)
        assert fresh is not None
        await self._arm_reminders(fresh.call)
        await self._send_confirmation(fresh, "moved", mover=member)
        log.info("samsnakk call %s moved", call.id)
        return fresh

    async def _move_proposal(self, view: CallView, member: Member, starts_at: datetime) -> CallView:
        if view.call.proposed_by_id == member.id:
            # The proposer changes their own request: the other still has to accept it.
            self._check_future(starts_at)
            async with self._booking_session() as s:
                await self._check_free(s, view, starts_at)
                ok = await Calls(s).transition(
                    view.call.id,
                    ("proposed",),
                    at_version=view.call.version,
                    starts_at=starts_at,
                    version=view.call.version + 1,
                    expires_at=min(starts_at, self.now() + REQUEST_LIFETIME),
                )
            if not ok:
                raise SamsnakkError("This request has changed or is no longer open.")
            await self.bot.scheduler.cancel(f"samsnakk.expire:{view.call.id}:{view.call.version}")
            fresh = await self.view(view.call.id)
            assert fresh is not None
            await self._arm_expiry(fresh.call)
            await self._send_proposal(fresh)
            return fresh
        return await self.counter(view, member, None, starts_at)

    # -- "who has 15 minutes now?" ------------------------------------------------------------------
    async def open_now(self, network: Network, member: Member, topic: str) -> SamsnakkCall:
        check_length(topic, TOPIC_LIMIT)
        if is_paused(self.bot, member):
            raise SamsnakkError("You have paused samsnakk. Turn it on again with /samsnakk fortsett.")
        now = self.now()
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
        await self._arm_expiry(call)
        return call

    async def remember_post(self, call_id: int, sent: SentMessage | None) -> None:
        if sent is None:
            return
        conv = sent.conversation
        async with self.bot.db.session() as s:
            row = await Calls(s).get(call_id)
            if row is not None:
                row.posted_in = {
                    "platform": conv.platform,
                    "workspace_id": conv.workspace_id,
                    "id": conv.id,
                    "thread_id": conv.thread_id,
                    "is_direct": conv.is_direct,
                }
                row.posted_message_id = sent.message_id

    async def take(self, call_id: int | None, network: Network, member: Member) -> CallView:
        """`member` pressed "Jeg kan": the first one gets the call."""
        if call_id is None:
            async with self.bot.db.session() as s:
                latest = await Calls(s).latest_open(network.id)
            if latest is None:
                raise SamsnakkError("Nobody is asking for a talk right now. Ask yourself with /samsnakk nå [topic].")
            call_id = latest.id
        view = await self.view(call_id)
        if view is None or view.call.network_id != network.id:
            raise SamsnakkError("Nobody is asking for a talk right now. Ask yourself with /samsnakk nå [topic].")
        call = view.call
        if call.requester_id == member.id:
            raise SamsnakkError("This is your own request; wait for a colleague to answer it.")
        if call.status != "open":
            raise SamsnakkError("Someone else was quicker, or the request has expired. Thank you all the same!")
        now = self.now()
        async with self.bot.db.session() as s:
            for other in await Calls(s).busy([member.id], now):
                if other.starts_at < now + timedelta(minutes=call.minutes):
                    raise SamsnakkError("You already have a call at this time (#{id}).", id=other.id)
            ok = await Calls(s).transition(
                call.id,
                ("open",),
                status="confirmed",
                partner_id=member.id,
                starts_at=now,
                room=_room(),
                expires_at=None,
            )
        if not ok:
            raise SamsnakkError("Someone else was quicker, or the request has expired. Thank you all the same!")
        await self.bot.scheduler.cancel(f"samsnakk.expire:{call.id}:{call.version}")
        fresh = await self.view(call.id)
        assert fresh is not None
        await self._update_post(fresh, taken=True)
        await self._arm_reminders(fresh.call)
        await self._send_confirmation(fresh, "now")
        log.info("samsnakk now-call %s taken", call.id)
        return fresh

    # -- jobs ---------------------------------------------------------------------------------------
    async def expire_job(self, payload: dict[str, Any], run: JobRun) -> None:
        call_id, version = int(payload["call_id"]), int(payload["version"])
        view = await self.view(call_id)
        if view is None or view.call.version != version:
            return
        call = view.call
        async with self.bot.db.session() as s:
            ok = await Calls(s).transition(
                call_id, ("open", "proposed", "guest"), at_version=version, status="expired", expires_at=None
            )
        if not ok:
            return
        if call.status == "guest" and view.guest is not None:
            for person in view.others(view.guest.id):
                t = self.bot.translator_for(person)
                await self.bot.send_dm(person, Message.text(t.t(
                    "{name} did not answer your request for {when}, so it has expired. Try another time, "
                    "or another colleague.", name=view.guest.display_name, when=self._when(view, person, t))),
                    key=f"samsnakk:c{call_id}:v{version}:expired:{person.id}")  # fmt: skip
            return
        proposer = view.proposer()
        t = self.bot.translator_for(proposer, view.network)
        if call.status == "open":
            await self._update_post(view, taken=False)
            text = t.t(
                "Nobody had time for a talk just now. Try again later, or book a time with /samsnakk @name [time]."
            )
        else:
            other = view.other(proposer.id)
            text = t.t(
                "{name} did not answer your request for {when}, so it has expired. Try another time, "
                "or another colleague.",
                name=other.display_name if other else "",
                when=self._when(view, proposer, t),
            )
        await self.bot.send_dm(proposer, Message.text(text), key=f"samsnakk:c{call_id}:v{version}:expired")
        log.info("samsnakk call %s expired", call_id)

    async def reminder_job(self, payload: dict[str, Any], run: JobRun) -> None:
        view = await self.view(int(payload["call_id"]))
        if view is None or view.call.status != "confirmed" or view.call.version != int(payload["version"]):
            return
        left = view.call.starts_at - run.now
        if left <= timedelta():
            return  # the call has begun: a reminder of it would only confuse
        minutes = math.ceil(left / timedelta(minutes=1))
        for person in view.people():
            t = self.bot.translator_for(person, view.network)
            message = Message.of(
                Text(
                    t.tn(
                        "In {n} minute: samsnakk with {name} ({when}).",
                        "In {n} minutes: samsnakk with {name} ({when}).",
                        minutes,
                        name=view.names_for(person.id, t),
                        when=self._when(view, person, t),
                    )
                ),
                Text(t.t("Join the video call: {url}", url=self.video_url(view))),
                summary=t.tn("Samsnakk in {n} minute", "Samsnakk in {n} minutes", minutes),
            )
            await self.bot.send_dm(
                person, message, key=f"samsnakk:c{view.call.id}:v{view.call.version}:remind:{person.id}"
            )

    async def after_job(self, payload: dict[str, Any], run: JobRun) -> None:
        view = await self.view(int(payload["call_id"]))
        if view is None or view.call.version != int(payload["version"]):
            return
        async with self.bot.db.session() as s:
            ok = await Calls(s).transition(view.call.id, ("confirmed",), status="done")
        if not ok:
            return
        for person in view.people():
            t = self.bot.translator_for(person, view.network)
            message = Message.of(
                Text(
                    t.t(
                        "How was the talk with {name}? If you learned something the others could use, "
                        "share it in one line: it goes into the network's digest.",
                        name=view.names_for(person.id, t),
                    )
                ),
                Buttons((Button(t.t("Share a learning note"), "samsnakk.note", f"c{view.call.id}", "primary"),)),
                ContextLine(t.t("Or write /samsnakk notat <one line>. Sharing is optional.")),
            )
            await self.bot.send_dm(person, message, key=f"samsnakk:c{view.call.id}:note:{person.id}")

    async def erase_member(self, session: AsyncSession, member: Member) -> None:
        """Before a member's data is erased (their calls cascade away): queue a notice to the
        people they had a call with. The notice names nobody, since the member is gone."""
        calls = Calls(session)
        for call in await calls.of_member(member.id, ("proposed", "confirmed")):
            if call.starts_at + timedelta(minutes=call.minutes) <= self.now():
                continue
            for other_id in {call.requester_id, call.partner_id, call.guest_id} - {member.id, None}:
                payload = {"member_id": other_id, "call_id": call.id, "starts_at": call.starts_at.isoformat()}
                await calls.queue_job(
                    f"samsnakk.left:{call.id}:{other_id}", "samsnakk.partner_left", self.now(), payload
                )

    async def partner_left_job(self, payload: dict[str, Any], run: JobRun) -> None:
        async with self.bot.db.session() as s:
            member = await Members(s).get(int(payload["member_id"]))
            network = await Networks(s).get(member.network_id) if member else None
        if member is None or network is None:
            return
        t = self.bot.translator_for(member, network)
        when = format_when(
            datetime.fromisoformat(payload["starts_at"]), member_tz(self.bot, member, network), t.language
        )
        text = t.t("Your samsnakk call {when} is cancelled: the other person has left the network.", when=when)
        await self.bot.send_dm(member, Message.text(text), key=f"samsnakk:c{payload['call_id']}:left:{member.id}")

    # -- helpers -----------------------------------------------------------------------------------
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

    async def _arm_expiry(self, call: SamsnakkCall) -> None:
        if call.expires_at is not None:
            await self.bot.scheduler.schedule(
                "samsnakk.expire",
                call.expires_at,
                {"call_id": call.id, "version": call.version},
                key=f"samsnakk.expire:{call.id}:{call.version}",
            )

    async def _arm_reminders(self, call: SamsnakkCall) -> None:
        payload = {"call_id": call.id, "version": call.version}
        remind_at = call.starts_at - REMINDER_BEFORE
        if remind_at > self.now():
            await self.bot.scheduler.schedule(
                "samsnakk.remind", remind_at, payload, key=f"samsnakk.remind:{call.id}:{call.version}"
            )
        await self.bot.scheduler.schedule(
            "samsnakk.after",
            call.starts_at + timedelta(minutes=call.minutes),
            payload,
            key=f"samsnakk.after:{call.id}:{call.version}",
        )

    async def _disarm(self, call: SamsnakkCall) -> None:
        for kind in ("expire", "remind", "after"):
            await self.bot.scheduler.cancel(f"samsnakk.{kind}:{call.id}:{call.version}")

    def _when(self, view: CallView, person: Member, t: Translator) -> str:
        return format_when(view.call.starts_at, member_tz(self.bot, person, view.network), t.language, self.now())

    def video_url(self, view: CallView) -> str:
        return f"{video_base(self.bot, view.network)}samskap-{view.call.room}"

    def _ics(self, view: CallView, person: Member, t: Translator, *, cancelled: bool = False) -> Attachment:
        content = invitation(call_event(view, person, t, self.video_url(view), cancelled=cancelled), self.now())
        return Attachment("samsnakk.ics", content, "text/calendar")

    async def _send_proposal(self, view: CallView) -> None:
        call = view.call
        proposer = view.proposer()
        receiver = view.other(proposer.id)
        if receiver is None:
            return
        t = self.bot.translator_for(receiver, view.network)
        value = f"{call.id}:{call.version}"
        fields: tuple[tuple[str, str], ...] = (
            (t.t("When"), self._when(view, receiver, t)),
            (t.t("Length"), t.t("{n} minutes", n=call.minutes)),
        )
        if view.guest is not None:
            fields += ((t.t("Also invited"), view.guest.display_name),)
        message = Message.of(
            Section(t.t("{who} would like a quick talk with you.", who=who(proposer, t)), fields),
            Buttons(
                (
                    Button(t.t("Accept"), "samsnakk.accept", value, "primary"),
                    Button(t.t("Suggest another time"), "samsnakk.counter", value),
                    Button(t.t("Decline"), "samsnakk.decline", value),
                )
            ),
            ContextLine(
                t.t(
                    "Or write /samsnakk godta {id}, /samsnakk foreslå {id} <time> or /samsnakk avslå {id}. "
                    "If you don't answer, the request expires.",
                    id=call.id,
                )
            ),
            summary=t.t("{name} would like a quick talk", name=proposer.display_name),
        )
        await self.bot.send_dm(receiver, message, key=f"samsnakk:c{call.id}:v{call.version}:proposal")

    async def _send_confirmation(self, view: CallView, kind: str, mover: Member | None = None) -> None:
        call = view.call
        for person in view.people():
            t = self.bot.translator_for(person, view.network)
            name = view.names_for(person.id, t)
            if kind == "moved" and mover is not None and mover.id != person.id:
                headline = t.t(
                    "{mover} has moved your samsnakk to {when}.",
                    mover=mover.display_name,
                    when=self._when(view, person, t),
                )
            elif kind == "moved":
                headline = t.t("Moved: samsnakk with {name}, {when}.", name=name, when=self._when(view, person, t))
            elif kind == "now":
                headline = t.t("Samsnakk with {name} now: join the video call.", name=name)
            else:
                headline = t.t("Booked: samsnakk with {name}, {when}.", name=name, when=self._when(view, person, t))
            cancel = Button(t.t("Cancel"), "samsnakk.cancel", str(call.id), "danger")
            if kind == "now":
                buttons: tuple[Button, ...] = (cancel,)
                hint = t.t("Call #{id}. Cancel with /samsnakk avlys {id}.", id=call.id)
            else:
                buttons = (Button(t.t("Move"), "samsnakk.move", str(call.id)), cancel)
                hint = t.t(
                    "Call #{id}. I remind you 10 minutes before. Move or cancel with /samsnakk flytt {id} "
                    "<time> or /samsnakk avlys {id}.",
                    id=call.id,
                )
            message = Message.of(
                Section(
                    headline,
                    ((t.t("Video"), self.video_url(view)), (t.t("Length"), t.t("{n} minutes", n=call.minutes))),
                ),
                self._ics(view, person, t),
                Buttons(buttons),
                ContextLine(hint),
                summary=headline,
            )
            await self.bot.send_dm(person, message, key=f"samsnakk:c{call.id}:v{call.version}:{kind}:{person.id}")

    async def _update_post(self, view: CallView, *, taken: bool) -> None:
        call = view.call
        if not call.posted_in or not call.posted_message_id:
            return
        conv = Conversation(**call.posted_in)
        t = self.bot.translator_for(None, view.network)
        if taken and view.partner is not None:
            text = t.t(
                "{a} and {b} are having a quick talk. Thank you!",
                a=view.requester.display_name,
                b=view.partner.display_name,
            )
        else:
            text = t.t("{name} asked who had 15 minutes; nobody had time just then.", name=view.requester.display_name)
        try:
            await self.bot.update(SentMessage(conv, call.posted_message_id), Message.text(text))
        except DeliveryError as error:
            log.warning("samsnakk: could not update the post of call %s (%s)", call.id, error.code)


def call_event(view: CallView, person: Member, t: Translator, url: str, *, cancelled: bool = False) -> CalendarEvent:
    """The call as `person` sees it in a calendar; the same UID in the invitation and in the feed."""
    call = view.call
    return CalendarEvent(
        uid=f"samsnakk-{call.id}@samskap",
        sequence=call.version,
        start=call.starts_at,
        end=call.starts_at + timedelta(minutes=call.minutes),
        summary=t.t("Samsnakk with {name}", name=view.names_for(person.id, t)),
        description=call.topic or t.t("A quick talk two and two"),
        url=url,
        location=url,
        organizer=organizer(view.network.name),
        attendees=tuple(member_person(m.id, m.display_name) for m in view.people()),
        cancelled=cancelled or call.status == "cancelled",
    )


def _room() -> str:
    """An unguessable video room name (never logged)."""
    return secrets.token_urlsafe(16).replace("_", "x").replace("-", "y")
