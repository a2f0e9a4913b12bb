"""What many tests need: waiting for something to happen, fake servers, and reading what the bot sent.

- `eventually(check, what=...)` waits for work that happens after the call that caused it (after
  an ack, in another worker or process) without fixed sleeps, and fails naming what it awaited.
- `FakeServer` is the base of the fake platforms and web servers: started on 127.0.0.1 on a free
  port, reached at `url`, stopped with `close()`, every request kept in `requests`.
- `dms_to`, `channel_posts`, `group_posts`, `ephemeral` and `texts` pick out of a chat's `sent`
  (or a list of replies) what a test looks at.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar, overload

import aiohttp
from aiohttp import web

from adapters.memory import Chat, Sent
from bot.app import shutdown
from bot.core import Bot

T = TypeVar("T")
R = TypeVar("R")


# -- waiting --------------------------------------------------------------------------------------
@overload
async def eventually(
    check: Callable[[], Awaitable[T]], *, what: str | Callable[[], str], within: float = ..., every: float = ...
) -> T: ...
@overload
async def eventually(
    check: Callable[[], T], *, what: str | Callable[[], str], within: float = ..., every: float = ...
) -> T: ...
async def eventually(
    check: Callable[[], Any], *, what: str | Callable[[], str], within: float = 5.0, every: float = 0.01
) -> Any:
    """Call `check` (plain or async) every `every` seconds until it gives something true; return that.

    After `within` seconds (and one last look) it fails with an AssertionError naming `what`; a
    callable `what` is asked then, so the message can say what was there instead."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        if time.monotonic() >= deadline:
            awaited = what() if callable(what) else what
            raise AssertionError(f"gave up waiting for {awaited} after {within} s")
        await asyncio.sleep(every)


async def answers(http: aiohttp.ClientSession, url: str, status: int = 200) -> bool:
    """Whether a GET of `url` answers with `status` now (False while nothing listens there yet)."""
    try:
        async with http.get(url) as response:
            return response.status == status
    except aiohttp.ClientError:
        return False


@asynccontextmanager
async def running(
    serve: Callable[[Bot, dict[str, Any]], Awaitable[None]], bot: Bot, options: dict[str, Any]
) -> AsyncIterator[None]:
    """A platform's runner, `serve(bot, options)` as `samskap run` calls it, in the background for
    the block; then it is cancelled and the bot shut down."""
    task = asyncio.create_task(serve(bot, options))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await shutdown(bot)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, on `host`."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


# -- fake servers ---------------------------------------------------------------------------------
@dataclass
class Recorded:
    """One HTTP request a fake server received."""

    method: str
    path: str
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def authorization(self) -> str:
        return self.headers.get("Authorization", "")

    @property
    def token(self) -> str:
        """The credential in the Authorization header, without its scheme (`Bot`, `Bearer`)."""
        return self.authorization.split(" ", 1)[-1]


def recorded(request: web.Request, body: Any = None, *, path: str | None = None) -> Recorded:
    """`request` as a fake keeps it (`path`: the part of the path its routes speak of)."""
    return Recorded(request.method, request.path if path is None else path, body, dict(request.query),
                    dict(request.headers))  # fmt: skip


@dataclass
class Failure:
    """A scripted answer for the next `times` requests whose method is `method` and path matches `path`."""

    method: str
    path: str  # a regular expression, searched for in the path
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


def take_failure(failures: list[Failure], method: str, path: str) -> Failure | None:
    """The first scripted failure for this request, with one use of it taken."""
    for failure in failures:
        if failure.times > 0 and failure.method == method and re.search(failure.path, path):
            failure.times -= 1
            return failure
    return None


@dataclass(kw_only=True)
class FakeServer(Generic[R]):
    """An aiohttp application on `host` (127.0.0.1) on a free port, for as long as a test needs it.

    A subclass adds its routes in `routes(app)` and keeps what it received in `requests`;
    `await Fake().start()` serves it at `url`, `await fake.close()` stops it (or `async with Fake() as fake:`)."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, chosen when it starts
    requests: list[R] = field(default_factory=list)
    _runner: web.AppRunner | None = field(default=None, repr=False)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def addresses(self) -> list[tuple[str, int]]:
        """Where to listen: (host, port) pairs. One by default; a server standing for several can say more."""
        return [(self.host, self.port)]

    async def start(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            for host, port in self.addresses():
                await web.TCPSite(self._runner, host, port).start()
        except OSError:  # a port was taken: listen nowhere
            await self.close()
            raise
        self.port = self._runner.addresses[0][1]
        return self

    @property
    def url(self) -> str:
        """The server's root, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()


# -- what the bot sent ----------------------------------------------------------------------------
def _sent(source: Chat | Iterable[Sent]) -> Iterable[Sent]:
    return source.sent if isinstance(source, Chat) else source


def dms_to(source: Chat | Iterable[Sent], name: str, containing: str = "") -> list[Sent]:
    """The direct messages to `name` (not the replies only they see), those with `containing` in their text.

    `source`: a chat (everything it sent) or the replies to one step."""
    return [
        s for s in _sent(source)
        if s.destination.kind == "dm" and s.destination.user is not None and s.destination.user.id == name
        and containing in s.text
    ]  # fmt: skip


def channel_posts(source: Chat | Iterable[Sent], containing: str = "") -> list[Sent]:
    """What was posted for everyone in a channel or a thread in one."""
    return [s for s in _sent(source) if s.destination.kind == "channel" and containing in s.text]


def group_posts(source: Chat | Iterable[Sent], containing: str = "") -> list[Sent]:
    """What was posted in group conversations (the ones the bot opens for a few members)."""
    return [s for s in _sent(source) if s.destination.kind == "group" and containing in s.text]


def ephemeral(source: Chat | Iterable[Sent]) -> list[Sent]:
    """Replies only the one who asked sees."""
    return [s for s in _sent(source) if s.destination.kind == "ephemeral"]


def texts(source: Chat | Iterable[Sent], containing: str = "") -> list[str]:
    """The plain texts, those with `containing` in them."""
    return [s.text for s in _sent(source) if containing in s.text]
