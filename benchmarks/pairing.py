"""Pairing at scale: 20,000 members in 300 schools with a year of fortnightly rounds behind them.

Run from the project root:

    .venv/bin/python -m benchmarks.pairing            # the defaults below
    .venv/bin/python -m benchmarks.pairing --members 20000 --schools 300 --rounds 26 --seed 1

It first plays a year of rounds (each round avoids the six before it, like the bot does), then
times the next round and prints the figures: seconds per round (the slowest and the measured
one), same-school pairs and repeats of the last six rounds. It exits non-zero when a round takes
more than a second or when a same-school pair or a repeat is left although the data allows none.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import deque

from bot.features.samsnakk.pairing import Candidate, pair_members, pairs_within

RECENT_ROUNDS = 6


def make_members(members: int, schools: int, seed: int) -> list[Candidate]:
    """Schools of uneven size (some large, many small), every school at least one member."""
    rng = random.Random(seed)
    weights = [1.0 / (1 + i) ** 0.5 for i in range(schools)]
    assigned = list(range(schools)) + rng.choices(range(schools), weights=weights, k=members - schools)
    rng.shuffle(assigned)
    return [Candidate(member_id=i + 1, school=f"skole-{s}") for i, s in enumerate(assigned)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=26, help="history: rounds played before the measured one")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    candidates = make_members(args.members, args.schools, args.seed)
    history: deque[list[tuple[int, int]]] = deque(maxlen=RECENT_ROUNDS)
    slowest = 0.0
    worst_same_school = worst_repeats = 0
    for number in range(1, args.rounds + 2):
        recent = [p for round_pairs in history for p in round_pairs]
        started = time.perf_counter()
        result = pair_members(candidates, recent=recent, seed=args.seed * 1000 + number)
        elapsed = time.perf_counter() - started
        slowest = max(slowest, elapsed)
        worst_same_school = max(worst_same_school, result.same_school)
        worst_repeats = max(worst_repeats, result.repeats)
        history.append([p for g in result.groups for p in pairs_within(g)])

    print(f"members={args.members} schools={args.schools} largest_school={result.largest_school} "
          f"history_rounds={args.rounds} recent_pairs={len(recent)}")  # fmt: skip
    print(f"measured round: {elapsed:.3f} s  ({result.explain()})")
    print(f"slowest of {args.rounds + 1} rounds: {slowest:.3f} s")
    print(f"same-school pairs (worst round): {worst_same_school}   repeats of last {RECENT_ROUNDS} rounds "
          f"(worst round): {worst_repeats}")  # fmt: skip
    ok = slowest <= 1.0 and worst_same_school == 0 and worst_repeats == 0
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
