"""Each request from Slack is handled once, on whichever worker it reaches.

Slack sends an event again when it thinks the first went unanswered (`X-Slack-Retry-Num`), and
anyone who captured a signed request can send it again while its signature is good (five
minutes). Both carry what Slack gave the first: the event id, or an interaction's or command's
trigger id; anything else is known by its signed timestamp and body. That key, hashed, goes
into the database, so every worker sees it, and a repeat is acknowledged without being handled.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from storage.db import Database
from storage.repositories.slack import SlackSeenRequests

log = logging.getLogger(__name__)

# Longer than Slack retries an event (three times, the last about five minutes on) and than a
# signature stays good: a repeat after this is refused by its signature anyway.
REMEMBER_FOR = timedelta(hours=1)
PURGE_EVERY = timedelta(minutes=5)
NOT_DEDUPLICATED = ("url_verification", "ssl_check")


def request_key(body: Mapping[str, Any], raw_body: str, headers: Mapping[str, Sequence[str] | str]) -> str | None:
    """What makes this request the same as an earlier one, hashed; None for Slack's own checks."""
    if body.get("type") in NOT_DEDUPLICATED or body.get("ssl_check"):
        return None
    if event_id := body.get("event_id"):
        identity = f"event:{event_id}"
    elif trigger_id := body.get("trigger_id"):
        identity = f"trigger:{trigger_id}"
    else:
        identity = f"body:{_header(headers, 'x-slack-request-timestamp')}:{raw_body}"
    return hashlib.sha256(identity.encode()).hexdigest()


def is_retry(headers: Mapping[str, Sequence[str] | str]) -> bool:
    return bool(_header(headers, "x-slack-retry-num"))


def _header(headers: Mapping[str, Sequence[str] | str], name: str) -> str:
    value = headers.get(name) or ""
    return value if isinstance(value, str) else (value[0] if value else "")


class HandledRequests:
    """The keys of requests already handled, in the database (shared by all workers)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._next_purge: datetime | None = None

    async def first_time(self, key: str) -> bool:
        now = self.clock.now()
        try:
            async with self.db.session() as s:
                await SlackSeenRequests(s).add(key, now + REMEMBER_FOR)
        except IntegrityError:
            return False
        if self._next_purge is None or now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY
            async with self.db.session() as s:
                await SlackSeenRequests(s).purge(now)
        return True
