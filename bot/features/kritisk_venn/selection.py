"""Choosing critical friends: a pure function over plain values, so it can be tested exhaustively.

The rules, from the network's own wishes: friends come from *other* schools (fresh eyes, and
nobody has to challenge a colleague they meet every day); the load is spread fairly, so nobody
is asked again while someone else has been asked fewer times; and someone who said no recently
is left in peace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


def school_key(school: str) -> str:
    """Schools compare without case and extra spaces ("Nordby skole" == "nordby  Skole")."""
    return " ".join(school.split()).casefold()


@dataclass(frozen=True)
class Candidate:
    member_id: int
    school: str
    # How many times this member has been asked to be a critical friend before (any answer).
    turns: int = 0
    last_asked: datetime | None = None
    opted_in: bool = True
    declined_recently: bool = False
    # Already asked in this round, or busy with an open invitation or a running round.
    unavailable: bool = False


def eligible(presenter_id: int, presenter_school: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    own = school_key(presenter_school)
    return [
        c
        for c in candidates
        if c.member_id != presenter_id
        and c.opted_in
        and not c.declined_recently
        and not c.unavailable
        and school_key(c.school) != own
    ]


def choose_friends(
    presenter_id: int,
    presenter_school: str,
    candidates: Sequence[Candidate],
    count: int,
    taken_schools: Sequence[str] = (),
) -> list[Candidate]:
    """Up to `count` friends, fewest turns first; among equals, schools not yet chosen first
    (nor among `taken_schools`, those of the friends the round already has), then whoever was asked
    longest ago (never asked counts as longest), then by id.
    """
    pool = eligible(presenter_id, presenter_school, candidates)
    chosen: list[Candidate] = []
    schools: set[str] = {school_key(school) for school in taken_schools}
    while pool and len(chosen) < count:
        fewest = min(c.turns for c in pool)
        tier = [c for c in pool if c.turns == fewest]
        best = min(
            tier,
            key=lambda c: (
                school_key(c.school) in schools,
                c.last_asked is not None,
                c.last_asked or datetime.min,
                c.member_id,
            ),
        )
        chosen.append(best)
        schools.add(school_key(best.school))
        pool.remove(best)
    return chosen
