"""What the peer drivers share: members taking turns, timing, the JSON they print.

Runs inside a peer's own virtualenv, with only the standard library: it must not import samskap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Send = Callable[[str, str, str], Awaitable[str]]  # (member, command id, line) → a problem, or ""


class ErrorCount(logging.Handler):
    """Counts what the peer logs as an error; the first few kinds are shown."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.kinds: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.kinds) < 3:
            self.kinds.append(f"{record.name}: {record.getMessage()[:120]}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--commands", type=int, required=True, help="timed commands per member")
    parser.add_argument("--line", required=True, help="the command, with {n} for the command's number")
    parser.add_argument("--data-dir", required=True, help="where the peer keeps its database")
    parser.add_argument("--storage", default="", help="errbot: its storage plugin")
    return parser.parse_args()


def idea_text(line: str, n: int) -> str:
    """The idea's words: the command line without its `/ide `."""
    return line.format(n=n).split(" ", 1)[1]


async def drive(members: int, commands: int, line: str, send: Send) -> dict[str, Any]:
    """One untimed warm-up command per member, then `commands` each, all members at once, each
    waiting for the answer to one command before sending the next (as `core_commands` does)."""
    names = [f"m{i}" for i in range(members)]
    problems: list[str] = []

    async def one(name: str, n: int, latencies: list[float] | None) -> None:
        started = time.perf_counter()
        problem = await send(name, f"{name}-{n}", line.format(n=n))
        if problem:
            problems.append(problem)
        elif latencies is not None:
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one(name, -1, None) for name in names))  # warm-up: stored, not timed
    latencies: list[float] = []

    async def member(name: str) -> None:
        for n in range(commands):
            await one(name, n, latencies)

    started, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(*(member(name) for name in names))
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    latencies.sort()
    return {
        "commands": len(latencies),
        "per_second": len(latencies) / elapsed,
        "cpu_ms": cpu / max(1, len(latencies)) * 1000,  # every thread of the process
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000 if latencies else 0.0,
        "problems": problems,
    }


def expected_ideas(members: int, commands: int, line: str) -> dict[str, str]:
    """Every idea that should be stored (warm-up included): its command id → its words."""
    return {f"m{i}-{n}": idea_text(line, n) for i in range(members) for n in range(-1, commands)}


def check_stored(stored: dict[str, str], expected: dict[str, str]) -> list[str]:
    """Rows stored == commands sent, each with the words that were sent."""
    problems = []
    if len(stored) != len(expected):
        problems.append(f"{len(stored)} ideas stored, {len(expected)} sent")
    wrong = sum(1 for key, text in expected.items() if stored.get(key) != text)
    if wrong:
        problems.append(f"{wrong} ideas missing or with other words than were sent")
    return problems


def report(result: dict[str, Any], errors: ErrorCount) -> None:
    if errors.count:
        result["problems"].append(f"{errors.count} errors logged ({'; '.join(errors.kinds)})")
    # Identical problems are counted, not repeated.
    result["problems"] = [f"{p} (×{result['problems'].count(p)})" for p in sorted(set(result["problems"]))]
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
