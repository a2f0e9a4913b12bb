"""Memory over a long run: the resident size after many commands must not keep growing.

    .venv/bin/python -m benchmarks.memory                        # 10,000 then 100,000 commands
    .venv/bin/python -m benchmarks.memory --first 2000 --total 20000 --adapter console

Drives the five-command mix of `benchmarks.core_commands` (and button presses on the console)
through one adapter at a time on SQLite, 50 members taking turns, and prints the resident set size
(RSS) after `--first` and after `--total` commands. It exits non-zero when the second is more than
`--limit-mib` (20) above the first, or when any error was logged.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import logging
import sys
import tempfile
from pathlib import Path

from adapters.console.adapter import ConsoleAdapter
from adapters.console.runner import ensure_demo_network, handle_line
from benchmarks.core_commands import CountingAdapter, ErrorCount, command_line
from bot.app import build_bot, freeze_startup_objects
from bot.clock import FakeClock
from bot.config import Config

MEMBERS = 50


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


async def run_console(url: str, first: int, total: int) -> tuple[float, float]:
    out = io.StringIO()
    adapter = ConsoleAdapter(out=out)
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[adapter])
    await ensure_demo_network(bot, adapter)
    names = [f"m{i}" for i in range(MEMBERS)]
    for i, name in enumerate(names):
        await handle_line(bot, adapter, f"{name}: /samskap bli-med Skole {i}")

    async def commands(start: int, end: int) -> None:
        for n in range(start, end):
            name = names[n % MEMBERS]
            # Every sixth line presses a button printed a while ago (some long forgotten).
            line = str(max(1, adapter._last_button - n % 1500)) if n % 6 == 5 else command_line("mix", n // MEMBERS)
            await handle_line(bot, adapter, f"{name}: {line}")
            out.seek(0)
            out.truncate()

    try:
        return await measure(commands, first, total)
    finally:
        await bot.db.dispose()


async def run_memory(url: str, first: int, total: int) -> tuple[float, float]:
    adapter = CountingAdapter()
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[adapter])
    names = [f"m{i}" for i in range(MEMBERS)]
    for i, name in enumerate(names):
        await bot.dispatch(adapter.command_event(name, f"/samskap bli-med Skole {i}"), adapter)

    async def commands(start: int, end: int) -> None:
        for n in range(start, end):
            line = command_line("mix", n // MEMBERS)
            await bot.dispatch(adapter.command_event(names[n % MEMBERS], line), adapter)

    try:
        return await measure(commands, first, total)
    finally:
        await bot.db.dispose()


async def measure(commands: object, first: int, total: int) -> tuple[float, float]:
    freeze_startup_objects()
    await commands(0, first)  # type: ignore[operator]
    gc.collect()
    at_first = rss_mib()
    await commands(first, total)  # type: ignore[operator]
    gc.collect()
    return at_first, rss_mib()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--adapter", choices=["console", "memory", "both"], default="both")
    parser.add_argument("--limit-mib", type=float, default=20.0)
    args = parser.parse_args()
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    failed = False
    for name in ["console", "memory"] if args.adapter == "both" else [args.adapter]:
        runner = run_console if name == "console" else run_memory
        with tempfile.TemporaryDirectory() as tmp:
            at_first, at_total = asyncio.run(runner(f"sqlite:///{Path(tmp) / 'm.db'}", args.first, args.total))
        grown = at_total - at_first
        ok = grown <= args.limit_mib
        failed |= not ok
        verdict = "" if ok else f"  FAILED (limit {args.limit_mib:g} MiB)"
        print(f"{name:<8} RSS after {args.first:,} commands {at_first:.1f} MiB, after {args.total:,} "
              f"{at_total:.1f} MiB: {grown:+.1f} MiB{verdict}")  # fmt: skip
    if errors.count:
        print(f"FAILED: {errors.count} errors logged")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
