"""Personal calendar feeds: a secret link per member to the network's meetings and their own calls.

The link carries a random token; only its SHA-256 is stored, so the link is shown once (a new one
replaces it) and a copy of the database opens nobody's calendar. Revoking deletes the row: the
next fetch of the old link gets 404, and the subscribed calendar stops updating.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.calendar import CalendarEvent, feed, organizer
from bot.config import public_url
from bot.errors import UserError
from bot.features.samsnakk.calls import CallView, call_event
from bot.features.samsnakk.common import video_base
from bot.i18n import Translator
from storage.models.core import Member, Network
from storage.models.samlinger import Samling
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.calendar import CalendarFeeds
from storage.repositories.core import Networks

if TYPE_CHECKING:
    from bot.core_api import CoreApi

FEED_PATH = "/calendar/"
# What the feed looks back on: enough for "when was that meeting?", short enough to stay small.
HISTORY = timedelta(days=120)
# Meetings are stored with their start only; calendars need an end.
MEETING_LENGTH = timedelta(hours=3)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


class CalendarError(UserError):
    """Something the member can fix or should know; `msgid` is translated for them."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class CalendarService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    def base_url(self) -> str:
        return public_url(self.bot.config)

    async def new_link(self, member: Member) -> str:
        """A new secret link for the member; the one they had before stops working."""
        base = self.base_url()
        if not base:
            raise CalendarError(
                "Calendar links need samskap's public address; ask whoever runs samskap to set [web] base_url."
            )
        token = secrets.token_urlsafe(32)
        async with self.bot.db.session() as s:
            await CalendarFeeds(s).replace(member.id, token_hash(token), self.bot.clock.now())
        return f"{base}{FEED_PATH}{token}.ics"

    async def revoke(self, member: Member) -> bool:
        async with self.bot.db.session() as s:
            return await CalendarFeeds(s).revoke(member.id)

    async def has_link(self, member: Member) -> bool:
        async with self.bot.db.read() as s:
            return await CalendarFeeds(s).created(member.id) is not None

    async def feed(self, token: str) -> bytes | None:
        """The member's calendar, or None for a token that is malformed, wrong or revoked."""
        if not _TOKEN.fullmatch(token):
            return None
        since = self.bot.clock.now() - HISTORY
        async with self.bot.db.read() as s:
            repo = CalendarFeeds(s)
            member = await repo.member_of(token_hash(token))
            network = await Networks(s).get(member.network_id) if member is not None else None
            if member is None or network is None:
                return None
            meetings = await repo.meetings_since(network.id, since)
            calls = await repo.calls_of(member.id, since)
            people = {m.id: m for m in await repo.members(_people_of(calls))} if calls else {}
        t = self.bot.translator_for(member, network)
        events = [meeting_event(t, network, samling) for samling in meetings]
        for call in calls:
            requester = people.get(call.requester_id)
            if requester is None:
                continue
            view = CallView(call, network, requester, people.get(call.partner_id or 0), people.get(call.guest_id or 0))
            url = f"{video_base(self.bot, network)}samskap-{call.room}"
            events.append(call_event(view, member, t, url))
        events.sort(key=lambda e: e.start)
        name = t.t("{network} in samskap", network=network.name)
        return feed(name, events, self.bot.clock.now(), self.tz(network))

    @staticmethod
    def tz(network: Network) -> ZoneInfo:
        return ZoneInfo(network.timezone)


def _people_of(calls: list[SamsnakkCall]) -> list[int]:
    return sorted({i for c in calls for i in (c.requester_id, c.partner_id, c.guest_id) if i is not None})


def meeting_event(t: Translator, network: Network, samling: Samling) -> CalendarEvent:
    """A network meeting, with what to bring in its description (the prompt the reminder gives)."""
    summary = t.t("Network meeting: {about}", about=samling.about) if samling.about else t.t("Network meeting")
    prompt = t.t(
        "Bring a story from your own practice: what did you try since last time, what did you change, "
        "and how did it go? The others learn from what did not work, too."
    )
    description = f"{samling.about}\n\n{prompt}" if samling.about else prompt
    return CalendarEvent(
        uid=f"samling-{samling.id}@samskap",
        sequence=0,
        start=samling.starts_at,
        end=samling.starts_at + MEETING_LENGTH,
        summary=summary,
        description=description,
        location=samling.about.split(":", 1)[0].strip() if ":" in samling.about else "",
        organizer=organizer(network.name),
    )
