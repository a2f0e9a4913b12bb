"""Samsnakk to-og-to: pairing rounds, their groups, "don't pair me with", and booked calls.

Only ids, times and statuses are kept: no text from the conversations themselves (the learning
notes people choose to share go to the core `learning_notes` table).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class SamsnakkRound(Base):
    __tablename__ = "samsnakk_rounds"
    __table_args__ = (UniqueConstraint("network_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / closed / skipped
    seed: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]


class SamsnakkGroup(Base):
    """Two (or three) members of one round and the group conversation the bot opened for them."""

    __tablename__ = "samsnakk_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("samsnakk_rounds.id", ondelete="CASCADE"), index=True)
    conversation: Mapped[dict[str, Any] | None] = mapped_column()
    # pending / met / not_yet / skipped: the answer to "Har dere fått snakket?"
    status: Mapped[str] = mapped_column(String(16), default="pending")


class SamsnakkGroupMember(Base):
    __tablename__ = "samsnakk_group_members"
    __table_args__ = (UniqueConstraint("group_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("samsnakk_groups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    note_shared: Mapped[bool] = mapped_column(default=False)


class SamsnakkAvoid(Base):
    """`member_id` asked not to be paired with `avoided_id` in rounds."""

    __tablename__ = "samsnakk_avoid"
    __table_args__ = (UniqueConstraint("member_id", "avoided_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    avoided_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)


class SamsnakkCall(Base):
    """A quick call between two members: proposed, confirmed, then done (or cancelled/expired).

    "open" is a `/samsnakk nå` call nobody has taken yet (no partner). `version` grows when the
    time changes, so reminders and messages of an older time are recognised and skipped.
    """

    __tablename__ = "samsnakk_calls"
    __table_args__ = (Index("ix_samsnakk_calls_status_starts", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # The third member when a round's trio books together; invited, but the partner answers.
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    # Who proposed the current time; the other one accepts it.
    proposed_by_id: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    starts_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(default=15)
    topic: Mapped[str] = mapped_column(Text, default="")
    # The unguessable part of the video room's address.
    room: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None]
    posted_in: Mapped[dict[str, Any] | None] = mapped_column()
    posted_message_id: Mapped[str | None] = mapped_column(String(64))
    requester_noted: Mapped[bool] = mapped_column(default=False)
    partner_noted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
