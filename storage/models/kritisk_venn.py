"""Kritisk venn: a structured critical-friend round, its friends and their contributions.

Everything hangs off the presenter and the friends through cascading foreign keys, so when a
member deletes their data, their rounds (as presenter) or their part in others' rounds go too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class KvSession(Base):
    __tablename__ = "kv_sessions"
    __table_args__ = (
        Index("ix_kv_sessions_network_status", "network_id", "status"),
        Index("ix_kv_sessions_conversation_key", "conversation_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and never reused: delivery and job keys are built from it (ids can be reused on SQLite).
    token: Mapped[str] = mapped_column(String(32), unique=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    presenter_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "practice" or "dilemma"
    practice: Mapped[str] = mapped_column(Text)
    focus_question: Mapped[str] = mapped_column(Text)
    friends_wanted: Mapped[int] = mapped_column()
    pace: Mapped[str] = mapped_column(String(8))  # "live" or "days"
    venue: Mapped[str] = mapped_column(String(8))  # "thread" or "group"
    # inviting -> running -> done, or cancelled
    status: Mapped[str] = mapped_column(String(16), default="inviting")
    # Index into the phase list (see bot.features.kritisk_venn.phases); -1 before the start.
    phase: Mapped[int] = mapped_column(default=-1)
    phase_started_at: Mapped[datetime | None]
    phase_deadline: Mapped[datetime | None]
    open_to_volunteers: Mapped[bool] = mapped_column(default=False)
    # Where /kritiskvenn was used (announcements, volunteers) and where the round runs.
    origin: Mapped[dict[str, Any]] = mapped_column()
    conversation: Mapped[dict[str, Any] | None] = mapped_column()
    conversation_key: Mapped[str | None] = mapped_column(String(300))
    # Set when the platform said the thread or group is gone: the round goes on in direct messages.
    conversation_gone: Mapped[bool] = mapped_column(default=False)
    note_shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class KvFriend(Base):
    __tablename__ = "kv_friends"
    __table_args__ = (UniqueConstraint("session_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("kv_sessions.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # invited, accepted, declined, expired (no answer in time), withdrawn (round cancelled or full)
    status: Mapped[str] = mapped_column(String(16), default="invited")
    # How they came: "chosen" (fair rotation), "named" (by the presenter), "volunteer".
    source: Mapped[str] = mapped_column(String(16))
    invited_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class KvContribution(Base):
    __tablename__ = "kv_contributions"
    __table_args__ = (Index("ix_kv_contributions_session_phase", "session_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("kv_sessions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    phase: Mapped[int] = mapped_column()
    # clarifying, probing, answer, warm, cool, suggestion, reflection, debrief, late
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
