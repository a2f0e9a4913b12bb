"""Links members share: captured from the network's channels or shared with /del, and their pages' titles."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.features.digest.common import (
    CAPTURE_SETTING,
    FETCH_BATCH,
    MAX_COMMENT,
    DigestProblem,
    FetcherFactory,
)
from bot.features.digest.fetch import FetchSettings, PageMeta
from bot.features.digest.urls import MAX_LINKS_PER_MESSAGE, InvalidUrl, canonical_url, find_urls, remove_urls
from bot.limits import check_length
from storage.models.core import Member, Network
from storage.repositories.digest import Digests

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shared:
    url: str
    title: str
    new_article: bool
    new_share: bool
    recommended: bool


def _metadata_values(meta: PageMeta, now: datetime) -> dict[str, Any]:
    return {
        "title": meta.title[:500], "description": meta.description, "site_name": meta.site_name[:200],
        "language": meta.language, "content_type": meta.content_type[:100], "published_at": meta.published_at,
        "fetch_status": "ok" if meta.ok else "failed", "fetch_error": meta.error, "fetched_at": now,
    }  # fmt: skip


class Links:
    def __init__(self, bot: CoreApi, fetcher: FetcherFactory, settings: FetchSettings) -> None:
        self.bot, self.fetcher, self.fetch_settings = bot, fetcher, settings

    # -- capturing --------------------------------------------------------------------------------
    def captures_links(self, network: Network) -> bool:
        return bool(self.bot.settings.network_value(network, CAPTURE_SETTING))

    async def capture(self, network: Network, member: Member, text: str) -> list[Shared]:
        """Links in a channel message, with the rest of the message as the comment."""
        if not self.captures_links(network):
            return []
        comment = remove_urls(text).strip()
        if len(comment) > MAX_COMMENT:
            # A chat message is not written for the digest: keep its start, marked as shortened.
            comment = comment[: MAX_COMMENT - 1].rstrip() + "…"
        shared = []
        for raw in find_urls(text)[:MAX_LINKS_PER_MESSAGE]:
            try:
                url = canonical_url(raw)
            except InvalidUrl:
                continue
            shared.append(await self.record(network.id, member, url, comment, explicit=False))
        return shared

    async def share(self, network: Network, member: Member, args: str) -> Shared:
        """`/del <url> [comment]`; raises DigestProblem for a missing or unusable address."""
        found = find_urls(args)
        if len(found) > 1:
            raise DigestProblem("Share one link at a time: /del <link> [comment].")
        if found:  # the link may come anywhere: "/del Bra om tillit https://..."
            raw, comment = found[0], remove_urls(args)
        else:
            raw, _, comment = args.strip().partition(" ")
        if not raw:
            raise DigestProblem("Write /del <link> [comment], e.g. /del https://www.udir.no/... Good about trust.")
        try:
            url = canonical_url(raw)
        except InvalidUrl as err:
            raise DigestProblem(err.reason) from None
        return await self.record(network.id, member, url, check_length(comment.strip(), MAX_COMMENT), explicit=True)

    async def record(self, network_id: int, member: Member, url: str, comment: str, *, explicit: bool) -> Shared:
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            repo = Digests(s)
            article, new_article = await repo.ensure_article(network_id, url, now)
            share, new_share = await repo.add_share(article, member=member, comment=comment, explicit=explicit, now=now)
            result = Shared(url, article.title, new_article, new_share, share.recommended)
            pending = article.fetch_status == "pending"
            article_id = article.id
        if pending and self.fetch_settings.read_the_web:
            await self.bot.scheduler.schedule("digest.fetch", now, {}, key=f"digest.fetch:{article_id}")
        return result

    # -- metadata ---------------------------------------------------------------------------------
    async def fetch_pending(self, limit: int = 10_000) -> int:
        """Read the metadata of every article still waiting, a batch at a time; returns how many.

        A batch is fetched concurrently (bounded by the fetcher) and saved in one transaction, so
        memory stays bounded by the batch and the database sees one write per batch.
        """
        done, last_id = 0, 0
        async with self.fetcher() as fetcher:
            while done < limit:
                async with self.bot.db.session() as s:
                    batch = await Digests(s).pending_articles(min(FETCH_BATCH, limit - done), after_id=last_id)
                if not batch:
                    break
                metas = await asyncio.gather(*(fetcher.page_meta(url) for _, url in batch))
                now = self.bot.clock.now()
                async with self.bot.db.session() as s:
                    repo = Digests(s)
                    for (article_id, _), meta in zip(batch, metas, strict=True):
                        await repo.save_metadata(article_id, _metadata_values(meta, now))
                done += len(batch)
                last_id = batch[-1][0]
        return done
