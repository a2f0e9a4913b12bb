"""A member's samsnakk calls in their calendar feed: booked ones, moved ones and cancelled ones."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.features.samsnakk import cards
from bot.features.samsnakk.call_view import CallView, CallViews
from storage.models.core import Member, Network
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.core import Members
from storage.repositories.samsnakk import Calls

if TYPE_CHECKING:
    from bot.calendar import CalendarEvent
    from bot.core_api import CoreApi
    from bot.i18n import Translator


class CallCalendar:
    def __init__(self, bot: CoreApi, views: CallViews) -> None:
        self.bot = bot
        self.views = views

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
            events.append(cards.call_event(view, member, t, self.views.video_url(view)))
        return events


def _people_of(calls: list[SamsnakkCall]) -> list[int]:
    return sorted({i for c in calls for i in (c.requester_id, c.partner_id, c.guest_id) if i is not None})
