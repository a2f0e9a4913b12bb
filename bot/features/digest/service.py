"""The digest: links members share, the network's feeds, and the weekly issue, as one service.

Handlers stay thin; everything here works the same from any adapter, a scheduled job or a benchmark.
The parts: `links` (captured and shared links, their pages' titles), `sources` (feeds), `issues`
(the weekly schedule, composing and publishing).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.digest import cards
from bot.features.digest.common import (
    DigestProblem,
)
from bot.features.digest.fetch import AddressPolicy, Fetcher, FetchSettings, Lookup, positive_setting
from bot.features.digest.issues import Issues, Published
from bot.features.digest.links import Links, Shared
from bot.features.digest.sources import Sources
from bot.i18n import Translator
from bot.messages import Part, Section
from storage.models.core import Member
from storage.models.digest import DigestArticle
from storage.repositories.core import Networks
from storage.repositories.digest import Digests

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)


class DigestService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot
        section = bot.config.section("digest")
        self.fetch_settings = FetchSettings.from_section(section)
        # Which addresses count as public and how names resolve: tests point these at loopback.
        self.address_policy = AddressPolicy(allow_private=self.fetch_settings.allow_private_addresses)
        self.lookup: Lookup | None = None
        self.links = Links(bot, self.fetcher, self.fetch_settings)
        self.sources = Sources(bot, self.fetcher, self.fetch_settings)
        self.issues = Issues(bot, int(positive_setting(section, "fanout_concurrency", 16, int)))

    def fetcher(self) -> Fetcher:
        """The one way this feature fetches pages and feeds."""
        return Fetcher(self.fetch_settings, policy=self.address_policy, lookup=self.lookup)

    # -- the member's overview --------------------------------------------------------------------
    async def home(self, member: Member, t: Translator) -> list[Part]:
        """The latest digest and how many of the member's links wait for the next one."""
        async with self.bot.db.session() as s:
            repo = Digests(s)
            latest = await repo.latest_published(member.network_id)
            waiting = await repo.count_unclaimed_shares_of(member.id)
            network = await Networks(s).get(member.network_id)
        if latest is None and not waiting:
            return []
        fields: list[tuple[str, str]] = []
        if latest is not None:
            week = latest.period.split("-W")[-1].lstrip("0")
            if latest.window_start is not None and latest.window_end is not None and network is not None:
                week = cards.weeks_covered(latest.window_start, latest.window_end, network.timezone)
            fields.append((t.t("Latest digest"), t.t("week {week} — see it with /digest", week=week)))
        fields.append((t.t("Your links for the next digest"), str(waiting)))
        return [Section(t.t("The network digest"), tuple(fields))]

    # -- personal data ----------------------------------------------------------------------------
    async def export(self, s: AsyncSession, member: Member) -> dict[str, Any]:
        repo = Digests(s)
        return {
            "shared_links": [
                {
                    "url": article.url,
                    "title": article.title,
                    "description": article.description,
                    "site_name": article.site_name,
                    "comment": share.comment,
                    "recommended": share.recommended,
                    "shared_at": share.created_at.isoformat(),
                }
                for share, article in await repo.shares_of(member.id)
            ],
            "feeds_added": [{"url": f.url, "title": f.title} for f in await repo.feeds_added_by(member.id)],
        }

    async def erase(self, s: AsyncSession, member: Member) -> None:
        """Shares cascade with the member, and a page only they shared goes with them (its address and
        title say what they read); published snapshots keep names and comments, so scrub them."""
        await Digests(s).remove_articles_only_shared_by(member.id)
        for issue in await Digests(s).issues_with_content(member.network_id):
            assert issue.content is not None
            issue.content = cards.without_member(issue.content, member.id)


__all__ = ["DigestArticle", "DigestProblem", "DigestService", "Published", "Shared"]
