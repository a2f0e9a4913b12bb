"""What the Teams adapter keeps between restarts: where to reach a tenant and a member, open forms and files on offer.

Teams answers only at the service URL an activity came from, and a direct message needs a 1:1
conversation that exists before anything can be posted in it. Both are learnt when the bot is
installed or first spoken to, and kept here so follow-ups, reminders and digests reach people
after a restart. A form shown as an Adaptive Card, or a file offered for download, is kept with who it is for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class TeamsTenant(Base):
    """Where the Bot Connector answers for a tenant, and the bot's id there."""

    __tablename__ = "teams_tenants"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_url: Mapped[str] = mapped_column(String(500))
    bot_id: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class TeamsPerson(Base):
    """How to reach one member: their Teams user id (`29:…`, for creating a chat) and, once it
    exists, the 1:1 conversation with the bot. `user_id` is the Entra object id the core knows."""

    __tablename__ = "teams_people"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    teams_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime]


class TeamsStash(Base):
    """What waits for one member's answer (at most two days): a form sent as an Adaptive Card
    until they send it, or a file until they accept it into their OneDrive."""

    __tablename__ = "teams_stash"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "form" or "file"
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime]
