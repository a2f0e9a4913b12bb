"""Pacing posts into one Slack channel: Slack allows about one message a second in a channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ChannelPacer:
    """At most one message per `interval` seconds into one channel.

    This is about Slack's real-time limit, so it uses the event loop's clock, not `bot.clock`.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._ready_at: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        if self.interval <= 0:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._ready_at.get(channel, 0.0) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._ready_at[channel] = loop.time() + self.interval
                self._forget_idle(loop.time())

    def _forget_idle(self, now: float) -> None:
        if len(self._ready_at) < 1000:
            return
        for channel, ready in list(self._ready_at.items()):
            lock = self._locks.get(channel)
            if ready < now and (lock is None or not lock.locked()):
                self._ready_at.pop(channel, None)
                self._locks.pop(channel, None)
