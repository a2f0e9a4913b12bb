"""What a call's people are told when it changes, each message built by cards.py and sent through
the outbox once per key. A key names the call, its `version` (a move makes a new one) and what
happened, so a retry after a crash or a second worker never tells anyone twice."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.adapter import DeliveryError, SentMessage
from bot.events import Conversation
from bot.features.samsnakk import cards
from bot.features.samsnakk.call_view import CallView, CallViews
from bot.features.samsnakk.common import member_tz
from storage.models.core import Member, Network

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)


class CallNotices:
    def __init__(self, bot: CoreApi, views: CallViews) -> None:
        self.bot = bot
        self.views = views

    def _key(self, view: CallView, what: str) -> str:
        return f"samsnakk:c{view.call.id}:v{view.call.version}:{what}"

    async def proposal(self, view: CallView) -> None:
        """To the one who answers the time the other proposed."""
        proposer = view.proposer()
        receiver = view.other(proposer.id)
        if receiver is None:
            return
        t = self.bot.translator_for(receiver, view.network)
        message = cards.proposal(t, view, proposer, receiver, self.bot.clock.now())
        await self.bot.send_dm(receiver, message, key=self._key(view, "proposal"))

    async def ask_guest(self, view: CallView) -> None:
        guest = view.guest
        assert guest is not None
        t = self.bot.translator_for(guest)
        message = cards.guest_asked(t, view, guest, self.bot.clock.now())
        await self.bot.send_dm(guest, message, key=self._key(view, "guest"))

    async def guest_declined(self, view: CallView, guest: Member) -> None:
        """`view` is the call as booked for the two who agreed on the time."""
        for person in view.people():
            t = self.bot.translator_for(person)
            key = f"samsnakk:c{view.call.id}:guest-declined:{person.id}"
            await self.bot.send_dm(person, cards.guest_declined(t, guest), key=key)

    async def declined(self, view: CallView, decliner: Member) -> None:
        for other in view.others(decliner.id):
            t = self.bot.translator_for(other, view.network)
            message = cards.declined(t, view, decliner, other, self.bot.clock.now())
            await self.bot.send_dm(other, message, key=self._key(view, f"declined:{other.id}"))

    async def cancelled(self, view: CallView, canceller: Member) -> None:
        """To the others; a booked call's calendar invitation is cancelled with it."""
        now = self.bot.clock.now()
        for other in view.others(canceller.id):
            t = self.bot.translator_for(other, view.network)
            ics = None
            if view.call.status == "confirmed":
                ics = cards.calendar_file(t, view, other, self.views.video_url(view), now, cancelled=True)
            message = cards.cancelled(t, view, canceller, other, now, ics)
            await self.bot.send_dm(other, message, key=self._key(view, f"cancelled:{other.id}"))

    async def confirmation(self, view: CallView, kind: str, mover: Member | None = None) -> None:
        """Booked ("confirmed"), "moved" or a talk "now": the link and the invitation, to everyone in it."""
        now, url = self.bot.clock.now(), self.views.video_url(view)
        for person in view.people():
            t = self.bot.translator_for(person, view.network)
            ics = cards.calendar_file(t, view, person, url, now)
            message = cards.confirmation(t, view, person, kind, mover, url, ics, now)
            await self.bot.send_dm(person, message, key=self._key(view, f"{kind}:{person.id}"))

    async def expired(self, view: CallView) -> None:
        """Nobody answered: whoever waited hears it (`view` is the call as it was before it expired)."""
        call, now = view.call, self.bot.clock.now()
        if call.status == "guest" and view.guest is not None:
            for person in view.others(view.guest.id):
                t = self.bot.translator_for(person)
                message = cards.unanswered(t, view, view.guest.display_name, person, now)
                await self.bot.send_dm(person, message, key=self._key(view, f"expired:{person.id}"))
            return
        proposer = view.proposer()
        t = self.bot.translator_for(proposer, view.network)
        if call.status == "open":
            await self.request_closed(view, taken=False)
            message = cards.nobody_had_time(t)
        else:
            other = view.other(proposer.id)
            message = cards.unanswered(t, view, other.display_name if other else "", proposer, now)
        await self.bot.send_dm(proposer, message, key=self._key(view, "expired"))

    async def reminder(self, view: CallView, minutes_left: int) -> None:
        url = self.views.video_url(view)
        for person in view.people():
            t = self.bot.translator_for(person, view.network)
            message = cards.reminder(t, view, person, minutes_left, url, self.bot.clock.now())
            await self.bot.send_dm(person, message, key=self._key(view, f"remind:{person.id}"))

    async def after(self, view: CallView) -> None:
        for person in view.people():
            t = self.bot.translator_for(person, view.network)
            key = f"samsnakk:c{view.call.id}:note:{person.id}"
            await self.bot.send_dm(person, cards.after_call(t, view, person), key=key)

    async def partner_left(self, member: Member, network: Network, call_id: int, starts_at: datetime) -> None:
        t = self.bot.translator_for(member, network)
        message = cards.partner_left(t, starts_at, member_tz(member, network))
        await self.bot.send_dm(member, message, key=f"samsnakk:c{call_id}:left:{member.id}")

    async def request_closed(self, view: CallView, *, taken: bool) -> None:
        """Change the "who has 15 minutes now?" post in the channel: taken, or nobody had time."""
        call = view.call
        if not call.posted_in or not call.posted_message_id:
            return
        conv = Conversation.from_dict(call.posted_in)
        t = self.bot.translator_for(None, view.network)
        try:
            message = cards.now_request_closed(t, view, taken=taken)
            await self.bot.update(SentMessage(conv, call.posted_message_id), message)
        except DeliveryError as error:
            log.warning("samsnakk: could not update the post of call %s (%s)", call.id, error.code)
