"""Networks, their channels and members, learning notes and the leaders' audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    SCHOOL_LEADER = "school_leader"
    NETWORK_LEADER = "network_leader"


class Network(Base):
    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="nb")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo")
    # "platform:workspace" this network was set up for; one network per workspace.
    workspace_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class Member(Base):
    __tablename__ = "members"
    # Ids appear in job and delivery keys, so SQLite must never reuse them after a delete.
    __table_args__ = (
        UniqueConstraint("network_id", "platform", "workspace_id", "user_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    school: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.PARTICIPANT,
    )
    language: Mapped[str | None] = mapped_column(String(8))
    # Feature opt-ins and personal settings, e.g. {"kritisk_venn": true, "digest_dm": false}.
    opt_ins: Mapped[dict[str, Any]] = mapped_column(default=dict)
    joined_at: Mapped[datetime]

    @property
    def is_leader(self) -> bool:
        return self.role == Role.NETWORK_LEADER

    @property
    def user_key(self) -> str:
        return f"{self.platform}:{self.workspace_id}:{self.user_id}"


class LearningNote(Base):
    """A short learning note a member chose to share with the network (goes into the digest)."""

    __tablename__ = "learning_notes"
    __table_args__ = (Index("ix_learning_notes_network_created", "network_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # "kritisk_venn", "samsnakk", ...
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    # Kept when the actor deletes their data, so the log stays complete; only the id is stored.
    actor_member_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
