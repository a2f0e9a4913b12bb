"""The database part of a pairing round for a large network: reading who takes part and the
recent rounds, and storing the new round with its groups.

    .venv/bin/python -m benchmarks.pairing_db                 # 20,000 members, SQLite and PostgreSQL
    .venv/bin/python -m benchmarks.pairing_db --db sqlite --members 20000 --rounds 6

It fills a network with `--members` opted-in members in `--schools` schools and `--rounds` earlier
rounds, then times one round as the bot creates it (`RoundService._create`: read who takes part,
the recent pairs and who avoids whom; pair; store the round and its groups). The pairing itself is
timed apart (`benchmarks.pairing` measures it in depth); the rest is the database part.
It checks that every member taking part is in exactly one stored group, and exits non-zero when
that fails or when the database part takes more than 2 s. It also prints the CPU time of the
database part, here and in PostgreSQL's server processes when they run on this machine: a busy
machine stretches the seconds, not the CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

import bot.features.samsnakk.rounds as rounds_module
from adapters.memory import MemoryAdapter
from benchmarks.pairing import make_members
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from bot.core import Bot
from bot.features.samsnakk import Samsnakk
from bot.features.samsnakk.pairing import pair_members
from storage.models.core import Member
from storage.models.samsnakk import SamsnakkGroup, SamsnakkGroupMember
from storage.repositories.core import Networks
from storage.scratch import throwaway_postgres

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
LIMIT_SECONDS = 2.0


@dataclass
class Measured:
    whole: float  # seconds
    pairing: float
    cpu: float  # CPU seconds of the database part in this process
    server_cpu: float | None  # and in PostgreSQL's server processes (None: not readable here)
    problems: list[str]


async def server_cpu(bot: Bot) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL server process of this database, read from /proc."""
    if not bot.db.is_postgres:
        return None
    async with bot.db.read() as s:
        pids = list(await s.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))
    try:
        return {pid: _process_cpu(pid) for pid in pids}
    except OSError:  # PostgreSQL on another machine
        return None


def _process_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def measure(url: str, members: int, schools: int, rounds: int) -> Measured:
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[MemoryAdapter()])
    try:
        async with bot.db.session() as s:
            network = await bot.create_network(Networks(s), "memory", "bench")
        candidates = make_members(members, schools, seed=1)
        now = bot.clock.now()
        rows = [
            {"network_id": network.id, "platform": "memory", "workspace_id": "bench", "user_id": f"u{c.member_id}",
             "display_name": f"u{c.member_id}", "school": c.school, "role": "participant",
             "opt_ins": {"samsnakk": True}, "joined_at": now}
            for c in candidates
        ]  # fmt: skip
        async with bot.db.session() as s:
            await s.execute(insert(Member), rows)
        service = bot.services.get(Samsnakk).rounds
        fortnight = timedelta(weeks=2)
        for number in range(1, rounds + 1):
            await service._create(network, number, now + number * fortnight)
        pairing_times: list[float] = []
        pairing_cpu: list[float] = []

        def timed_pairing(*args: Any, **kwargs: Any) -> Any:
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                return pair_members(*args, **kwargs)
            finally:
                pairing_times.append(time.perf_counter() - started)
                pairing_cpu.append(time.process_time() - cpu_started)

        rounds_module.pair_members = timed_pairing  # type: ignore[assignment]
        try:
            server_before = await server_cpu(bot)
            started, cpu_started = time.perf_counter(), time.process_time()
            row = await service._create(network, rounds + 1, now + (rounds + 1) * fortnight)
            whole, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            server_after = await server_cpu(bot)
        finally:
            rounds_module.pair_members = pair_members
        pairing_only = sum(pairing_times)
        server = None
        if server_before is not None and server_after is not None:
            server = sum(seconds - server_before.get(pid, 0.0) for pid, seconds in server_after.items())
        async with bot.db.read() as s:
            placed = (
                await s.execute(
                    select(func.count(), func.count(func.distinct(SamsnakkGroupMember.member_id)))
                    .join(SamsnakkGroup, SamsnakkGroup.id == SamsnakkGroupMember.group_id)
                    .where(SamsnakkGroup.round_id == row.id)
                )
            ).one()
        problems = []
        if tuple(placed) != (members, members):
            problems.append(f"{placed[1]} members in groups ({placed[0]} places), {members} take part")
        return Measured(whole, pairing_only, max(0.0, cpu - sum(pairing_cpu)), server, problems)
    finally:
        await bot.db.dispose()


async def with_database(database: str, members: int, schools: int, rounds: int) -> Measured:
    if database == "postgres":
        async with throwaway_postgres(POSTGRES_URL, "samskap_bench") as url:
            return await measure(url, members, schools, rounds)
    with tempfile.TemporaryDirectory() as tmp:
        return await measure(f"sqlite:///{Path(tmp) / 'p.db'}", members, schools, rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6, help="earlier rounds, which the new one avoids repeating")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    failed = False
    for database in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        got = asyncio.run(with_database(database, args.members, args.schools, args.rounds))
        database_part = max(0.0, got.whole - got.pairing)
        verdict = "" if database_part <= LIMIT_SECONDS else f"  FAILED (limit {LIMIT_SECONDS:g} s)"
        cpu = f"{got.cpu:.2f} s CPU"
        if got.server_cpu is not None:
            cpu += f" + {got.server_cpu:.2f} s in PostgreSQL"
        print(f"{database:<8} {args.members:,} members: round {got.whole:.2f} s, of which pairing {got.pairing:.2f} s "
              f"and the database {database_part:.2f} s ({cpu}){verdict}")  # fmt: skip
        for problem in got.problems:
            print(f"  FAILED: {problem}")
        failed |= bool(got.problems) or database_part > LIMIT_SECONDS
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
