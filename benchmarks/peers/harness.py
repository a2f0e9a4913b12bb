"""The harness of `python -m benchmarks.peers`: see the package's docstring."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import benchmarks.peers
from benchmarks import core_commands
from benchmarks.peers.venvs import HERE, default_root, peer_python

LINE = core_commands.SCRIPTS["ide"][0]  # "/ide Uteskole hver fredag, runde {n}"
PEER_TIMEOUT = 1800  # seconds for one peer's round


@dataclass(frozen=True)
class Contestant:
    key: str
    label: str
    peer: str = ""  # the virtualenv it runs in ("": samskap, in this project's)
    storage: str = ""


CONTESTANTS = [
    Contestant("samskap", "samskap (SQLite, WAL)"),
    Contestant("opsdroid", "opsdroid (sqlite, as shipped)", "opsdroid", "sqlite"),
    Contestant("opsdroid-wal", "opsdroid (sqlite, WAL)", "opsdroid", "sqlite-wal"),
    Contestant("errbot", "errbot (SQLite plugin, WAL)", "errbot", "SQLite"),
    Contestant("errbot-shelf", "errbot (Shelf, its default)", "errbot", "Shelf"),
]
DEFAULT = ["samskap", "opsdroid", "opsdroid-wal", "errbot"]


class StartMark:
    """Handed to `core_commands.drive` as its start signal: notes the CPU time when the timed part begins."""

    cpu = 0.0

    def wait(self) -> None:
        self.cpu = time.process_time()


def samskap_round(members: int, commands: int) -> dict[str, Any]:
    return asyncio.run(_samskap_round(members, commands))


async def _samskap_round(members: int, commands: int) -> dict[str, Any]:
    """One samskap round in a fresh process: `core_commands`' saturated `/ide` run on SQLite
    (its joining, driving and checking), with the CPU time of the timed part."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'b.db'}"
        names = await core_commands.join_everyone(url, members)
        mark = StartMark()
        timing = await core_commands.drive(url, names, commands, 0.0, "ide", ready=mark)
        cpu = time.process_time() - mark.cpu
        problems = timing.problems + await core_commands.check_rows(url, names, commands, "ide")
    latencies = sorted(timing.latencies)
    return {
        "commands": len(latencies),
        "per_second": len(latencies) / (timing.finished - timing.started),
        "cpu_ms": cpu / max(1, len(latencies)) * 1000,  # every thread of the process
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "problems": problems,
    }


def run_samskap(members: int, commands: int) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(samskap_round, members, commands).result()


def run_peer(python: Path, contestant: Contestant, members: int, commands: int) -> dict[str, Any]:
    """One peer round: its driver with its virtualenv's python, in a fresh folder."""
    driver = HERE / f"{contestant.peer}_driver.py"
    with tempfile.TemporaryDirectory(prefix=f"peers-{contestant.key}-") as data:
        command = [str(python), str(driver), "--members", str(members), "--commands", str(commands),
                   "--line", LINE, "--data-dir", data, "--storage", contestant.storage]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PEER_TIMEOUT, cwd=HERE)
        except subprocess.TimeoutExpired:
            return {"problems": [f"no result within {PEER_TIMEOUT} s"]}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return {"problems": [f"the driver stopped with exit code {done.returncode}: {tail}"]}
    return dict(json.loads(lines[-1]))


def median(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def figure(results: list[dict[str, Any]], key: str, digits: int) -> str:
    values = sorted(r[key] for r in results)
    spread = f" [{values[0]:,.{digits}f}–{values[-1]:,.{digits}f}]" if len(values) > 1 else ""
    return f"{statistics.median(values):,.{digits}f}{spread}"


def summary(chosen: list[Contestant], results: dict[str, list[dict[str, Any]]]) -> None:
    print()
    print(f"{'':<30} {'commands/s':<22} {'CPU ms/command':<20} {'p50 ms':<28} {'p99 ms':<28} "
          f"samskap ÷ this: commands/s, CPU, p50, p99")  # fmt: skip
    ours = [r for r in results["samskap"] if "per_second" in r]
    for contestant in chosen:
        measured = [r for r in results[contestant.key] if "per_second" in r]
        if not measured:
            print(f"{contestant.label:<30} no result")
            continue
        ratios = ""
        if ours and contestant.key != "samskap":
            ratios = ", ".join(f"{median(ours, key) / median(measured, key):.2f}"
                               for key in ("per_second", "cpu_ms", "p50_ms", "p99_ms"))  # fmt: skip
        print(f"{contestant.label:<30} {figure(measured, 'per_second', 0):<22} {figure(measured, 'cpu_ms', 2):<20} "
              f"{figure(measured, 'p50_ms', 1):<28} {figure(measured, 'p99_ms', 1):<28} {ratios}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=benchmarks.peers.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20, help="timed `/ide` commands per member")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="+", choices=[c.key for c in CONTESTANTS],
                        help="these peers alone (samskap always runs)")  # fmt: skip
    parser.add_argument("--with", dest="also", nargs="+", default=[], choices=[c.key for c in CONTESTANTS],
                        help="add to the default contestants (errbot-shelf)")  # fmt: skip
    parser.add_argument("--venv-dir", type=Path, default=default_root(), help="where the peers' virtualenvs live")
    parser.add_argument("--python", default=sys.executable, help="the Python the peers' virtualenvs are made with")
    args = parser.parse_args()
    keys = args.only or DEFAULT + [k for k in args.also if k not in DEFAULT]
    chosen = [c for c in CONTESTANTS if c.key in keys or c.key == "samskap"]
    pythons = {c.peer: peer_python(c.peer, args.venv_dir, args.python) for c in chosen if c.peer}
    print(f"{args.members} members at once × {args.commands} `/ide` each, saturated; {args.rounds} rounds, the "
          f"order rotating; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")  # fmt: skip
    results: dict[str, list[dict[str, Any]]] = {c.key: [] for c in chosen}
    for round_number in range(args.rounds):
        shift = round_number % len(chosen)
        for contestant in chosen[shift:] + chosen[:shift]:
            if contestant.peer:
                result = run_peer(pythons[contestant.peer], contestant, args.members, args.commands)
            else:
                result = run_samskap(args.members, args.commands)
            results[contestant.key].append(result)
            shown = (f"{result['per_second']:,.0f} commands/s, {result['cpu_ms']:.2f} ms CPU each, "
                     f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
                     if "per_second" in result else "no result")  # fmt: skip
            print(f"round {round_number + 1}: {contestant.label:<30} {shown}", flush=True)
            for problem in result["problems"]:
                print(f"  FAILED: {problem}", flush=True)
    summary(chosen, results)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    failed = any(r["problems"] for rs in results.values() for r in rs)
    print("FAILED" if failed else "OK: every command answered, no errors, every idea stored with its words")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
