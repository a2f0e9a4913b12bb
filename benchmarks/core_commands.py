"""Commands through the core: throughput and latency with many members at once.

    .venv/bin/python -m benchmarks.core_commands                 # SQLite and PostgreSQL, ~8 minutes
    .venv/bin/python -m benchmarks.core_commands --db postgres --trials 1
    .venv/bin/python -m benchmarks.core_commands --db postgres --workers 2   # two worker processes
    .venv/bin/python -m benchmarks.core_commands --script ide   # only `/ide` (posting ideas)

Each simulated member joins, then sends a mix of commands (list and search ideas, post an idea,
try an idea, open settings) through `Bot.dispatch` on the in-memory adapter, after a warm-up
round that is not measured (a running bot has its connections open and statements prepared).
Two kinds of run per database, each repeated `--trials` times (the median is shown, with the
slowest and fastest trial: a shared virtual machine's speed varies by a third from minute to minute):

- paced: `--members` members active at once, each sending a command every `--think` seconds on
  average (people type; they do not hammer) — the p50/p99 latency of one command;
- saturated: the same members sending as fast as the bot answers — commands/s.

Two scripts: the mix above, and `/ide` alone (every command writes an idea: the write path).

Every run checks its own result, and the benchmark exits non-zero if any check fails: no error
was logged, every command was answered, and the rows written are the rows the commands should
have written (ideas posted; adoptions, one per member and idea not their own).

Also printed: the CPU time the bot spent a command (its worker processes' own, which a busy machine
does not inflate as it does the wall-clock figures), and the machine's cores and load.

Targets: saturated `/ide` ≥ 2,500 commands/s on SQLite with p99 ≤ 300 ms, and ≥ 2,000 on PostgreSQL
with one worker; paced p99 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import logging
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from adapters.memory import MemoryAdapter
from bot.adapter import Destination, SentMessage
from bot.app import build_bot, tune_garbage_collector
from bot.clock import FakeClock
from bot.config import Config
from bot.messages import Message
from storage.db import Database
from storage.models.ideas import Adoption, PracticeIdea
from storage.scratch import throwaway_postgres

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCRIPTS = {
    "mix": [
        "/ideer",
        "/ide Vennskapsbenk i friminuttet #friminutt",
        "/ideer benk",
        "/ide prøv {idea}",
        "/samskap innstillinger",
    ],
    "ide": ["/ide Uteskole hver fredag, runde {n}"],
}
SEED_IDEAS = 1  # "Startidé", posted before the run

# Which command (member, number) the running task is handling: its replies are counted for it.
_command: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar("bench_command", default=None)


class CountingAdapter(MemoryAdapter):
    """Keeps no messages (a long run would hold them all), only which commands were answered."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: set[tuple[str, int]] = set()

    async def send(self, destination: Destination, message: Message) -> SentMessage | None:
        command = _command.get()
        if command is not None:
            self.answered.add(command)
        sent = await super().send(destination, message)
        self.sent.clear()
        return sent


class ErrorCount(logging.Handler):
    """Counts what is logged as an error, and keeps the first few kinds to show."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.kinds: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.kinds) < 3:
            error = record.exc_info[1] if record.exc_info else None
            cause = error.__cause__ if error is not None and error.__cause__ is not None else error
            self.kinds.append(f"{record.name}: {type(cause).__name__ if cause is not None else record.msg}")


def command_line(script: str, n: int) -> str:
    lines = SCRIPTS[script]
    return lines[n % len(lines)].format(idea=1 + (n % 3), n=n)


def expected_writes(script: str, commands: int) -> tuple[int, set[int]]:
    """Ideas each member posts, and the ideas each member tries (`/ide prøv`)."""
    lines = [command_line(script, n) for n in range(commands)]
    posts = sum(1 for line in lines if line.startswith("/ide ") and not line.startswith("/ide prøv"))
    tries = {int(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("/ide prøv")}
    return posts, tries


async def run(
    url: str, members: int, commands: int, think: float = 0.0, workers: int = 1, script: str = "mix"
) -> dict[str, float]:
    names = await join_everyone(url, members)
    if workers == 1:
        timings = [await drive(url, names, commands, think, script)]
    else:
        timings = await drive_in_processes(url, names, commands, think, workers, script)
    latencies = sorted(latency for t in timings for latency in t.latencies)
    elapsed = max(t.finished for t in timings) - min(t.started for t in timings)
    problems = [p for t in timings for p in t.problems] + await check_rows(url, names, commands, script)
    return {
        "commands": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "cpu_ms": sum(t.cpu for t in timings) / len(latencies) * 1000,
        "problems": problems,  # type: ignore[dict-item]
    }


async def check_rows(url: str, names: list[str], commands: int, script: str) -> list[str]:
    """The rows the commands should have written are all there."""
    posts, tries = expected_writes(script, commands)
    db = Database(url)
    try:
        async with db.read() as s:
            ideas = await s.scalar(select(func.count()).select_from(PracticeIdea))
            adoptions = await s.scalar(select(func.count()).select_from(Adoption))
            authors = dict((await s.execute(select(PracticeIdea.id, PracticeIdea.author_id))).all())
            member_ids = await member_ids_by_name(s, names)
    finally:
        await db.dispose()
    expected_ideas = SEED_IDEAS + posts * len(names)
    expected_adoptions = sum(1 for name in names for idea in tries if authors.get(idea) != member_ids.get(name))
    problems = []
    if ideas != expected_ideas:
        problems.append(f"{ideas} ideas stored, {expected_ideas} posted")
    if adoptions != expected_adoptions:
        problems.append(f"{adoptions} adoptions stored, {expected_adoptions} expected")
    return problems


async def member_ids_by_name(s: Any, names: list[str]) -> dict[str, int]:
    from storage.models.core import Member

    rows = await s.execute(select(Member.user_id, Member.id).where(Member.user_id.in_(names)))
    return dict(rows.all())


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
    cpu: float  # seconds of CPU the worker's process spent on the run (a busy machine does not inflate it)
    problems: list[str] = field(default_factory=list)


async def drive(
    url: str, names: list[str], commands: int, think: float, script: str = "mix", ready: Any = None
) -> Timing:
    """One worker: its own bot (connections, remembered lookups) driving `names`."""
    adapter = CountingAdapter()
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[adapter], migrate=False)
    # Warm up as a running bot is: connections opened, statements prepared. Not measured.
    await asyncio.gather(*(bot.dispatch(adapter.command_event(name, "/ideer"), adapter) for name in names))
    adapter.sent.clear()
    tune_garbage_collector()  # as `samskap run` does
    if ready is not None:
        await asyncio.to_thread(ready.wait)  # every worker starts at once
    latencies: list[float] = []
    rng = random.Random(names[0])

    async def member(name: str) -> None:
        for n in range(commands):
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))
            line = command_line(script, n)
            _command.set((name, n))
            started = time.perf_counter()
            await bot.dispatch(adapter.command_event(name, line), adapter)
            latencies.append(time.perf_counter() - started)

    adapter.answered.clear()
    started, cpu_before = time.monotonic(), time.process_time()
    await asyncio.gather(*(member(name) for name in names))
    finished, cpu = time.monotonic(), time.process_time() - cpu_before
    await bot.db.dispose()
    logging.getLogger().removeHandler(errors)
    problems = []
    if errors.count:
        problems.append(f"{errors.count} errors logged ({'; '.join(errors.kinds)})")
    if len(adapter.answered) != len(names) * commands:
        problems.append(f"{len(adapter.answered)} of {len(names) * commands} commands answered")
    return Timing(latencies, started, finished, cpu, problems)


async def drive_in_processes(
    url: str, names: list[str], commands: int, think: float, workers: int, script: str
) -> list[Timing]:
    """Several worker processes on one PostgreSQL database, as a production deployment runs."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        ready = manager.Barrier(workers)
        loop = asyncio.get_running_loop()
        shares = [names[i::workers] for i in range(workers)]
        jobs = [
            loop.run_in_executor(pool, _drive_process, url, share, commands, think, script, ready) for share in shares
        ]
        return list(await asyncio.gather(*jobs))


def _drive_process(url: str, names: list[str], commands: int, think: float, script: str, ready: Any) -> Timing:
    return asyncio.run(drive(url, names, commands, think, script, ready))


async def with_postgres(members: int, commands: int, think: float, workers: int, script: str) -> dict[str, float]:
    async with throwaway_postgres(POSTGRES_URL, "samskap_bench") as url:
        return await run(url, members, commands, think, workers, script)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20, help="commands per member")
    parser.add_argument("--think", type=float, default=1.0, help="paced run: mean seconds between commands")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--trials", type=int, default=3, help="runs of each kind; the median is shown")
    parser.add_argument("--workers", type=int, default=1, help="worker processes on PostgreSQL (SQLite: always 1)")
    parser.add_argument("--script", choices=["mix", "ide", "both"], default="both")
    parser.add_argument("--kind", choices=["paced", "saturated", "both"], default="both")
    args = parser.parse_args()
    print(
        f"{args.members} concurrent members × {args.commands} commands (paced: one per ~{args.think:g} s); "
        f"median of {args.trials} trials [slowest–fastest]"
    )
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    scripts = ["mix", "ide"] if args.script == "both" else [args.script]
    kinds = [(args.think, "paced"), (0.0, "saturated")]
    kinds = [k for k in kinds if args.kind in ("both", k[1])]
    failed = False
    for think, label in kinds:
        for database in databases:
            for script in scripts:
                workers = args.workers if database == "postgres" else 1
                results = [
                    asyncio.run(trial(database, args.members, args.commands, think, workers, script))
                    for _ in range(args.trials)
                ]
                name = "SQLite" if database == "sqlite" else "PostgreSQL"
                title = f"{name} {label}" + (f" ×{workers}" if workers > 1 else "")
                title += " /ide" if script == "ide" else " mix"
                print_result(title, results)
                for problem in (p for r in results for p in r["problems"]):  # type: ignore[attr-defined]
                    print(f"  FAILED: {problem}")
                    failed = True
    one, five, _ = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {one:.1f} (5 min: {five:.1f}) at the end")
    print("FAILED" if failed else "OK: no errors, every command answered, every row written")
    return 1 if failed else 0


async def trial(
    database: str, members: int, commands: int, think: float, workers: int, script: str
) -> dict[str, float]:
    if database == "postgres":
        return await with_postgres(members, commands, think, workers, script)
    with tempfile.TemporaryDirectory() as tmp:
        return await run(f"sqlite:///{Path(tmp) / 'b.db'}", members, commands, think, script=script)


def print_result(name: str, results: list[dict[str, float]]) -> None:
    def figure(key: str, unit: str, digits: int) -> str:
        values = sorted(r[key] for r in results)
        spread = f" [{values[0]:.{digits}f}–{values[-1]:.{digits}f}]" if len(values) > 1 else ""
        return f"{statistics.median(values):.{digits}f}{spread} {unit}"

    print(
        f"{name:<28} {figure('per_second', 'commands/s', 0):<28} "
        f"p50 {figure('p50_ms', 'ms', 1):<22} p99 {figure('p99_ms', 'ms', 1):<22} "
        f"CPU {figure('cpu_ms', 'ms a command', 2)}"
    )


if __name__ == "__main__":
    sys.exit(main())
