"""A member's samsnakk calls in their calendar feed: booked ones, moved ones and cancelled ones."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.features.samsnakk.calls import CallView, call_event
from bot.features.samsnakk.common import video_base
from storage.models.core import Member, Network
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.core import Members
from storage.repositories.samsnakk import Calls

if TYPE_CHECKING:
    from bot.calendar import CalendarEvent
    from bot.core_api import CoreApi
    from bot.i18n import Translator


class CallCalendar:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    async def calendar_events(
        self, member: Member, network: Network, since: datetime, t: Translator
    ) -> list[CalendarEvent]:
        async with self.bot.db.read() as s:
            calls = await Calls(s).booked_of(member.id, since)
            people = {m.id: m for m in await Members(s).by_ids(_people_of(calls))} if calls else {}
        events = []
        for call in calls:
            requester = people.get(call.requester_id)
            if requester is None:
                continue
            view = CallView(call, network, requester, people.get(call.partner_id or 0), people.get(call.guest_id or 0))
            url = f"{video_base(self.bot, network)}samskap-{call.room}"
            events.append(call_event(view, member, t, url))
        return events


def _people_of(calls: list[SamsnakkCall]) -> list[int]:
    return sorted({i for c in calls for i in (c.requester_id, c.partner_id, c.guest_id) if i is not None})
