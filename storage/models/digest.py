"""The network digest: shared articles, who shared them, leaders' feeds and the weekly issues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

# Longer URLs are refused: they do not fit a portable unique index, and real articles are shorter.
MAX_URL_LENGTH = 2000


class DigestFeed(Base):
    """An RSS/Atom feed a leader added; polled with conditional requests and backed off on errors."""

    __tablename__ = "digest_feeds"
    __table_args__ = (UniqueConstraint("network_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    title: Mapped[str] = mapped_column(String(300), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    polls: Mapped[int] = mapped_column(default=0)
    last_polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime]
    created_at: Mapped[datetime]


class DigestArticle(Base):
    """One article per canonical URL and network, with the metadata read from its page."""

    __tablename__ = "digest_articles"
    __table_args__ = (
        UniqueConstraint("network_id", "url"),
        Index("ix_digest_articles_fetch", "fetch_status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    title: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    site_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    published_at: Mapped[datetime | None]
    # pending → ok | failed; a failed page still shows in the digest with its URL.
    fetch_status: Mapped[str] = mapped_column(String(16), default="pending")
    fetch_error: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]


class DigestShare(Base):
    """Someone (a member, or a feed) brought an article to the network, with their comment."""

    __tablename__ = "digest_shares"
    __table_args__ = (
        UniqueConstraint("article_id", "member_id", name="uq_digest_shares_article_member"),
        UniqueConstraint("article_id", "feed_id", name="uq_digest_shares_article_feed"),
        Index("ix_digest_shares_network_created", "network_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("digest_articles.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("digest_feeds.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")
    recommended: Mapped[bool] = mapped_column(default=False)
    explicit: Mapped[bool] = mapped_column(default=False)
    # The digest that carried this share; NULL until one is published, so a skipped week's links
    # and links shared while a digest goes out come in the next one.
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("digest_issues.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime]


class DigestIssue(Base):
    """A network's digest for one period: a draft (intro, removed items), then published or skipped.

    `content` is the frozen snapshot of what was published, so every destination, every retry and
    `/digest` show the same thing, and a leader can still remove an item afterwards.
    """

    __tablename__ = "digest_issues"
    __table_args__ = (UniqueConstraint("network_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # ISO week, e.g. "2026-W37"
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft/published/skipped/empty
    intro: Mapped[str] = mapped_column(Text, default="")
    removed: Mapped[list[str]] = mapped_column(default=list)  # item refs: "a:12", "i:3", ...
    content: Mapped[dict[str, Any] | None] = mapped_column()
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
