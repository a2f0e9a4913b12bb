"""The network's meetings (samlinger): the calendar that reminders and the prompts in between follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Samling(Base):
    __tablename__ = "samlinger"
    # Ids appear in job and delivery keys, so SQLite must never reuse them after a delete.
    __table_args__ = (Index("ix_samlinger_network_starts", "network_id", "starts_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    # Where and what, as the leader wrote it ("Rådhuset: trivsel i friminuttene").
    about: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
