"""Digest benchmark: metadata for many links behind a slow server, and a rate-limited fan-out.

    .venv/bin/python -m benchmarks.digest                      # both parts, SQLite
    .venv/bin/python -m benchmarks.digest --db postgres        # on PostgreSQL (127.0.0.1:5432/test)
    .venv/bin/python -m benchmarks.digest --part fetch --links 1000 --latency 0.2
    .venv/bin/python -m benchmarks.digest --part fanout --channels 1000 --global-rate 50
    .venv/bin/python -m benchmarks.digest --part fanout --channels 50 --periods 10 --global-rate 0

fetch:  `--links` shared links point at a local server that waits `--latency` seconds before
        answering each page (≈ 40 KB of HTML). The digest service reads every page's metadata
        through its guarded fetcher. Target: 1,000 links at 200 ms in ≤ 15 s, with memory bounded
        (the peak resident memory while fetching is printed; `--tracemalloc` adds the peak of
        traced Python allocations, at the cost of a slower run).

fanout: a digest is published to `--channels` channels through the core outbox, via a small
        adapter that speaks HTTP to a fake chat platform on 127.0.0.1. The platform accepts at most
        one message per second per channel and `--global-rate` messages per second in all (Discord's
        documented global limit is 50/s), answers over-limit requests with 429 + Retry-After, and
        fails `--error-rate` of requests with a 5xx. `--periods` digests (consecutive weeks) are
        published at once, so each channel also receives several messages in quick succession.
        The platform counts what it accepted: every channel must have each period exactly once.
        Target: ≥ 90 % of the allowed rate. With `--global-rate 0` only the per-channel limit
        binds (use several periods). The fake platform runs in its own process; the bot's side is
        one process, so the core outbox (three small write transactions per message) caps the
        throughput at roughly 70 messages/s on SQLite and 110/s on PostgreSQL on a laptop-class
        machine: beyond that the platform's limits are not what binds.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import random
import resource
import socket
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapter import DeliveryError, Destination, SentMessage
from bot.app import build_bot
from bot.clock import OffsetClock
from bot.config import Config
from bot.core import Bot
from bot.events import Conversation, Event, User
from bot.features.digest.service import DigestService
from bot.messages import Form, Message
from storage.models.core import Role
from storage.repositories.core import Members, Networks
from storage.scratch import throwaway_postgres

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

PAGE = """<!doctype html><html lang="nb"><head><meta charset="utf-8">
<title>Side {n}</title>
<meta property="og:title" content="Artikkel {n} om skolemiljø">
<meta property="og:description" content="Hva ressurslærere lærte av å prøve ut tiltak {n}.">
<meta property="og:site_name" content="Benchmark">
</head><body>{filler}</body></html>"""


# -- databases --------------------------------------------------------------------------------------
@asynccontextmanager
async def database_url(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'digest-{uuid.uuid4().hex[:6]}.db'}"
        return
    async with throwaway_postgres(POSTGRES_URL, "samskap_bench") as url:
        yield url


async def network_with_leader(bot: Bot, platform: str) -> tuple[int, Any]:
    now = bot.clock.now()
    async with bot.db.session() as s:
        network = await Networks(s).create(
            name="Benkenettverket", language="nb", timezone="Europe/Oslo", workspace_key=f"{platform}:w", now=now
        )
        user = User(platform, "w", "leder", "Leder")
        leader = await Members(s).add(network, user, "Nordby", Role.NETWORK_LEADER, now)
    return network.id, leader


# -- part 1: metadata behind a slow server ----------------------------------------------------------
def _serve_slow_pages(port: int, latency: float) -> None:
    """The remote site, in its own process: its CPU is not the bot's."""
    filler = "<p>" + "Lorem ipsum skolemiljø. " * 1600 + "</p>"

    async def page(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        n = request.match_info["n"]
        return web.Response(text=PAGE.format(n=n, filler=filler), content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/artikkel/{n}", page)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=2048)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return
    raise RuntimeError("the page server did not start")


PEAK_RSS: list[float] = []


def rss_mb() -> float:
    """The process's resident memory now (Linux /proc), in MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


async def sample_peak_rss() -> None:
    while True:
        PEAK_RSS.append(rss_mb())
        await asyncio.sleep(0.05)


async def bench_fetch(
    db: str, links: int, latency: float, concurrency: int, trace_memory: bool = False
) -> dict[str, float]:
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve_slow_pages, args=(port, latency), daemon=True)
    server.start()
    await _wait_for_port(port)
    with tempfile.TemporaryDirectory() as tmp:
        async with database_url(db, Path(tmp)) as url:
            section = {"allow_private_addresses": True, "fetch_concurrency": concurrency, "fetch_timeout": 10}
            bot = await build_bot(Config(database_url=url, sections={"digest": section}), clock=OffsetClock())
            service = bot.services.get(DigestService)
            network_id, leader = await network_with_leader(bot, "bench")
            for n in range(links):
                await service.links.record(
                    network_id, leader, f"http://127.0.0.1:{port}/artikkel/{n}", "", explicit=True
                )

            if trace_memory:
                tracemalloc.start()
            rss_before = rss_mb()
            sampler = asyncio.create_task(sample_peak_rss())
            started = time.perf_counter()
            fetched = await service.links.fetch_pending()
            elapsed = time.perf_counter() - started
            sampler.cancel()
            peak_rss = max(rss_before, *PEAK_RSS)
            traced_peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
            tracemalloc.stop()

            async with bot.db.session() as s:
                from sqlalchemy import func, select

                from storage.models.digest import DigestArticle

                ok = await s.scalar(select(func.count()).where(DigestArticle.fetch_status == "ok"))
                titled = await s.scalar(
                    select(func.count()).where(DigestArticle.title.like("Artikkel % om skolemiljø"))
                )
            await bot.db.dispose()
    server.terminate()
    server.join()
    return {
        "links": links, "fetched": fetched, "ok": int(ok or 0), "titled": int(titled or 0),
        "seconds": elapsed, "links_per_s": fetched / elapsed, "rss_before_mb": rss_before,
        "rss_peak_during_mb": peak_rss, **({"tracemalloc_peak_mb": traced_peak / 2**20} if trace_memory else {}),
    }  # fmt: skip


# -- part 2: fan-out against a rate-limited fake platform --------------------------------------------
@dataclass
class FakePlatform:
    """A chat API on 127.0.0.1 with Slack-like per-channel and Discord-like global limits."""

    global_rate: float
    error_rate: float
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    accepted: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    last_in_channel: dict[str, float] = field(default_factory=dict)
    recent: collections.deque[float] = field(default_factory=collections.deque)
    too_fast_channel: int = 0
    too_fast_global: int = 0
    errors: int = 0
    first: float = 0.0
    last: float = 0.0

    async def post(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        body = await request.json()
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if self.global_rate and len(self.recent) >= self.global_rate:
            self.too_fast_global += 1
            wait = 1.0 - (now - self.recent[0])
            return web.json_response({"global": True, "retry_after": wait}, status=429,
                                     headers={"Retry-After": f"{wait:.3f}"})  # fmt: skip
        since = now - self.last_in_channel.get(channel, -10.0)
        if since < 1.0:
            self.too_fast_channel += 1
            return web.json_response({"retry_after": 1.0 - since}, status=429,
                                     headers={"Retry-After": f"{1.0 - since:.3f}"})  # fmt: skip
        if self.rng.random() < self.error_rate:
            self.errors += 1
            return web.json_response({"error": "internal"}, status=self.rng.choice((500, 502, 503)))
        self.recent.append(now)
        self.last_in_channel[channel] = now
        self.accepted[(channel, body["period"])] += 1
        self.first = self.first or now
        self.last = now
        return web.json_response({"id": f"{channel}-{sum(self.accepted.values())}"})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({
            "accepted": [[channel, period, count] for (channel, period), count in self.accepted.items()],
            "too_fast_channel": self.too_fast_channel, "too_fast_global": self.too_fast_global,
            "errors": self.errors, "first": self.first, "last": self.last,
        })  # fmt: skip


def _serve_platform(port: int, global_rate: float, error_rate: float) -> None:
    """The chat platform, in its own process: its CPU is not the bot's."""
    platform = FakePlatform(global_rate, error_rate)
    app = web.Application()
    app.router.add_post("/channels/{channel}/messages", platform.post)
    app.router.add_get("/stats", platform.stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=2048)


class PacedHttpAdapter:
    """A small adapter for the fake platform: paces itself, honours Retry-After, retries 5xx briefly.

    Like the real adapters, it spaces messages to one channel a second apart and keeps under the
    global rate, so 429s stay rare; when they come it waits as told. A platform error that does
    not go away after two quick retries is left to the outbox (a retryable DeliveryError).
    """

    platform = "bench"

    def __init__(self, base: str, global_rate: float) -> None:
        self.base = base
        self.interval = 1.0 / (global_rate * 0.99) if global_rate else 0.0
        self._next_global = 0.0
        self._next_in_channel: dict[str, float] = {}
        self._session: aiohttp.ClientSession | None = None
        self.retries_429 = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _slot(self, channel: str) -> float:
        """Wait until the channel may take a message, then take the next global slot.

        Returns when the channel was free before this slot, to give the slot back if the
        platform failed the request without counting it."""
        loop = asyncio.get_running_loop()
        while (ready := self._next_in_channel.get(channel, 0.0)) > loop.time():  # noqa: ASYNC110 - a timed wait
            await asyncio.sleep(ready - loop.time())
        now = loop.time()
        at = max(now, self._next_global)
        self._next_global = at + self.interval
        self._next_in_channel[channel] = at + 1.005
        if at > now:
            await asyncio.sleep(at - now)
        return ready

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        conv = destination.conversation
        assert conv is not None
        period = message.summary.rsplit(" ", 1)[-1]  # "... uke 38": the week, to count per period
        server_errors = 0
        for _ in range(12):
            free_before = await self._slot(conv.id)
            async with self._session.post(
                f"{self.base}/channels/{conv.id}/messages", json={"text": message.plain_text(), "period": period}
            ) as resp:
                if resp.status == 200:
                    data = await resp.json()
                    return SentMessage(conv, data["id"])
                if resp.status == 429:
                    self.retries_429 += 1
                    wait = float(resp.headers.get("Retry-After", "1"))
                    self._next_in_channel[conv.id] = asyncio.get_running_loop().time() + wait
                    continue
                if resp.status >= 500 and server_errors < 2:
                    server_errors += 1
                    self._next_in_channel[conv.id] = free_before  # the platform did not count it
                    await asyncio.sleep(0.05 * server_errors)
                    continue
                raise DeliveryError("server_error" if resp.status >= 500 else "unknown", retryable=resp.status >= 500)
        raise DeliveryError("rate_limited", retryable=True)

    async def update(self, sent: SentMessage, message: Message) -> None:
        raise DeliveryError("forbidden", retryable=False)

    async def open_form(self, event: Event, form: Form) -> None:
        raise DeliveryError("forbidden", retryable=False)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        raise DeliveryError("forbidden", retryable=False)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        return sent.conversation


async def bench_fanout(
    db: str, channels: int, periods: int, global_rate: float, error_rate: float, concurrency: int
) -> dict[str, float]:
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve_platform, args=(port, global_rate, error_rate), daemon=True
    )
    server.start()
    await _wait_for_port(port)
    adapter = PacedHttpAdapter(f"http://127.0.0.1:{port}", global_rate)
    clock = OffsetClock()
    with tempfile.TemporaryDirectory() as tmp:
        async with database_url(db, Path(tmp)) as url:
            section = {"fanout_concurrency": concurrency}
            bot = await build_bot(
                Config(database_url=url, sections={"digest": section}), clock=clock, adapters=[adapter]
            )
            service = bot.services.get(DigestService)
            network_id, leader = await network_with_leader(bot, "bench")
            async with bot.db.session() as s:
                network = await Networks(s).get(network_id)
                assert network is not None
                for n in range(channels):
                    await Networks(s).link_channel(network, Conversation("bench", "w", f"C{n:05d}"), "", clock.now())
            week_ids = [f"2026-W{38 + p}" for p in range(periods)]

            started = time.perf_counter()
            started_monotonic = time.monotonic()
            tasks = []
            for p, week in enumerate(week_ids):
                # Each week has its own news; the next week is published while this one still goes out.
                clock.advance(timedelta(seconds=1))
                await service.links.record(network_id, leader, f"https://www.udir.no/nytt/{p}", "Les", explicit=True)
                tasks.append(asyncio.create_task(service.issues.publish(network_id, week)))
                while not await is_published(bot, network_id, week):  # noqa: ASYNC110 - polls the database
                    await asyncio.sleep(0.005)
            results = await asyncio.gather(*tasks)
            rounds = 0
            while sum(r.pending for r in results) and rounds < 20:
                # What the platform still refused waits in the outbox; its tick sends it later.
                rounds += 1
                clock.advance(timedelta(hours=1))
                await bot.outbox.retry_due(limit=10_000)
                results = await asyncio.gather(*(service.issues.publish(network_id, week) for week in week_ids))
            elapsed = time.perf_counter() - started
            await bot.db.dispose()
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/stats") as resp:
        stats = await resp.json()
    await adapter.close()
    server.terminate()
    server.join()

    accepted = {(channel, period): count for channel, period, count in stats["accepted"]}
    total = sum(accepted.values())
    wanted = {(f"C{n:05d}", week.split("-W")[1]) for n in range(channels) for week in week_ids}
    exactly_once = set(accepted) == wanted and all(v == 1 for v in accepted.values())
    # The fastest the platform allows: the global rate for all messages, and one a second per
    # channel (a channel's last message no sooner than periods - 1 seconds after its first).
    ideal = max(total / global_rate if global_rate else 0.0, periods - 1.0)
    achieved = total / elapsed
    allowed = total / ideal if ideal > 0 else float("inf")
    return {
        "channels": channels, "periods": periods, "accepted": total, "exactly_once": float(exactly_once),
        "seconds": elapsed, "seconds_to_first_message": stats["first"] - started_monotonic,
        "msgs_per_s": achieved, "allowed_per_s": allowed, "share_of_allowed": achieved / allowed,
        "http_429": stats["too_fast_channel"] + stats["too_fast_global"], "http_5xx": stats["errors"],
        "outbox_retry_rounds": rounds,
    }  # fmt: skip


async def is_published(bot: Bot, network_id: int, period: str) -> bool:
    from storage.repositories.digest import Digests

    async with bot.db.session() as s:
        issue = await Digests(s).issue(network_id, period)
    return issue is not None and issue.status in ("published", "empty")


def show(title: str, figures: dict[str, float]) -> None:
    print(title)
    for key, value in figures.items():
        if isinstance(value, float) and value == float("inf"):
            shown = "unbounded (no limit binds)"
        else:
            shown = f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"
        print(f"  {key:>26}: {shown}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("fetch", "fanout", "both"), default="both")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--fetch-concurrency", type=int, default=32)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--periods", type=int, default=1)
    parser.add_argument("--global-rate", type=float, default=50.0)
    parser.add_argument("--error-rate", type=float, default=0.03)
    parser.add_argument("--fanout-concurrency", type=int, default=16)
    args = parser.parse_args()
    failed = False
    if args.part in ("fetch", "both"):
        figures = await bench_fetch(args.db, args.links, args.latency, args.fetch_concurrency, args.tracemalloc)
        show(f"metadata: {args.links} links, {args.latency * 1000:.0f} ms server latency, {args.db}", figures)
        target = args.links / 1000 * 15
        verdict = figures["seconds"] <= target and figures["ok"] == args.links
        print(f"  target: all read in ≤ {target:.1f} s: {'met' if verdict else 'NOT met'}")
        failed |= not verdict
    if args.part in ("fanout", "both"):
        figures = await bench_fanout(
            args.db, args.channels, args.periods, args.global_rate, args.error_rate, args.fanout_concurrency
        )
        show(f"fan-out: {args.channels} channels × {args.periods} digests, {args.db}", figures)
        verdict = bool(figures["exactly_once"]) and figures["share_of_allowed"] >= 0.9
        print(f"  target: every channel exactly once, ≥ 90 % of the allowed rate: {'met' if verdict else 'NOT met'}")
        failed |= not verdict
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    asyncio.run(main())
