"""Practice ideas, who is trying them, follow-ups and experience reports."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


def _enum(e: type[enum.Enum]) -> Enum:
    return Enum(e, native_enum=False, length=20, values_callable=lambda x: [m.value for m in x])


class PracticeIdea(Base):
    __tablename__ = "practice_ideas"
    __table_args__ = (
        Index("ix_practice_ideas_network_created", "network_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    # Where the idea was announced, so reports can be posted in its thread.
    posted_in: Mapped[dict[str, Any] | None] = mapped_column()
    posted_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AdoptionStatus(enum.StrEnum):
    TRYING = "trying"
    REPORTED = "reported"
    NOT_YET = "not_yet"


class Adoption(Base):
    __tablename__ = "adoptions"
    __table_args__ = (UniqueConstraint("idea_id", "member_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("practice_ideas.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[AdoptionStatus] = mapped_column(_enum(AdoptionStatus), default=AdoptionStatus.TRYING)
    created_at: Mapped[datetime]


class FollowUpStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    CANCELLED = "cancelled"


class FollowUp(Base):
    __tablename__ = "follow_ups"
    # Ids appear in job and delivery keys, so SQLite must never reuse them after a delete.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    adoption_id: Mapped[int] = mapped_column(ForeignKey("adoptions.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime]
    status: Mapped[FollowUpStatus] = mapped_column(_enum(FollowUpStatus), default=FollowUpStatus.PENDING)
    sent_at: Mapped[datetime | None]


class ExperienceReport(Base):
    __tablename__ = "experience_reports"
    __table_args__ = (
        Index("ix_experience_reports_idea_created", "idea_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("practice_ideas.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    what_we_did: Mapped[str] = mapped_column(Text)
    what_we_changed: Mapped[str] = mapped_column(Text, default="")
    what_happened: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
