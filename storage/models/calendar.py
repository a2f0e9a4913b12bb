"""Personal calendar feeds: a member's secret link to the network's meetings and their own calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class CalendarFeed(Base):
    """One live link per member. Only a hash of the token is kept: the link is shown once, and a
    copy of the database gives nobody a way into anyone's calendar."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
