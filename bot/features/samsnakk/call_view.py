"""A call with its people, as the handlers, the jobs and the messages read it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.features.samsnakk import cards
from bot.features.samsnakk.common import SamsnakkError, member_tz, video_base
from bot.i18n import Translator
from bot.messages import Part
from storage.models.core import Member, Network
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.core import Members, Networks
from storage.repositories.samsnakk import ACTIVE_CALL, Calls

if TYPE_CHECKING:
    from bot.core_api import CoreApi


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


def new_room() -> str:
    """An unguessable video room name (never logged)."""
    return secrets.token_urlsafe(16).replace("_", "x").replace("-", "y")


def ends_at(call: SamsnakkCall) -> datetime:
    return call.starts_at + timedelta(minutes=call.minutes)


class CallViews:
    """Reading calls: one with its people, a member's coming calls, the one a command means."""

    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    def video_url(self, view: CallView) -> str:
        return f"{video_base(self.bot, view.network)}samskap-{view.call.room}"

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

    async def fresh(self, call_id: int) -> CallView:
        """A call just changed by this worker: it is there."""
        view = await self.view(call_id)
        assert view is not None
        return view

    async def my_calls(self, member: Member) -> list[CallView]:
        async with self.bot.db.session() as s:
            ids = [c.id for c in await Calls(s).of_member(member.id, ("open", *ACTIVE_CALL))]
        views = [await self.view(i) for i in ids]
        return [v for v in views if v is not None and ends_at(v.call) > self.bot.clock.now()]

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
            calls = [c for c in await Calls(s).of_member(member.id, statuses) if ends_at(c) > self.bot.clock.now()]
        if not calls:
            raise SamsnakkError("You have no call that fits. Book one with /samsnakk @name [time].")
        if len(calls) > 1:
            raise SamsnakkError(
                "You have more than one call; say which with its number, e.g. #{id}. See them with /samsnakk mine.",
                id=calls[0].id,
            )
        return await self.fresh(calls[0].id)

    async def home(self, member: Member, t: Translator) -> list[Part]:
        """The member's coming calls on their home page."""
        views = await self.my_calls(member)
        if not views:
            return []
        async with self.bot.db.session() as s:
            network = await Networks(s).get(member.network_id)
        if network is None:
            return []
        return cards.home(t, views, member, member_tz(member, network))
