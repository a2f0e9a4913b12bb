"""The database part of a pairing round for a large network: reading who takes part and the
recent rounds, and storing the new round with its groups.

    .venv/bin/python -m benchmarks.pairing_db                 # 20,000 members, SQLite and PostgreSQL
    .venv/bin/python -m benchmarks.pairing_db --db sqlite --members 20000 --rounds 6

It fills a network with `--members` opted-in members in `--schools` schools and `--rounds` earlier
rounds, then times one round as the bot creates it (`RoundService._create`: read who takes part,
the recent pairs and who avoids whom; pair; store the round and its groups). The pairing itself is
timed apart (`benchmarks.pairing` measures it in depth); the rest is the database part.
It checks that every member taking part is in exactly one stored group, and exits non-zero when
that fails or when the database part takes more than 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

import bot.features.samsnakk.rounds as rounds_module
from adapters.memory import MemoryAdapter
from benchmarks.pairing import make_members
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from bot.features.samsnakk.pairing import pair_members
from storage.models.core import Member
from storage.models.samsnakk import SamsnakkGroup, SamsnakkGroupMember
from storage.repositories.core import Networks
from storage.scratch import throwaway_postgres

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
LIMIT_SECONDS = 2.0


async def measure(url: str, members: int, schools: int, rounds: int) -> tuple[float, float, list[str]]:
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
        service = bot.services["samsnakk"].rounds
        fortnight = timedelta(weeks=2)
        for number in range(1, rounds + 1):
            await service._create(network, number, now + number * fortnight)
        pairing_times: list[float] = []

        def timed_pairing(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return pair_members(*args, **kwargs)
            finally:
                pairing_times.append(time.perf_counter() - started)

        rounds_module.pair_members = timed_pairing  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            row = await service._create(network, rounds + 1, now + (rounds + 1) * fortnight)
            whole = time.perf_counter() - started
        finally:
            rounds_module.pair_members = pair_members
        pairing_only = sum(pairing_times)
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
        return whole, pairing_only, problems
    finally:
        await bot.db.dispose()


async def with_database(database: str, members: int, schools: int, rounds: int) -> tuple[float, float, list[str]]:
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
        whole, pairing_only, problems = asyncio.run(with_database(database, args.members, args.schools, args.rounds))
        database_part = max(0.0, whole - pairing_only)
        verdict = "" if database_part <= LIMIT_SECONDS else f"  FAILED (limit {LIMIT_SECONDS:g} s)"
        print(f"{database:<8} {args.members:,} members: round {whole:.2f} s, of which pairing {pairing_only:.2f} s "
              f"and the database {database_part:.2f} s{verdict}")  # fmt: skip
        for problem in problems:
            print(f"  FAILED: {problem}")
        failed |= bool(problems) or database_part > LIMIT_SECONDS
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
