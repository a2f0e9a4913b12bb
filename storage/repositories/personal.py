"""The erasure's work on the tables every feature shares: the outbox, the scheduled jobs, the audit
log, and member ids kept without a foreign key (see `storage/personal.py`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.core import AuditEntry
from storage.models.runtime import Delivery, ScheduledJob
from storage.personal import Holds, columns_of_members

# A line shorter than this ("Ja", "Takk!") says nothing about who wrote it, and would match
# other people's messages; longer lines are looked for by their start, since cards shorten texts.
MIN_WORDS = 8
WORDS_PREFIX = 40
BATCH = 500
# What a delivery that carried a member's words keeps: the key (so it is never sent again) and
# the platform's message ids, without the message.
ERASED_MESSAGE: dict[str, Any] = {"summary": "", "parts": []}
# Payload keys under which a job names a member.
MEMBER_KEYS = ("member", "member_id")


@dataclass(frozen=True)
class Traces:
    """How to recognise a member where the bot copied them: their platform id, name and words."""

    platform: str
    workspace_id: str
    user_id: str
    names: tuple[str, ...]
    words: tuple[str, ...]

    @staticmethod
    def of(platform: str, workspace_id: str, user_id: str, names: Iterable[str], texts: Iterable[str]) -> Traces:
        words = {
            line[:WORDS_PREFIX] for text in texts for line in (part.strip() for part in text.splitlines())
            if len(line) >= MIN_WORDS
        }  # fmt: skip
        return Traces(platform, workspace_id, user_id, tuple(n for n in names if n), tuple(sorted(words)))

    @cached_property
    def _name_pattern(self) -> re.Pattern[str]:
        # Names and ids as whole words: "Ola" must not match "Olav" or "skolar".
        names = sorted({self.user_id, *self.names}, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)")

    @cached_property
    def _words_pattern(self) -> re.Pattern[str] | None:
        return re.compile("|".join(re.escape(w) for w in self.words)) if self.words else None

    @cached_property
    def _stored_pattern(self) -> re.Pattern[str]:
        """Any trace as it is written in a stored JSON text (escaped, whichever way non-ASCII is):
        a quick first look that spares decoding the rows that cannot match."""
        forms = {
            json.dumps(trace, ensure_ascii=ascii)[1:-1]
            for trace in (self.user_id, *self.names, *self.words)
            for ascii in (True, False)
        }
        return re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))

    def maybe_in(self, *stored: str | None) -> bool:
        return any(text and self._stored_pattern.search(text) for text in stored)

    def found_in(self, *values: Any) -> bool:
        words = self._words_pattern
        for text in _strings(values):
            if self._name_pattern.search(text) or (words is not None and words.search(text)):
                return True
        return False

    def in_workspace(self, destination: dict[str, Any] | None) -> bool:
        """The member's words are copied only within their own workspace (their network)."""
        where = (destination or {}).get("conversation") or (destination or {}).get("user") or {}
        return (where.get("platform"), where.get("workspace_id")) == (self.platform, self.workspace_id)

    def is_user(self, user: dict[str, Any] | None) -> bool:
        return bool(user) and (user["platform"], user["workspace_id"], user["id"]) == (  # type: ignore[index]
            self.platform,
            self.workspace_id,
            self.user_id,
        )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def names_member(payload: dict[str, Any] | None, member_id: int) -> bool:
    return bool(payload) and any(payload.get(key) == member_id for key in MEMBER_KEYS)  # type: ignore[union-attr]


@dataclass
class Found:
    """Rows that concern a member: outbox rows to them and naming them, jobs naming them."""

    to_member: list[int] = field(default_factory=list)
    naming: list[int] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)
    # The last ids read, so a second look reads only what came since.
    outbox_read: int = 0
    jobs_read: int = 0


class PersonalData:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def forget_member_id(self, member_id: int) -> None:
        """Member ids kept without a foreign key (who proposed a time, whom to tell of a failure,
        who did something in the audit log) become NULL."""
        for column, personal in columns_of_members():
            if personal.holds == Holds.MEMBER and personal.erase == "set_null":
                await self.s.execute(update(column.table).where(column == member_id).values({column.name: None}))

    async def anonymise_audit(self, network_id: int, member_id: int) -> None:
        """The log keeps what was done and when, not by or to whom, nor a setting the member typed."""
        rows = await self.s.scalars(select(AuditEntry).where(AuditEntry.network_id == network_id))
        for entry in rows.all():
            details = dict(entry.details or {})
            changed = False
            if entry.actor_member_id == member_id and "value" in details:
                details["value"], changed = None, True
            for key in MEMBER_KEYS:
                if details.get(key) == member_id:
                    details[key], changed = None, True
            if changed:
                entry.details = details

    async def find(self, traces: Traces, member_id: int, since: Found | None = None) -> Found:
        """The outbox rows and jobs that concern the member, read after those `since` found.

        Reading the whole outbox takes seconds; the erasure does it before its transaction, then
        reads only what came since inside it, so the write lock is held briefly."""
        found = since or Found()
        where = (Delivery.platform == traces.platform) & (Delivery.id > found.outbox_read)
        # As stored text: most rows are ruled out without decoding them.
        columns = [cast(c, Text) for c in (Delivery.destination, Delivery.message, Delivery.sent_conversation)]
        async for delivery_id, *stored in self._batches(Delivery.id, *columns, where=where):
            found.outbox_read = delivery_id
            if not traces.maybe_in(*stored):
                continue
            destination, message, sent_conversation = (json.loads(text) if text else None for text in stored)
            if not traces.in_workspace(destination):
                continue
            if traces.is_user((destination or {}).get("user")):
                found.to_member.append(delivery_id)
            elif traces.found_in(destination, message, sent_conversation):
                found.naming.append(delivery_id)
        rows = self._batches(ScheduledJob.id, ScheduledJob.payload, where=ScheduledJob.id > found.jobs_read)
        async for job_id, payload in rows:
            found.jobs_read = job_id
            if names_member(payload, member_id):
                found.jobs.append(job_id)
        return found

    async def erase_found(self, found: Found) -> None:
        """Messages to the member are deleted. Messages to others that carry the member's name or
        words: sent ones keep only their key (never sent again) and the platform's ids; unsent ones
        are deleted, so they never go out, and a feature that sends them again (the digest's
        redelivery) writes them afresh from what the erasure left. Jobs that name the member (an
        invitation that expires, ...) are dropped: they have nobody left to work for."""
        for chunk in _chunks(found.to_member):
            await self.s.execute(delete(Delivery).where(Delivery.id.in_(chunk)))
        for chunk in _chunks(found.naming):
            await self.s.execute(
                delete(Delivery).where(Delivery.id.in_(chunk), Delivery.status.in_(("pending", "sending")))
            )
            await self.s.execute(update(Delivery).where(Delivery.id.in_(chunk)).values(message=ERASED_MESSAGE))
        for chunk in _chunks(found.jobs):
            await self.s.execute(delete(ScheduledJob).where(ScheduledJob.id.in_(chunk)))

    async def _batches(self, key: Any, *columns: Any, where: Any) -> Any:
        """The rows of a table that match `where`, a batch at a time by id: the outbox grows with
        every message."""
        after = 0
        while True:
            query = select(key, *columns).where(where, key > after).order_by(key).limit(BATCH)
            rows = (await self.s.execute(query)).all()
            for row in rows:
                yield tuple(row)
            if len(rows) < BATCH:
                return
            after = rows[-1][0]


def _chunks(ids: list[int], size: int = BATCH) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
