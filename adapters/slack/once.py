"""Each request from Slack is handled once, on whichever worker it reaches.

Slack sends an event again when it thinks the first went unanswered (`X-Slack-Retry-Num`), and
anyone who captured a signed request can send it again while its signature is good (five
minutes). Both carry what Slack gave the first: the event id, or an interaction's or command's
trigger id; anything else is known by its signed timestamp and body. That key, hashed, goes
into the database, so every worker sees it, and a repeat is acknowledged without being handled.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

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
    """The keys of requests already handled, in the database (shared by all workers).

    Every request is looked up, so the keys go in batches: those that arrive while a batch waits
    for its turn to write (SQLite's one writer) or for a connection join it, and the batch is one
    statement in one unit of work. A unit of work for each key cost more CPU than the rest of a
    slash command, and took a turn of the writer each.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._next_purge: datetime | None = None
        self._waiting: dict[str, list[asyncio.Future[bool]]] | None = None  # the batch not yet written
        self._writing: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak references

    async def first_time(self, key: str) -> bool:
        """True for the first request with this key on any worker; it is recorded once this returns."""
        if self._waiting is None:
            self._waiting = {}
            task = asyncio.get_running_loop().create_task(self._write_batch())
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(answer)
        return await answer

    async def _write_batch(self) -> None:
        batch: dict[str, list[asyncio.Future[bool]]] = {}
        try:
            async with self.db.session() as s:
                # Keys that come from here on go into the next batch.
                batch, self._waiting = self._waiting or {}, None
                now = self.clock.now()
                new = await SlackSeenRequests(s).add_new(batch.keys(), now + REMEMBER_FOR)
                if self._next_purge is None or now >= self._next_purge:
                    self._next_purge = now + PURGE_EVERY
                    await SlackSeenRequests(s).purge(now)
        except BaseException as exc:
            if not batch:  # failed before its turn: the waiting keys are this batch
                batch, self._waiting = self._waiting or {}, None
            for answer in (a for answers in batch.values() for a in answers if not a.done()):
                if isinstance(exc, Exception):
                    answer.set_exception(exc)  # each caller hears of it (and bolt logs it)
                else:
                    answer.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        for key, answers in batch.items():
            # The same request twice in one batch: the second is a repeat of the first.
            for index, answer in enumerate(answers):
                if not answer.done():
                    answer.set_result(index == 0 and key in new)
