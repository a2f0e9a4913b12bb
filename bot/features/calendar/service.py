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

from bot.calendar import feed
from bot.config import public_url
from bot.errors import UserError
from storage.models.core import Member, Network
from storage.repositories.calendar import CalendarFeeds
from storage.repositories.core import Networks

if TYPE_CHECKING:
    from bot.core_api import CoreApi

FEED_PATH = "/calendar/"
# What the feed looks back on: enough for "when was that meeting?", short enough to stay small.
HISTORY = timedelta(days=120)
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
            member = await CalendarFeeds(s).member_of(token_hash(token))
            network = await Networks(s).get(member.network_id) if member is not None else None
        if member is None or network is None:
            return None
        t = self.bot.translator_for(member, network)
        events = [
            e
            for source in self.bot.services.calendar_sources
            for e in await source.calendar_events(member, network, since, t)
        ]
        events.sort(key=lambda e: e.start)
        name = t.t("{network} in samskap", network=network.name)
        return feed(name, events, self.bot.clock.now(), self.tz(network))

    @staticmethod
    def tz(network: Network) -> ZoneInfo:
        return ZoneInfo(network.timezone)
