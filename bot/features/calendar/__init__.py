"""Personal calendar feeds: `/samling kalender` gives a secret link that Outlook and Google Calendar
subscribe to, with the network's meetings and the member's own samsnakk calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.calendar.handlers import register
from bot.features.calendar.service import CalendarService
from storage.models.core import Member
from storage.repositories.calendar import CalendarFeeds

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = CalendarService(bot)
    bot.services.add(service)
    register(bot, service)
    # The row cascades away with the member; the export says whether a link is live (not the link).
    bot.data_exporters["calendar"] = export


async def export(session: AsyncSession, member: Member) -> dict[str, Any]:
    created = await CalendarFeeds(session).created(member.id)
    return {"calendar_link_created_at": created.isoformat() if created else None}
