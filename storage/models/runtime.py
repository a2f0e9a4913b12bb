"""Durable runtime state: scheduled jobs and the delivery outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class ScheduledJob(Base):
    """A job that must run at `run_at` (UTC), once, on whichever worker claims it first.

    Recurring jobs carry a crontab line and the time zone it is read in; after each run
    the next fire time is computed and the row is re-armed. `planned_at` is when the job was
    meant to run: a retry moves `run_at` on, but lateness is judged against the plan.
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_due", "status", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    run_at: Mapped[datetime]
    planned_at: Mapped[datetime | None]  # None in rows from before it was kept: `run_at` then
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/running/done/failed/skipped
    cron: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One message to one destination, sent at most once per `key` (the outbox)."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    destination: Mapped[dict[str, Any]] = mapped_column()
    message: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/sending/sent/failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    sent_conversation: Mapped[dict[str, Any] | None] = mapped_column()
    sent_message_id: Mapped[str | None] = mapped_column(String(64))
    sent_more_ids: Mapped[list[str] | None] = mapped_column()  # further parts of a split message
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Who to tell if it finally fails (a member id), and whether they were told.
    notify_member_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
