"""Bot Connector failures → the core's `DeliveryError`, so the outbox knows what to retry.

Teams answers 429 with `Retry-After` when a conversation or the bot sends too fast, 412/502/503/504
when its service is busy, 403 when the bot was removed or the user blocked it, and 404 when the
conversation or message is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from adapters.retry_after import retry_after_seconds
from bot.adapter import DeliveryError


def delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, aiohttp.ClientResponseError):
        return _by_status(exc.status, retry_after_seconds(exc.headers))
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return DeliveryError("server_error", retryable=True, detail=type(exc).__name__)
    return DeliveryError("unknown", retryable=True, detail=type(exc).__name__)


def _by_status(status: int, retry_after: float | None) -> DeliveryError:
    if status == 429:
        return DeliveryError("rate_limited", retryable=True, retry_after=retry_after)
    if status == 412 or status >= 500:  # 412: Teams' "precondition failed" while a conversation is busy
        return DeliveryError("server_error", retryable=True, retry_after=retry_after, detail=str(status))
    if status == 401:
        return DeliveryError("invalid_auth", retryable=False)
    if status == 403:  # removed from the team, blocked by the user, or not allowed in this chat
        return DeliveryError("forbidden", retryable=False)
    if status in (404, 410):
        return DeliveryError("gone", retryable=False, detail=str(status))
    return DeliveryError("unknown", retryable=False, detail=str(status))


@asynccontextmanager
async def delivering() -> AsyncIterator[None]:
    """Raise any Bot Connector or network failure inside as a `DeliveryError`."""
    try:
        yield
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise delivery_error(exc) from exc
