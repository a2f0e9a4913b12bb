"""Slack app installations (one per workspace) and the short-lived OAuth `state` values."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class SlackInstallation(Base):
    """The bot token a workspace granted when it installed the app (bot scopes only, no user tokens)."""

    __tablename__ = "slack_installations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<enterprise id>:<team id>"; either part may be empty (org-wide installs have no team).
    installation_key: Mapped[str] = mapped_column(String(80), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    team_id: Mapped[str | None] = mapped_column(String(32), index=True)
    team_name: Mapped[str] = mapped_column(String(200), default="")
    app_id: Mapped[str] = mapped_column(String(32), default="")
    bot_token: Mapped[str] = mapped_column(Text)
    bot_id: Mapped[str] = mapped_column(String(32), default="")
    bot_user_id: Mapped[str] = mapped_column(String(32), default="")
    bot_scopes: Mapped[str] = mapped_column(Text, default="")
    # Slack's install protocol names the installer; kept for `mine-data`, nothing else about them.
    installer_user_id: Mapped[str] = mapped_column(String(32), default="")
    is_enterprise_install: Mapped[bool] = mapped_column(default=False)
    installed_at: Mapped[datetime]


class SlackOAuthState(Base):
    """A used one-time `state` of the OAuth install redirect (protects against forged callbacks).

    States are signed when issued and written here only when they come back, until they expire."""

    __tablename__ = "slack_oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]


class SlackSeenRequest(Base):
    """A request from Slack already handled: its event id, trigger id or signed body, hashed.

    Slack retries an event it thinks went unanswered, and a captured signed request can be sent
    again within the five minutes its signature is good for; in the database, every worker
    sees that a request was handled, and answers the repeat without handling it again.
    """

    __tablename__ = "slack_seen_requests"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
