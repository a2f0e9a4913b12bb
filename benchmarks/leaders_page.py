"""The leaders' overview page for a big network: 500 members and a school year of history.

    .venv/bin/python -m benchmarks.leaders_page                  # SQLite, the embedded default
    .venv/bin/python -m benchmarks.leaders_page --db postgres    # PostgreSQL at 127.0.0.1:5432/test
    .venv/bin/python -m benchmarks.leaders_page --members 500 --requests 30

The network has `--members` members in 25 schools (a few of them under three members) and a
year of history written straight into the tables: every week a dozen ideas, their tries and
reports, a kritisk venn round or two with contributions, a samsnakk round pairing everyone, calls,
digest issues, shared links and notes, and eight meetings. The clock stands at the end of June, so
"this school year" (`?period=year`) spans it all.

Each request goes through samskap's HTTP port on 127.0.0.1 with the leader's session cookie, as a
browser sends it: the cookie is checked, the figures are read and computed, and the page with its
SVG charts and tables is rendered. After two warm-up requests, `--requests` are timed; the median
and the slowest are printed, with the share of the time spent reading the database, and the CPU
time a request takes in this process (the server, SQLite's thread and the client): on a busy shared
machine the wall time waits for a core, the CPU time does not.
Target: the page for the whole year in under 300 ms on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, select, text

from adapters.memory import MemoryAdapter
from adapters.ops_http import application, serve_http
from adapters.web import leader_routes
from adapters.web.leaders import COOKIE
from bot.app import build_bot, shutdown
from bot.clock import FakeClock
from bot.config import Config
from bot.features.oversikt.service import OverviewService
from storage.models.core import Member, Network, Role
from storage.models.digest import DigestArticle, DigestIssue, DigestShare
from storage.models.ideas import Adoption, ExperienceReport, PracticeIdea
from storage.models.kritisk_venn import KvContribution, KvSession
from storage.models.samlinger import Samling
from storage.models.samsnakk import SamsnakkCall, SamsnakkGroup, SamsnakkGroupMember, SamsnakkRound
from storage.repositories.overview import Overview
from storage.scratch import throwaway_postgres

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
YEAR_START = datetime(2026, 8, 3, 7, tzinfo=UTC)  # the first Monday of the school year
NOW = datetime(2027, 6, 25, 12, tzinfo=UTC)
WEEKS = 46
SCHOOLS = 25
TARGET_MS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed(bot: Any, members: int, rng: random.Random) -> int:
    """A network with a year of history; returns the leader's member id."""
    async with bot.db.session() as s:
        network = Network(name="Storby-nettverket", language="nb", timezone="Europe/Oslo", settings={},
                          created_at=YEAR_START - timedelta(days=30))  # fmt: skip
        s.add(network)
        await s.flush()
        nid = network.id
        # Schools of different sizes; the last two have one or two members only.
        schools = [f"Skole {n + 1}" for n in range(SCHOOLS)]
        rows = [
            {"network_id": nid, "platform": "bench", "workspace_id": "W", "user_id": f"u{i}", "display_name": f"m{i}",
             "school": schools[i % (SCHOOLS - 2)] if i < members - 3 else schools[SCHOOLS - 2 + (i % 2)],
             "role": Role.NETWORK_LEADER if i == 0 else Role.PARTICIPANT, "opt_ins": {},
             "joined_at": YEAR_START - timedelta(days=7)}
            for i in range(members)
        ]  # fmt: skip
        await s.execute(insert(Member), rows)
        ids = list((await s.scalars(select(Member.id).where(Member.network_id == nid).order_by(Member.id))).all())

        ideas, tries, reports = [], [], []
        for week in range(WEEKS):
            monday = YEAR_START + timedelta(weeks=week)
            for _ in range(12):
                ideas.append({"network_id": nid, "author_id": rng.choice(ids), "created_at": monday + _hours(rng),
                              "text": f"Idé uke {week}: {rng.choice(['Exit-lapp', 'Vennskapsbenk', 'Læringspar'])}\n"
                                      + "Slik gjorde vi det. " * 20,
                              "tags": [], "posted_in": {"channel": "C"}, "posted_message_id": "1"})  # fmt: skip
        await s.execute(insert(PracticeIdea), ideas)
        idea_rows = (await s.execute(select(PracticeIdea.id, PracticeIdea.created_at))).all()
        for idea_id, created in idea_rows:
            for member_id in rng.sample(ids, 5):
                status = rng.choice(["trying", "reported", "reported", "not_yet"])
                tries.append({"idea_id": idea_id, "member_id": member_id, "status": status,
                              "created_at": created + timedelta(days=rng.randint(0, 10))})  # fmt: skip
                if status == "reported":
                    reports.append({"idea_id": idea_id, "member_id": member_id, "what_we_did": "Vi prøvde",
                                    "created_at": created + timedelta(days=rng.randint(11, 20))})  # fmt: skip
        await s.execute(insert(Adoption), tries)
        await s.execute(insert(ExperienceReport), reports)

        for week in range(WEEKS):
            monday = YEAR_START + timedelta(weeks=week)
            for n in range(2):
                started = monday + timedelta(days=n * 2, hours=2)
                session = KvSession(token=f"t{week}-{n}", network_id=nid, presenter_id=rng.choice(ids),
                                    kind="practice", practice="…", focus_question="…", friends_wanted=3, pace="live",
                                    venue="thread", status="done", phase=6, origin={}, created_at=started,
                                    started_at=started, ended_at=started + timedelta(hours=1))  # fmt: skip
                s.add(session)
                await s.flush()
                await s.execute(insert(KvContribution), [
                    {"session_id": session.id, "member_id": rng.choice(ids), "phase": p, "kind": "warm", "text": "…",
                     "created_at": started + timedelta(minutes=p * 5)} for p in range(8)
                ])  # fmt: skip
            round_ = SamsnakkRound(network_id=nid, number=week + 1, status="closed", seed=week, starts_at=monday,
                                   ends_at=monday + timedelta(days=6), created_at=monday)  # fmt: skip
            s.add(round_)
            await s.flush()
            shuffled = rng.sample(ids, len(ids))
            pairs = [shuffled[i : i + 2] for i in range(0, len(shuffled) - 1, 2)]
            await s.execute(insert(SamsnakkGroup), [
                {"round_id": round_.id, "status": rng.choice(["met", "met", "not_yet", "pending"])} for _ in pairs
            ])  # fmt: skip
            group_ids = (await s.scalars(select(SamsnakkGroup.id).where(SamsnakkGroup.round_id == round_.id))).all()
            await s.execute(insert(SamsnakkGroupMember), [
                {"group_id": g, "member_id": m} for g, pair in zip(group_ids, pairs, strict=False) for m in pair
            ])  # fmt: skip
            await s.execute(insert(SamsnakkCall), [
                {"network_id": nid, "requester_id": rng.choice(ids), "partner_id": rng.choice(ids),
                 "status": rng.choice(["done", "done", "cancelled", "expired"]), "starts_at": monday + _hours(rng),
                 "created_at": monday} for _ in range(20)
            ])  # fmt: skip
            issue = DigestIssue(network_id=nid, period=f"2026-W{week}", status="published",
                                published_at=monday + timedelta(days=4), updated_at=monday)  # fmt: skip
            s.add(issue)
            for n in range(10):
                article = DigestArticle(network_id=nid, url=f"https://example.no/{week}/{n}", first_seen_at=monday)
                s.add(article)
                await s.flush()
                s.add(DigestShare(network_id=nid, article_id=article.id, member_id=rng.choice(ids),
                                  created_at=monday + _hours(rng)))  # fmt: skip
        await s.execute(insert(Samling), [
            {"network_id": nid, "starts_at": YEAR_START + timedelta(weeks=5 * n + 2), "about": "", "created_at": NOW}
            for n in range(9)
        ])  # fmt: skip
    return ids[0]


def _hours(rng: random.Random) -> timedelta:
    return timedelta(hours=rng.randint(0, 24 * 5))


async def measure(url: str, members: int, requests: int) -> dict[str, float]:
    bot = await build_bot(Config(database_url=url), clock=FakeClock(NOW), adapters=[MemoryAdapter()])
    port = free_port()
    app = application()
    leader_routes(app, bot, {"local_url": f"http://127.0.0.1:{port}"})
    runner = await serve_http(app, "127.0.0.1", port)
    try:
        leader_id = await seed(bot, members, random.Random(7))
        async with bot.db.session() as s:  # a year-old database has its statistics gathered
            await s.execute(text("ANALYZE"))
        signer = await bot.services.get(OverviewService).signer()
        async with bot.db.read() as s:
            network_id = await s.scalar(select(Member.network_id).where(Member.id == leader_id))
        cookie = {COOKIE: signer.session(leader_id, network_id, NOW)}
        page = f"http://127.0.0.1:{port}/leder/oversikt?period=year"
        reading = DatabaseTimer()
        async with aiohttp.ClientSession(cookies=cookie) as http:
            for _ in range(2):  # warm-up: connections open, templates compiled
                await fetch(http, page)
            timings, cpu, size = [], [], 0
            for _ in range(requests):
                with reading.watch():
                    started, cpu_started = time.perf_counter(), time.process_time()
                    size = len(await fetch(http, page))
                    timings.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - cpu_started)
        return {
            "median_ms": statistics.median(timings) * 1000,
            "slowest_ms": max(timings) * 1000,
            "cpu_ms": statistics.median(cpu) * 1000,
            "database_share": reading.total / sum(timings),
            "page_kb": size / 1024,
        }
    finally:
        await runner.cleanup()
        await shutdown(bot)


async def fetch(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as response:
        assert response.status == 200, response.status
        return await response.text()


class DatabaseTimer:
    """Time spent in `Overview.raw` (the reads) while watching."""

    def __init__(self) -> None:
        self.total = 0.0
        self._original = Overview.raw
        timer = self

        async def timed(overview: Overview, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                return await timer._original(overview, *args)
            finally:
                timer.total += time.perf_counter() - started

        self._timed = timed

    def watch(self) -> Any:
        timer = self

        class Watch:
            def __enter__(self) -> None:
                Overview.raw = timer._timed  # type: ignore[method-assign]

            def __exit__(self, *_: object) -> None:
                Overview.raw = timer._original  # type: ignore[method-assign]

        return Watch()


async def main_async(args: argparse.Namespace) -> None:
    if args.db == "postgres":
        async with throwaway_postgres(POSTGRES_URL) as url:
            result = await measure(url, args.members, args.requests)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = await measure(f"sqlite:///{Path(folder) / 'bench.db'}", args.members, args.requests)
    verdict = "within" if result["median_ms"] < TARGET_MS else "OVER"
    print(
        f"leaders' page, {args.members} members, a school year, {args.db}: "
        f"median {result['median_ms']:.0f} ms, slowest {result['slowest_ms']:.0f} ms over {args.requests} requests "
        f"({result['database_share'] * 100:.0f} % reading the database; page {result['page_kb']:.0f} KB) — "
        f"{verdict} the {TARGET_MS} ms target; CPU time {result['cpu_ms']:.0f} ms a request (what the machine's "
        f"load average, {os.getloadavg()[0]:.1f}, does not inflate)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
