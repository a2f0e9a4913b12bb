"""The weekly digest by e-mail: addresses that asked for it, confirmed by a link or code sent to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

# RFC 5321: a path is at most 256 octets, so an address at most 254.
MAX_ADDRESS = 254


class MailSubscription(Base):
    """One address in one network: a member's own, or one a leader invited (member_id is None).

    status: "pending" (waiting for confirmation), "confirmed" (gets the digest), "bounced" (the
    server refused it for good; a leader sees why and fixes it).
    """

    __tablename__ = "mail_subscriptions"
    __table_args__ = (UniqueConstraint("network_id", "address"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(MAX_ADDRESS))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # SHA-256 of the confirmation secret (the link's token, and the code typed in the chat).
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    confirm_expires_at: Mapped[datetime | None]
    # In every e-mail's unsubscribe link and List-Unsubscribe header; it can only unsubscribe.
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    bounced_at: Mapped[datetime | None]
