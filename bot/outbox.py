"""The delivery outbox: proactive messages are sent once per key, retried until they go.

Interactive replies go straight to the adapter (the user is waiting). Everything the bot sends
on its own — follow-ups, digests, invitations, reminders — goes through here: the message is
stored first, then sent; a retryable platform error (429, 5xx, network) leaves it pending with
a back-off, and the scheduler's tick sends it later. A key that was sent is never sent again,
whichever worker or restart asks.

A worker that stops between the platform call and marking the row sent (killed, or its machine
lost) leaves the row "sending" with a lease; whoever claims it after the lease runs out first asks
the adapter whether the platform already has it (`Adapter.find_sent`), and records it as sent if
so. So does the retry of an attempt that failed in a way that may have come after the platform kept
the message (a lost answer, a 5xx, a connection cut); a look that fails is tried again later rather
than posting blind, and it reaches back to when the delivery was stored. A worker that is asked to
stop (`stop_sending`) stores new deliveries for others to send and hands back the leases it still
holds (`hand_back`), so another worker takes them over at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.exc import IntegrityError

from bot.adapter import CLOCK_MARGIN, Adapter, DeliveryError, Destination, SentMessage
from bot.clock import Clock
from bot.events import Conversation
from bot.messages import Message
from bot.metrics import Metrics
from storage.db import Database
from storage.leases import Leases
from storage.models.runtime import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Longer than any one send takes (Slack's in-line rate-limit waits included): a lease that ran out
# while its worker was still sending would let a second worker send the same message.
LEASE = timedelta(minutes=2)
# The last error of a row whose earlier attempt may have reached the platform (it never finished,
# or failed after the request went out): the next attempt looks for its message before sending.
INTERRUPTED = "interrupted"

# Waiting for its next attempt, or claimed by a worker whose lease ran out (it stopped).
DELIVERIES = Leases(Delivery, Delivery.next_attempt_at, held="sending")

FailureHook = Callable[[Delivery, DeliveryError], Awaitable[None]]


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # "sent", "pending" (will retry), "failed", "duplicate" (sent earlier)
    sent: SentMessage | None = None
    error: DeliveryError | None = None


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    seconds = min(3600.0, 5.0 * 2 ** max(0, attempts - 1))
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


class Outbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        adapters: dict[str, Adapter],
        *,
        lease: timedelta = LEASE,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.adapters = adapters
        self.lease = lease
        self.on_failed: FailureHook | None = None
        self.sending = True
        self._marking: set[asyncio.Future[None]] = set()
        self._claimed: set[int] = set()  # rows this worker holds a lease on right now

    async def deliver(
        self,
        key: str,
        destination: Destination,
        message: Message,
        *,
        notify_member_id: int | None = None,
    ) -> DeliveryResult:
        now = self.clock.now()
        sending = self.sending
        try:
            # Stored already claimed by this worker, so a first attempt costs no extra round trip.
            # A worker that is stopping stores it unclaimed instead, for another worker to send now.
            async with self.db.session() as s:
                row = Delivery(
                    key=key,
                    platform=destination.platform,
                    destination=destination.to_dict(),
                    message=message.to_dict(),
                    status="sending" if sending else "pending",
                    attempts=1 if sending else 0,
                    locked_until=now + self.lease if sending else None,
                    next_attempt_at=now,
                    notify_member_id=notify_member_id,
                    created_at=now,
                )
                s.add(row)
        except IntegrityError:
            existing = await self.get(key)
            if existing is None:
                raise
            if existing.status == "sent":
                return DeliveryResult("duplicate", sent_message(existing))
            if existing.status == "failed":
                return DeliveryResult("failed")
            claimed = await self._claim(Delivery.id == existing.id) if self.sending else None
            return await self._send(claimed) if claimed is not None else DeliveryResult("pending")
        if not sending:
            return DeliveryResult("pending")
        self._claimed.add(row.id)
        return await self._send(row)

    async def retry_due(self, limit: int = 200) -> int:
        now = self.clock.now()
        async with self.db.read() as s:
            due = len((await s.scalars(select(Delivery.id).where(DELIVERIES.due(now)).limit(limit))).all())
        # As many as were due when this began, each claimed just before it is sent (a claimed row
        # left waiting could outlast its lease). Several workers take different rows (SKIP LOCKED).
        sent = 0
        for _ in range(due):
            if not self.sending:
                break
            row = await self._claim()
            if row is None:  # other workers took the rest
                break
            sent += (await self._send(row)).status == "sent"
        return sent

    async def get(self, key: str) -> Delivery | None:
        async with self.db.session() as s:
            return await s.scalar(select(Delivery).where(Delivery.key == key))

    async def _claim(self, which: ColumnElement[bool] | None = None) -> Delivery | None:
        """The earliest due delivery (of those `which` allows), claimed for this worker."""
        now = self.clock.now()
        interrupted = Delivery.status == "sending"
        # An attempt that never finished may have reached the platform: say so (the row keeps its
        # place among the due ones).
        values = {
            "last_error": case((interrupted, INTERRUPTED), else_=Delivery.last_error),
            "next_attempt_at": case((interrupted, Delivery.next_attempt_at), else_=now),
        }
        async with self.db.session() as s:  # a session: the claimed rows come back as model objects
            claimed = await DELIVERIES.claim(s, now, self.lease, where=which, values=values)
        if not claimed:
            return None
        self._claimed.add(claimed[0].id)
        return claimed[0]

    async def _send(self, row: Delivery) -> DeliveryResult:
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            error = DeliveryError("no_adapter", retryable=True, detail=row.platform)
            return await self._record_failure(row, error)
        destination, message = Destination.from_dict(row.destination), Message.from_dict(row.message)
        try:
            if _may_have_posted(row):
                found = await self._find_earlier_copy(adapter, row, destination, message)
                if found is not None:
                    log.info("outbox: delivery %s had reached %s before it was interrupted", row.key, row.platform)
                    return await self._finish_sent(row, found)
            sent = await adapter.send(destination, message, key=row.key)
        except DeliveryError as error:
            return await self._record_failure(row, error)
        except Exception as exc:  # an adapter bug must not lose the message
            log.exception("outbox: unexpected error delivering %s", row.key)
            return await self._record_failure(row, DeliveryError("unknown", retryable=True, detail=str(exc)))
        return await self._finish_sent(row, sent)

    async def _find_earlier_copy(
        self, adapter: Adapter, row: Delivery, destination: Destination, message: Message
    ) -> SentMessage | None:
        """What an earlier attempt may have posted; None when nothing, or when the platform can never
        be asked (sending again is better than losing it). A look that may work later raises."""
        # Every attempt began after the delivery was stored, whenever and however often it was retried.
        since = row.created_at - CLOCK_MARGIN
        try:
            return await adapter.find_sent(destination, message, key=row.key, since=since)
        except DeliveryError as error:
            log.warning("outbox: could not look for delivery %s on %s (%s)", row.key, row.platform, error.code)
            if error.retryable:
                raise
            return None

    async def _finish_sent(self, row: Delivery, sent: SentMessage | None) -> DeliveryResult:
        self.metrics.delivery(row.platform, "sent")
        # Shielded: a stop that cancels us now must not leave a sent message looking unsent (it would
        # be sent again once the lease runs out).
        marking = asyncio.ensure_future(self._mark_sent(row, sent))
        self._marking.add(marking)
        marking.add_done_callback(self._marking.discard)
        await asyncio.shield(marking)
        return DeliveryResult("sent", sent)

    def stop_sending(self) -> None:
        """From now on store new deliveries for other workers, and claim none (the worker is stopping)."""
        self.sending = False

    async def hand_back(self) -> int:
        """Give up the leases this worker still holds, so another worker claims them at once.

        Call after the sends that held them were stopped: the rows stay "sending", so whoever
        claims one first looks on the platform for what the stopped attempt may have posted."""
        held = list(self._claimed)
        if not held:
            return 0
        async with self.db.one_statement() as s:
            released = await DELIVERIES.release(s, held, self.clock.now())
        self._claimed.clear()
        return released

    async def drain(self) -> None:
        """Wait for "sent" marks still being written (call before closing the database)."""
        if self._marking:
            await asyncio.gather(*self._marking, return_exceptions=True)

    async def _mark_sent(self, row: Delivery, sent: SentMessage | None) -> None:
        async with self.db.session() as s:
            await s.execute(
                update(Delivery)
                .where(Delivery.id == row.id)
                .values(
                    status="sent",
                    sent_at=self.clock.now(),
                    locked_until=None,
                    last_error=None,
                    sent_conversation=sent.conversation.to_dict() if sent else None,
                    sent_message_id=sent.message_id if sent else None,
                    sent_more_ids=list(sent.more_ids) if sent and sent.more_ids else None,
                )
            )
        self._claimed.discard(row.id)  # only now: a row whose mark failed is handed back, not kept

    async def _record_failure(self, row: Delivery, error: DeliveryError) -> DeliveryResult:
        final = not error.retryable or row.attempts >= MAX_ATTEMPTS
        # The retry looks first if this attempt may have reached the platform, or the row already said
        # an earlier one may have (whether or not this attempt got to look).
        look_first = not final and (_may_have_posted(row) or error.may_have_posted)
        async with self.db.session() as s:
            await s.execute(
                update(Delivery)
                .where(Delivery.id == row.id)
                .values(
                    status="failed" if final else "pending",
                    locked_until=None,
                    last_error=f"{INTERRUPTED}: {error.code}"[:200] if look_first else error.code[:200],
                    next_attempt_at=self.clock.now() + _backoff(row.attempts, error.retry_after),
                )
            )
        self._claimed.discard(row.id)
        outcome = "failed" if final else "rate_limited" if error.code == "rate_limited" else "retry"
        self.metrics.delivery(row.platform, outcome)
        log.warning(
            "outbox: delivery %s to %s failed (%s, attempt %d%s)",
            row.key,
            row.platform,
            error.code,
            row.attempts,
            ", giving up" if final else ", will retry",
        )
        if final and self.on_failed is not None:
            try:
                await self.on_failed(row, error)
            except Exception:
                log.exception("outbox: failure hook failed for %s", row.key)
        return DeliveryResult("failed" if final else "pending", error=error)


def _may_have_posted(row: Delivery) -> bool:
    return (row.last_error or "").startswith(INTERRUPTED)


def sent_message(row: Delivery) -> SentMessage | None:
    """The handle of what a delivery sent (to update it later), if it was sent."""
    if not row.sent_conversation or not row.sent_message_id:
        return None
    conversation = Conversation.from_dict(row.sent_conversation)
    return SentMessage(conversation, row.sent_message_id, tuple(row.sent_more_ids or ()))
