"""Teams' rate limits, kept on samskap's side so a fan-out does not run into 429s.

Per bot and conversation Teams allows 7 messages a second, 8 in 2 seconds, 60 in 30 seconds and
1,800 an hour; per bot and tenant about 50 requests a second. A send waits until each window it
belongs to has room; what still comes back as 429 is handled by the connector and the outbox.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: float


CONVERSATION_LIMITS = (Limit(7, 1.0), Limit(8, 2.0), Limit(60, 30.0), Limit(1800, 3600.0))
BOT_LIMITS = (Limit(50, 1.0),)


class Pacer:
    def __init__(
        self,
        limits: tuple[Limit, ...],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self._longest = max(limit.seconds for limit in limits)
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def delay(self, key: str) -> float:
        """Seconds until `key` may send again (0 when it may now)."""
        now, sent = self.clock(), self._sent.get(key)
        if not sent:
            return 0.0
        while sent and sent[0] <= now - self._longest:
            sent.popleft()
        wait = 0.0
        for limit in self.limits:
            if len(sent) >= limit.count:
                wait = max(wait, sent[-limit.count] + limit.seconds - now)
        return wait

    async def wait(self, key: str) -> None:
        """Wait for room under every limit, then count one send for `key`."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            while (wait := self.delay(key)) > 0:
                await self.sleep(wait)
            self._sent.setdefault(key, deque()).append(self.clock())
        if len(self._sent) > 10_000:  # forget conversations quiet for longer than the longest window
            self._forget_quiet()

    def _forget_quiet(self) -> None:
        cutoff = self.clock() - self._longest
        for key in [k for k, sent in self._sent.items() if not sent or sent[-1] <= cutoff]:
            self._sent.pop(key, None)
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                self._locks.pop(key, None)
