"""Discord failures → the core's `DeliveryError`, so the outbox knows what to retry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import discord

from adapters.retry_after import retry_after_seconds
from bot.adapter import DeliveryError

# Discord's JSON error codes that mean "that thread/message/channel no longer exists".
UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, UNKNOWN_INTERACTION, THREAD_EXISTS = 10003, 10008, 10062, 160004


def delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):  # discord.py gave up waiting: the outbox waits instead
        return DeliveryError("rate_limited", retryable=True, retry_after=exc.retry_after)
    if isinstance(exc, discord.Forbidden):
        return DeliveryError("forbidden", retryable=False, detail=str(exc.code))
    if isinstance(exc, discord.NotFound):
        return DeliveryError("gone", retryable=False, detail=str(exc.code))
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            headers = exc.response.headers if exc.response is not None else None
            return DeliveryError("rate_limited", retryable=True, retry_after=retry_after_seconds(headers))
        if exc.status >= 500:
            return DeliveryError("server_error", retryable=True, detail=str(exc.status))
        if exc.status == 401:
            return DeliveryError("invalid_auth", retryable=False)
        return DeliveryError("unknown", retryable=False, detail=f"{exc.status}/{exc.code}")
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return DeliveryError("server_error", retryable=True, detail=type(exc).__name__)
    return DeliveryError("unknown", retryable=True, detail=type(exc).__name__)


@asynccontextmanager
async def delivering() -> AsyncIterator[None]:
    """Raise any Discord or network failure inside as a `DeliveryError`."""
    try:
        yield
    except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as exc:
        raise delivery_error(exc) from exc
