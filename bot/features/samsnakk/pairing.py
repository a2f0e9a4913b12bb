"""Pairing a round of "samsnakk to-og-to": a pure function, no database, no clock.

The goals, in order: never pair two people where one asked not to be paired with the other;
pair across schools whenever the numbers allow it; avoid pairs from recent rounds; make one
trio when the count is odd. The same input and seed always give the same groups.

How: members are shuffled by the seed, laid out school by school (largest school first), and
position i is paired with position i + n/2. When no school has more than half of the members,
that alone puts every pair across schools. Repeats and "don't pair me with" are then repaired
by swapping one member between two groups whenever that lowers the cost of both together.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Costs of putting two members in the same group. An avoided pair is never kept; a shared
# school costs more than a repeat, since meeting across schools is the point of the rounds.
AVOIDED = 100_000
SAME_SCHOOL = 100
REPEAT = 1

# Work budget for the repair phase: swap attempts per troubled group, and in total.
TRIES_PER_GROUP = 300
TOTAL_TRIES = 400_000
# Small networks: fresh layouts while a cost remains, and an exact search for the smallest.
RESTARTS = 12
RESTART_LIMIT = 400
EXACT_LIMIT = 10


@dataclass(frozen=True)
class Candidate:
    member_id: int
    school: str


@dataclass(frozen=True)
class PairingResult:
    groups: tuple[tuple[int, ...], ...]
    unpaired: tuple[int, ...]
    same_school: int  # member pairs inside a group who share a school
    repeats: int  # member pairs inside a group who met in the recent rounds
    swaps: int
    largest_school: int
    schools: int
    seed: int

    @property
    def trios(self) -> int:
        return sum(len(g) == 3 for g in self.groups)

    def explain(self) -> str:
        """One log line: counts only, never names or schools."""
        members = sum(len(g) for g in self.groups)
        return (
            f"members={members + len(self.unpaired)} groups={len(self.groups)} trios={self.trios} "
            f"same_school_pairs={self.same_school} repeats={self.repeats} unpaired={len(self.unpaired)} "
            f"swaps={self.swaps} schools={self.schools} largest_school={self.largest_school} seed={self.seed}"
        )


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def pairs_within(group: Sequence[int]) -> Iterable[tuple[int, int]]:
    for i in range(len(group)):
        for j in range(i + 1, len(group)):
            yield pair_key(group[i], group[j])


def pair_members(
    candidates: Sequence[Candidate],
    *,
    recent: Iterable[tuple[int, int]] = (),
    avoid: Iterable[tuple[int, int]] = (),
    seed: int = 0,
) -> PairingResult:
    """Pairs (and one trio when odd) of `candidates`.

    `recent` holds member-id pairs who were grouped in the recent rounds, `avoid` pairs who must
    never be grouped. Both are unordered.
    """
    rng = random.Random(seed)
    by_id = {c.member_id: c for c in candidates}
    school = {mid: c.school.strip().casefold() for mid, c in by_id.items()}
    recent_set = {pair_key(a, b) for a, b in recent if a in by_id and b in by_id}
    avoid_set = {pair_key(a, b) for a, b in avoid if a in by_id and b in by_id and a != b}

    def cost(a: int, b: int) -> int:
        key = pair_key(a, b)
        value = 0
        if key in avoid_set:
            value += AVOIDED
        if school[a] == school[b]:
            value += SAME_SCHOOL
        if key in recent_set:
            value += REPEAT
        return value

    def group_cost(group: list[int]) -> int:
        if len(group) == 2:
            return cost(group[0], group[1])
        return sum(cost(a, b) for a, b in pairs_within(group))

    schools: dict[str, list[int]] = defaultdict(list)
    for mid in sorted(by_id):
        schools[school[mid]].append(mid)
    school_lists = list(schools.values())
    largest = max((len(m) for m in school_lists), default=0)
    n = len(by_id)
    if n < 2:
        return PairingResult((), tuple(sorted(by_id)), 0, 0, 0, largest, len(school_lists), seed)

    # A large network reaches zero in one go; a small one may sit in a local minimum, so it gets
    # a few fresh layouts, and a tiny one an exact search.
    attempts = RESTARTS if n <= RESTART_LIMIT else 1
    # Members of the largest school beyond everyone else can only meet each other.
    floor = SAME_SCHOOL * max(0, (2 * largest - n) // 2)
    best: tuple[int, list[list[int]], int] | None = None
    for _ in range(attempts):
        groups = _layout(school_lists, group_cost, rng)
        swaps = _repair(groups, group_cost, rng)
        total = sum(group_cost(g) for g in groups)
        if best is None or total < best[0]:
            best = (total, groups, swaps)
        if total <= floor:
            break
    assert best is not None
    total, groups, swaps = best
    if total > floor and n <= EXACT_LIMIT:
        groups = _exact(sorted(by_id), group_cost, total) or groups

    groups, unpaired = _drop_avoided(groups, avoid_set)

    same_school = repeats = 0
    for group in groups:
        for a, b in pairs_within(group):
            same_school += school[a] == school[b]
            repeats += (a, b) in recent_set
    ordered = tuple(tuple(sorted(g)) for g in sorted(groups, key=min))
    return PairingResult(
        ordered, tuple(sorted(unpaired)), same_school, repeats, swaps, largest, len(school_lists), seed
    )


def _layout(school_lists: list[list[int]], group_cost, rng: random.Random) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """Members school by school, largest school first; position i meets position i + n/2."""
    shuffled = [rng.sample(members, len(members)) for members in school_lists]
    # Equal sizes in seeded order so no school is always first.
    order = sorted(range(len(shuffled)), key=lambda i: (-len(shuffled[i]), rng.random()))
    layout = [mid for i in order for mid in shuffled[i]]
    half = len(layout) // 2
    groups: list[list[int]] = [[layout[i], layout[i + half]] for i in range(half)]
    if len(layout) % 2:
        leftover = layout[-1]
        best = min(range(len(groups)), key=lambda g: (group_cost([*groups[g], leftover]), g))
        groups[best].append(leftover)
    return groups


def _exact(ids: list[int], group_cost, bound: int) -> list[list[int]] | None:  # type: ignore[no-untyped-def]
    """A grouping of a few members cheaper than `bound` (pairs, one trio when odd), the cheapest there is."""
    best_cost = bound
    best_groups: list[list[int]] | None = None

    def search(left: list[int], chosen: list[list[int]], spent: int) -> None:
        nonlocal best_cost, best_groups
        if spent >= best_cost:
            return
        if not left:
            best_cost, best_groups = spent, [list(g) for g in chosen]
            return
        first, rest = left[0], left[1:]
        options: list[list[int]] = [[first, other] for other in rest]
        if len(left) % 2 and len(left) >= 3:
            options += [[first, a, b] for i, a in enumerate(rest) for b in rest[i + 1 :]]
        for group in sorted(options, key=group_cost):
            remaining = [m for m in rest if m not in group]
            if len(remaining) == 1:
                continue
            chosen.append(group)
            search(remaining, chosen, spent + group_cost(group))
            chosen.pop()

    search(ids, [], 0)
    return best_groups  # None: nothing beats the local search's answer


def _repair(groups: list[list[int]], group_cost, rng: random.Random) -> int:  # type: ignore[no-untyped-def]
    """Swap single members between groups while that lowers the cost; returns the swaps made."""
    costs = [group_cost(g) for g in groups]
    swaps = 0
    budget = TOTAL_TRIES
    count = len(groups)
    if count < 2:
        return 0
    # A few groups have few partners to try: a handful of draws each covers them.
    per_group = min(TRIES_PER_GROUP, 3 * (count - 1))
    improved = True
    while improved and budget > 0:
        improved = False
        troubled = [i for i, c in enumerate(costs) if c > 0]
        for gi in troubled:
            tries = 0
            while costs[gi] > 0 and tries < per_group and budget > 0:
                tries += 1
                budget -= 1
                hi = rng.randrange(count - 1)
                hi += hi >= gi  # any group but gi
                g, h = groups[gi], groups[hi]
                before = costs[gi] + costs[hi]
                best: tuple[int, int, int, int] | None = None
                for x in range(len(g)):
                    for y in range(len(h)):
                        g[x], h[y] = h[y], g[x]
                        cg, ch = group_cost(g), group_cost(h)
                        g[x], h[y] = h[y], g[x]
                        if cg + ch < before and (best is None or cg + ch < best[2] + best[3]):
                            best = (x, y, cg, ch)
                if best is not None:
                    x, y, cg, ch = best
                    g[x], h[y] = h[y], g[x]
                    costs[gi], costs[hi] = cg, ch
                    swaps += 1
                    improved = True
    return swaps


def _drop_avoided(groups: list[list[int]], avoid: set[tuple[int, int]]) -> tuple[list[list[int]], list[int]]:
    """Take members out of groups that still hold an avoided pair (only when repair could not help)."""
    if not avoid:
        return groups, []
    kept: list[list[int]] = []
    unpaired: list[int] = []
    for group in groups:
        members = list(group)
        while len(members) >= 2 and any(p in avoid for p in pairs_within(members)):
            # Drop the member in the most avoided pairs (the last one on ties, for determinism).
            worst = max(members, key=lambda m: (sum(pair_key(m, o) in avoid for o in members if o != m), m))
            members.remove(worst)
            unpaired.append(worst)
        if len(members) >= 2:
            kept.append(members)
        else:
            unpaired.extend(members)
    return kept, unpaired
