"""The leaders' overview: who may see it, and its figures, free of any web framework."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import secret
from bot.features.oversikt.figures import Figures, compute, period_for
from bot.features.oversikt.links import LINK_LIFETIME, Pass, Signer
from bot.i18n import Translator
from bot.messages import ContextLine, Link, Links, Message, Text
from bot.times import find_zone
from storage.models.core import Member, Network, Role
from storage.repositories.core import Audit, Networks
from storage.repositories.overview import Overview, WebSecrets

if TYPE_CHECKING:
    from bot.core_api import CoreApi

LINK_PATH = "/leder/lenke/"
PAGE_PATH = "/leder/oversikt"
SECRET_ENV = "SAMSKAP_WEB_SECRET"


class OverviewService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot
        # Set by the web routes when this process serves HTTP and no public address is configured.
        self.local_url: str | None = None
        self._signer: Signer | None = None

    def base_url(self) -> str | None:
        configured = str(self.bot.config.section("web").get("base_url") or "")
        return (configured or self.local_url or "").rstrip("/") or None

    async def signer(self) -> Signer:
        """The configured key, else one made once and kept in the database, so every worker agrees."""
        if self._signer is None:
            key = secret(SECRET_ENV).get()
            if not key:
                async with self.bot.db.session() as s:
                    key = await WebSecrets(s).get_or_create("leaders", self.bot.clock.now())
            self._signer = Signer(key)
        return self._signer

    async def link_message(self, t: Translator, member: Member, network: Network) -> Message:
        base = self.base_url()
        if base is None:
            return Message.text(
                t.t(
                    "The overview page is not served here. It needs samskap's HTTP port and the page's "
                    "public address ([web] base_url or SAMSKAP_PUBLIC_URL); ask whoever runs samskap."
                )
            )
        now = self.bot.clock.now()
        token = (await self.signer()).link(member.id, network.id, now)
        async with self.bot.db.session() as s:
            await Audit(s).record(network.id, member.id, "overview_link", {}, now)
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        return Message.of(
            Text(t.t("Your overview of {network}: what happened between the meetings.", network=network.name)),
            Links((Link(t.t("Open the overview"), f"{base}{LINK_PATH}{token}"),)),
            ContextLine(
                t.t(
                    "The link is yours alone and opens the page within {minutes} minutes; "
                    "after that, ask again with /samskap leder oversikt.",
                    minutes=minutes,
                )
            ),
        )

    async def leader_of(self, seen: Pass) -> tuple[Member, Network] | None:
        """The member and network a pass names, while the member is still a leader there."""
        async with self.bot.db.read() as s:
            member = await s.get(Member, seen.member_id)
            if member is None or member.network_id != seen.network_id or member.role != Role.NETWORK_LEADER:
                return None
            network = await Networks(s).get(seen.network_id)
        return (member, network) if network is not None else None

    async def figures(self, network: Network, period_key: str) -> Figures:
        now = self.bot.clock.now()
        tz = find_zone(network.timezone) or find_zone("Europe/Oslo")
        assert tz is not None
        period = period_for(period_key, now.astimezone(tz).date())
        start, end = period.bounds(tz)
        async with self.bot.db.read() as s:
            raw = await Overview(s).raw(network.id, start, end, now)
        return compute(raw, period, tz, now)
