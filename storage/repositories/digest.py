"""Shared articles, their sharers, feeds, digest issues, and what else a week brought."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.core import LearningNote, Member, Role
from storage.models.digest import DigestArticle, DigestFeed, DigestIssue, DigestShare
from storage.models.ideas import ExperienceReport, PracticeIdea


@dataclass(frozen=True)
class ShareRow:
    share: DigestShare
    article: DigestArticle
    member_name: str
    member_is_leader: bool
    feed_title: str


@dataclass(frozen=True)
class IdeaRow:
    idea: PracticeIdea
    author_name: str
    author_school: str


@dataclass(frozen=True)
class ReportRow:
    report: ExperienceReport
    idea_text: str
    author_name: str
    author_school: str


class Digests:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # -- articles and shares --------------------------------------------------------------------
    async def article(self, article_id: int) -> DigestArticle | None:
        return await self.s.get(DigestArticle, article_id)

    async def article_by_url(self, network_id: int, url: str) -> DigestArticle | None:
        return await self.s.scalar(
            select(DigestArticle).where(DigestArticle.network_id == network_id, DigestArticle.url == url)
        )

    async def ensure_article(self, network_id: int, url: str, now: datetime) -> tuple[DigestArticle, bool]:
        """The article for this canonical URL; inserted race-free if two shares arrive at once."""
        existing = await self.article_by_url(network_id, url)
        if existing is not None:
            return existing, False
        values = {
            "network_id": network_id, "url": url, "title": "", "description": "", "site_name": "",
            "language": "", "content_type": "", "fetch_status": "pending", "first_seen_at": now,
        }  # fmt: skip
        result = await self.s.execute(self._insert_ignoring_conflict(DigestArticle, values))
        article = await self.article_by_url(network_id, url)
        assert article is not None
        return article, bool(result.rowcount)  # type: ignore[attr-defined]

    def _insert_ignoring_conflict(self, model: type, values: dict[str, Any]) -> Any:
        dialect = self.s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        return insert(model).values(**values).on_conflict_do_nothing()

    async def add_share(
        self,
        article: DigestArticle,
        *,
        member: Member | None = None,
        feed: DigestFeed | None = None,
        comment: str = "",
        explicit: bool = False,
        now: datetime,
    ) -> tuple[DigestShare, bool]:
        """Record who brought the article; a second share by the same member adds to the first."""
        if member is not None:
            where = DigestShare.member_id == member.id
        else:
            assert feed is not None
            where = DigestShare.feed_id == feed.id
        existing = await self.s.scalar(select(DigestShare).where(DigestShare.article_id == article.id, where))
        recommended = member is not None and member.role == Role.NETWORK_LEADER
        if existing is not None:
            if comment and comment not in existing.comment:
                existing.comment = f"{existing.comment} / {comment}" if existing.comment else comment
            existing.recommended = existing.recommended or recommended
            existing.explicit = existing.explicit or explicit
            return existing, False
        share = DigestShare(
            network_id=article.network_id,
            article_id=article.id,
            member_id=member.id if member else None,
            feed_id=feed.id if feed else None,
            comment=comment,
            recommended=recommended,
            explicit=explicit,
            created_at=now,
        )
        self.s.add(share)
        await self.s.flush()
        return share, True

    async def pending_articles(self, limit: int, after_id: int = 0) -> list[tuple[int, str]]:
        """(id, url) of articles whose page has not been read yet, oldest first."""
        rows = await self.s.execute(
            select(DigestArticle.id, DigestArticle.url)
            .where(DigestArticle.fetch_status == "pending", DigestArticle.id > after_id)
            .order_by(DigestArticle.id)
            .limit(limit)
        )
        return [(article_id, url) for article_id, url in rows.all()]

    async def save_metadata(self, article_id: int, values: dict[str, Any]) -> None:
        await self.s.execute(update(DigestArticle).where(DigestArticle.id == article_id).values(**values))

    async def unclaimed_shares(self, network_id: int, until: datetime) -> list[ShareRow]:
        """Shares no published digest has carried yet (the coming digest's links)."""
        return await self._share_rows(
            DigestShare.network_id == network_id, DigestShare.issue_id.is_(None), DigestShare.created_at < until
        )

    async def shares_of_issue(self, issue_id: int) -> list[ShareRow]:
        return await self._share_rows(DigestShare.issue_id == issue_id)

    async def claim_shares(self, network_id: int, issue_id: int, until: datetime) -> int:
        """Give every unclaimed share up to `until` to this issue; a concurrent claim waits or gets none."""
        result = await self.s.execute(
            update(DigestShare)
            .where(
                DigestShare.network_id == network_id,
                DigestShare.issue_id.is_(None),
                DigestShare.created_at < until,
            )
            .values(issue_id=issue_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _share_rows(self, *where: Any) -> list[ShareRow]:
        query = (
            select(DigestShare, DigestArticle, Member.display_name, Member.role, DigestFeed.title)
            .join(DigestArticle, DigestArticle.id == DigestShare.article_id)
            .outerjoin(Member, Member.id == DigestShare.member_id)
            .outerjoin(DigestFeed, DigestFeed.id == DigestShare.feed_id)
            .where(*where)
            .order_by(DigestShare.created_at, DigestShare.id)
        )
        rows = (await self.s.execute(query)).all()
        return [
            ShareRow(share, article, name or "", role == Role.NETWORK_LEADER, feed_title or "")
            for share, article, name, role, feed_title in rows
        ]

    async def was_published(self, article_id: int) -> bool:
        found = await self.s.scalar(
            select(DigestShare.id)
            .where(DigestShare.article_id == article_id, DigestShare.issue_id.is_not(None))
            .limit(1)
        )
        return found is not None

    async def count_unclaimed_shares_of(self, member_id: int) -> int:
        query = select(func.count()).where(DigestShare.member_id == member_id, DigestShare.issue_id.is_(None))
        return int(await self.s.scalar(query) or 0)

    async def shares_of(self, member_id: int) -> list[tuple[DigestShare, DigestArticle]]:
        rows = (
            await self.s.execute(
                select(DigestShare, DigestArticle)
                .join(DigestArticle, DigestArticle.id == DigestShare.article_id)
                .where(DigestShare.member_id == member_id)
                .order_by(DigestShare.created_at)
            )
        ).all()
        return [(share, article) for share, article in rows]

    async def remove_articles_only_shared_by(self, member_id: int) -> None:
        others = select(DigestShare.article_id).where(
            (DigestShare.member_id != member_id) | DigestShare.member_id.is_(None)
        )
        mine = select(DigestShare.article_id).where(DigestShare.member_id == member_id)
        await self.s.execute(delete(DigestArticle).where(DigestArticle.id.in_(mine), DigestArticle.id.not_in(others)))

    # -- what else the network did ----------------------------------------------------------------
    async def ideas_between(self, network_id: int, since: datetime, until: datetime) -> list[IdeaRow]:
        rows = (
            await self.s.execute(
                select(PracticeIdea, Member.display_name, Member.school)
                .join(Member, Member.id == PracticeIdea.author_id)
                .where(
                    PracticeIdea.network_id == network_id,
                    PracticeIdea.created_at >= since,
                    PracticeIdea.created_at < until,
                )
                .order_by(PracticeIdea.created_at)
            )
        ).all()
        return [IdeaRow(idea, name, school) for idea, name, school in rows]

    async def reports_between(self, network_id: int, since: datetime, until: datetime) -> list[ReportRow]:
        rows = (
            await self.s.execute(
                select(ExperienceReport, PracticeIdea.text, Member.display_name, Member.school)
                .join(PracticeIdea, PracticeIdea.id == ExperienceReport.idea_id)
                .join(Member, Member.id == ExperienceReport.member_id)
                .where(
                    PracticeIdea.network_id == network_id,
                    ExperienceReport.created_at >= since,
                    ExperienceReport.created_at < until,
                )
                .order_by(ExperienceReport.created_at)
            )
        ).all()
        return [ReportRow(report, idea_text, name, school) for report, idea_text, name, school in rows]

    async def notes_between(self, network_id: int, since: datetime, until: datetime) -> list[LearningNote]:
        from storage.repositories.core import Notes

        return await Notes(self.s).between(network_id, since, until)

    # -- feeds --------------------------------------------------------------------------------------
    async def feeds(self, network_id: int) -> list[DigestFeed]:
        return list(
            (
                await self.s.scalars(
                    select(DigestFeed).where(DigestFeed.network_id == network_id).order_by(DigestFeed.id)
                )
            ).all()
        )

    async def feed(self, feed_id: int) -> DigestFeed | None:
        return await self.s.get(DigestFeed, feed_id)

    async def feed_by_url(self, network_id: int, url: str) -> DigestFeed | None:
        return await self.s.scalar(select(DigestFeed).where(DigestFeed.network_id == network_id, DigestFeed.url == url))

    async def add_feed(
        self, network_id: int, url: str, title: str, added_by: Member, now: datetime, next_poll_at: datetime
    ) -> DigestFeed:
        feed = DigestFeed(
            network_id=network_id, url=url, title=title, added_by_id=added_by.id, failures=0, polls=0,
            next_poll_at=next_poll_at, created_at=now,
        )  # fmt: skip
        self.s.add(feed)
        await self.s.flush()
        return feed

    async def remove_feed(self, feed: DigestFeed) -> None:
        await self.s.delete(feed)

    async def feeds_added_by(self, member_id: int) -> list[DigestFeed]:
        return list((await self.s.scalars(select(DigestFeed).where(DigestFeed.added_by_id == member_id))).all())

    # -- issues -------------------------------------------------------------------------------------
    async def issue(self, network_id: int, period: str) -> DigestIssue | None:
        return await self.s.scalar(
            select(DigestIssue).where(DigestIssue.network_id == network_id, DigestIssue.period == period)
        )

    async def ensure_issue(self, network_id: int, period: str, now: datetime) -> DigestIssue:
        values = {
            "network_id": network_id, "period": period, "status": "draft", "intro": "", "removed": [],
            "updated_at": now,
        }  # fmt: skip
        await self.s.execute(self._insert_ignoring_conflict(DigestIssue, values))
        issue = await self.issue(network_id, period)
        assert issue is not None
        return issue

    async def latest_published(self, network_id: int) -> DigestIssue | None:
        return await self.s.scalar(
            select(DigestIssue)
            .where(DigestIssue.network_id == network_id, DigestIssue.status == "published")
            .order_by(DigestIssue.published_at.desc(), DigestIssue.id.desc())
            .limit(1)
        )

    async def mark_empty(self, issue_id: int) -> None:
        await self.s.execute(
            update(DigestIssue).where(DigestIssue.id == issue_id, DigestIssue.status == "draft").values(status="empty")
        )

    async def earliest_skipped_start(self, network_id: int) -> datetime | None:
        return await self.s.scalar(
            select(func.min(DigestIssue.window_start)).where(
                DigestIssue.network_id == network_id, DigestIssue.status == "skipped"
            )
        )

    async def mark_published(
        self, issue_id: int, content: dict[str, Any], window_start: datetime, window_end: datetime, now: datetime
    ) -> bool:
        """Publish a draft; False if another worker (or the leader) published or skipped it first."""
        result = await self.s.execute(
            update(DigestIssue)
            .where(DigestIssue.id == issue_id, DigestIssue.status.in_(("draft", "empty")))
            .values(
                status="published",
                content=content,
                window_start=window_start,
                window_end=window_end,
                published_at=now,
                updated_at=now,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def issues_with_content(self, network_id: int) -> list[DigestIssue]:
        return list(
            (
                await self.s.scalars(
                    select(DigestIssue).where(DigestIssue.network_id == network_id, DigestIssue.content.is_not(None))
                )
            ).all()
        )
