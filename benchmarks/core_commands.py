"""Commands through the core: throughput and latency with many members at once.

    .venv/bin/python -m benchmarks.core_commands                 # SQLite and PostgreSQL, ~4 minutes
    .venv/bin/python -m benchmarks.core_commands --db postgres --trials 1
    .venv/bin/python -m benchmarks.core_commands --db postgres --workers 2   # two worker processes

Each simulated member joins, then sends a mix of commands (list and search ideas, post an idea,
try an idea, open settings) through `Bot.dispatch` on the in-memory adapter, after a warm-up
round that is not measured (a running bot has its connections open and statements prepared).
Two kinds of run per database, each repeated `--trials` times (the median is shown, with the
slowest and fastest trial: a shared virtual machine's speed varies by a third from minute to minute):

- paced: `--members` members active at once, each sending a command every `--think` seconds on
  average (people type; they do not hammer) — the p50/p99 latency of one command;
- saturated: the same members sending as fast as the bot answers — commands/s.

Targets: p99 ≤ 20 ms per command at 200 concurrent members; ≥ 1,000 commands/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.memory import MemoryAdapter
from bot.app import build_bot, freeze_startup_objects
from bot.clock import FakeClock
from bot.config import Config
from storage.scratch import throwaway_postgres

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCRIPT = [
    "/ideer",
    "/ide Vennskapsbenk i friminuttet #friminutt",
    "/ideer benk",
    "/ide prøv {idea}",
    "/samskap innstillinger",
]


async def run(url: str, members: int, commands: int, think: float = 0.0, workers: int = 1) -> dict[str, float]:
    names = await join_everyone(url, members)
    if workers == 1:
        timings = [await drive(url, names, commands, think)]
    else:
        timings = await drive_in_processes(url, names, commands, think, workers)
    latencies = sorted(latency for t in timings for latency in t.latencies)
    elapsed = max(t.finished for t in timings) - min(t.started for t in timings)
    return {
        "commands": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def join_everyone(url: str, members: int) -> list[str]:
    adapter = MemoryAdapter()
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[adapter])
    names = [f"m{i}" for i in range(members)]
    for i, name in enumerate(names):
        await bot.dispatch(adapter.command_event(name, f"/samskap bli-med Skole {i % 30}"), adapter)
    await bot.dispatch(adapter.command_event(names[0], "/ide Startidé"), adapter)
    await bot.db.dispose()
    return names


@dataclass
class Timing:
    latencies: list[float]
    started: float  # time.monotonic(), which all processes on a machine share
    finished: float


async def drive(url: str, names: list[str], commands: int, think: float, ready: Any = None) -> Timing:
    """One worker: its own bot (connections, remembered lookups) driving `names`."""
    adapter = MemoryAdapter()
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[adapter], migrate=False)
    # Warm up as a running bot is: connections opened, statements prepared. Not measured.
    await asyncio.gather(*(bot.dispatch(adapter.command_event(name, "/ideer"), adapter) for name in names))
    adapter.sent.clear()
    freeze_startup_objects()  # as `samskap run` does
    if ready is not None:
        await asyncio.to_thread(ready.wait)  # every worker starts at once
    latencies: list[float] = []
    rng = random.Random(names[0])

    async def member(name: str) -> None:
        for n in range(commands):
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))
            line = SCRIPT[n % len(SCRIPT)].format(idea=1 + (n % 3))
            started = time.perf_counter()
            await bot.dispatch(adapter.command_event(name, line), adapter)
            latencies.append(time.perf_counter() - started)
            adapter.sent.clear()

    started = time.monotonic()
    await asyncio.gather(*(member(name) for name in names))
    finished = time.monotonic()
    await bot.db.dispose()
    return Timing(latencies, started, finished)


async def drive_in_processes(url: str, names: list[str], commands: int, think: float, workers: int) -> list[Timing]:
    """Several worker processes on one PostgreSQL database, as a production deployment runs."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        ready = manager.Barrier(workers)
        loop = asyncio.get_running_loop()
        shares = [names[i::workers] for i in range(workers)]
        jobs = [loop.run_in_executor(pool, _drive_process, url, share, commands, think, ready) for share in shares]
        return list(await asyncio.gather(*jobs))


def _drive_process(url: str, names: list[str], commands: int, think: float, ready: Any) -> Timing:
    return asyncio.run(drive(url, names, commands, think, ready))


async def with_postgres(members: int, commands: int, think: float, workers: int) -> dict[str, float]:
    async with throwaway_postgres(POSTGRES_URL, "samskap_bench") as url:
        return await run(url, members, commands, think, workers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20, help="commands per member")
    parser.add_argument("--think", type=float, default=1.0, help="paced run: mean seconds between commands")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--trials", type=int, default=3, help="runs of each kind; the median is shown")
    parser.add_argument("--workers", type=int, default=1, help="worker processes on PostgreSQL (SQLite: always 1)")
    args = parser.parse_args()
    print(
        f"{args.members} concurrent members × {args.commands} commands (paced: one per ~{args.think:g} s); "
        f"median of {args.trials} trials [slowest–fastest]"
    )
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for think, label in ((args.think, "paced"), (0.0, "saturated")):
        for database in databases:
            workers = args.workers if database == "postgres" else 1
            results = [
                asyncio.run(trial(database, args.members, args.commands, think, workers)) for _ in range(args.trials)
            ]
            name = "SQLite" if database == "sqlite" else "PostgreSQL"
            print_result(f"{name} {label}" + (f" ×{workers}" if workers > 1 else ""), results)


async def trial(database: str, members: int, commands: int, think: float, workers: int) -> dict[str, float]:
    if database == "postgres":
        return await with_postgres(members, commands, think, workers)
    with tempfile.TemporaryDirectory() as tmp:
        return await run(f"sqlite:///{Path(tmp) / 'b.db'}", members, commands, think)


def print_result(name: str, results: list[dict[str, float]]) -> None:
    def figure(key: str, unit: str, digits: int) -> str:
        values = sorted(r[key] for r in results)
        spread = f" [{values[0]:.{digits}f}–{values[-1]:.{digits}f}]" if len(values) > 1 else ""
        return f"{statistics.median(values):.{digits}f}{spread} {unit}"

    print(
        f"{name:<24} {figure('per_second', 'commands/s', 0):<28} "
        f"p50 {figure('p50_ms', 'ms', 1):<22} p99 {figure('p99_ms', 'ms', 1)}"
    )


if __name__ == "__main__":
    main()
