"""Scale-out on PostgreSQL: commands/s and p99 with 1, 2 and 3 worker processes, and the take-over after a SIGKILL.

    .venv/bin/python -m benchmarks.multi_worker                       # 1, 2, 3 workers; then 3 take-over rounds
    .venv/bin/python -m benchmarks.multi_worker --part commands --workers 1 3 --trials 3
    .venv/bin/python -m benchmarks.multi_worker --part take-over --rounds 5 --channels 1000

commands: `benchmarks.core_commands` run with `--workers N` for each N: its `--members` members are
          shared among N worker processes (each its own bot, connections and remembered lookups) on
          one PostgreSQL database, every member sending the mix of commands. Paced (each member about
          once a second): the p50/p99 latency of one command; saturated (back to back): commands/s
          and its p99. Each run checks its rows: the ideas and adoptions the commands should have
          written are the ones stored, every command was answered, no error was logged.

take-over: three real `samskap run` workers (Slack over HTTP, the fake Slack of the tests on
          127.0.0.1) share one database; the weekly digests of two networks fan out to `--channels`
          channels while 30 "how did it go?" follow-ups fall due over 8 s; once half the digests
          have arrived, the worker that has posted most is killed with SIGKILL in the middle of a
          post. Leases are 3 s (`outbox_lease_seconds`, `job_lease_seconds`). Reported, from the
          kill: until another worker first claims a job or delivery the killed worker held (the
          lease runs out), until all it held is done by the others (the take-over: its digest job
          carried on to the end), and until all the work is done. Each round checks that every
          channel got its digest and every member their follow-up exactly once, counted on the
          fake Slack (`tests/test_scale_out.py` runs the same round and requires 15 s at most).

The machine's core count and load average are printed with the figures: on a shared machine the
load of others moves them more than any change in the code. Exits non-zero if any check fails.
Needs PostgreSQL (SAMSKAP_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from worker_processes import TakeOver, scale_out_with_a_kill  # noqa: E402

from benchmarks.core_commands import print_result, with_postgres  # noqa: E402
from storage.scratch import throwaway_postgres  # noqa: E402

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def machine() -> str:
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.1f} (5 min: {five:.1f})"


def commands(args: argparse.Namespace) -> bool:
    """core_commands on PostgreSQL for each worker count; True if every run checked out."""
    print(f"commands: {args.members} members × {args.commands} commands, the mix, PostgreSQL; "
          f"median of {args.trials} trial(s) [slowest–fastest]")  # fmt: skip
    ok = True
    for think, kind in ((args.think, "paced"), (0.0, "saturated")):
        for workers in args.workers:
            results = [
                asyncio.run(with_postgres(args.members, args.commands, think, workers, "mix"))
                for _ in range(args.trials)
            ]
            print_result(f"{kind}, {workers} worker{'s' if workers > 1 else ''}", results)
            for problem in (p for r in results for p in r["problems"]):  # type: ignore[attr-defined]
                print(f"  FAILED: {problem}")
                ok = False
            print(f"  ({machine()})", flush=True)
    return ok


async def one_take_over(channels: int, within: float) -> TakeOver:
    async with throwaway_postgres(POSTGRES_URL, "samskap_bench") as url:
        with tempfile.TemporaryDirectory(prefix="samskap-take-over-") as tmp:
            return await scale_out_with_a_kill(url, Path(tmp), channels=channels, within=within)


def spread(values: Iterable[float]) -> str:
    found = sorted(values)
    return f"median {statistics.median(found):.1f} s [{found[0]:.1f}–{found[-1]:.1f}]"


def exactly_once(run: TakeOver) -> list[str]:
    expected = run.work.channels + run.work.dm_channels
    problems = []
    missing = [c for c in expected if run.arrived.get(c, 0) == 0]
    twice = [c for c in expected if run.arrived.get(c, 0) > 1]
    if missing:
        problems.append(f"{len(missing)} of {len(expected)} channels got nothing")
    if twice:
        problems.append(f"{len(twice)} channels got their message more than once")
    if not run.in_flight or run.in_flight not in run.taken_over:
        problems.append("the killed worker's last message was not taken over")
    return problems


def take_over(args: argparse.Namespace) -> bool:
    print(f"take-over: 3 workers, digests to {args.channels} channels and 30 follow-ups, the busiest SIGKILLed "
          f"half-way; leases 3 s")  # fmt: skip
    ok = True
    runs: list[TakeOver] = []
    for number in range(1, args.rounds + 1):
        try:
            run = asyncio.run(one_take_over(args.channels, args.within))
        except AssertionError as error:  # not done within --within seconds of the kill
            print(f"round {number}: FAILED: {error} ({machine()})")
            ok = False
            continue
        problems = exactly_once(run)
        ok &= not problems
        runs.append(run)
        held = len(run.held.deliveries) + len(run.held.jobs)
        print(f"round {number}: {run.killed} killed {run.seconds_to_kill:.1f} s into the run with "
              f"{run.posts_at_kill[run.killed]} of {sum(run.posts_at_kill.values())} posts; "
              f"{held} deliveries and jobs held by all at the kill, {len(run.taken_over)} deliveries taken over; "
              f"first claimed again {run.first_taken_seconds:.1f} s, all taken over and done "
              f"{run.take_over_seconds:.1f} s, all work done {run.finish_seconds:.1f} s after the kill "
              f"({machine()})", flush=True)  # fmt: skip
        for problem in problems:
            print(f"  FAILED: {problem}")
    if runs:
        first = spread(r.first_taken_seconds for r in runs)
        held, finished = spread(r.take_over_seconds for r in runs), spread(r.finish_seconds for r in runs)
        print(f"after the SIGKILL, over {len(runs)} round(s): the killed worker's first job or delivery claimed "
              f"again {first}, all it held done {held}, all work done {finished}")  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["commands", "take-over", "both"], default="both")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3], help="worker counts to measure")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--commands", type=int, default=20, help="commands per member")
    parser.add_argument("--think", type=float, default=1.0, help="paced run: mean seconds between commands")
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="take-over rounds")
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--within", type=float, default=120.0, help="seconds after the kill a round may take")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    ok = True
    if args.part in ("commands", "both"):
        ok &= commands(args)
    if args.part in ("take-over", "both"):
        ok &= take_over(args)
    print("OK: every check passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
