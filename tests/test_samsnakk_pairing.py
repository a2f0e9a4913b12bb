"""Properties of the samsnakk pairing: everyone once, across schools, no recent repeats, deterministic."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.samsnakk.pairing import Candidate, pair_members, pairs_within


@st.composite
def networks(draw: st.DrawFn, max_members: int = 40) -> list[Candidate]:
    count = draw(st.integers(min_value=0, max_value=max_members))
    schools = draw(st.integers(min_value=1, max_value=8))
    return [Candidate(i + 1, f"skole {draw(st.integers(0, schools - 1))}") for i in range(count)]


def _school_counts(candidates: list[Candidate]) -> Counter[str]:
    return Counter(c.school for c in candidates)


@given(networks(), st.integers(0, 2**32))
def test_every_member_is_placed_exactly_once_in_pairs_and_at_most_one_trio(members, seed) -> None:  # type: ignore[no-untyped-def]
    result = pair_members(members, seed=seed)
    placed = [m for g in result.groups for m in g] + list(result.unpaired)
    assert sorted(placed) == [c.member_id for c in members]
    assert all(len(g) in (2, 3) for g in result.groups)
    assert result.trios == (1 if len(members) % 2 and len(members) >= 3 else 0)
    assert len(result.unpaired) == (1 if len(members) == 1 else 0)


@given(networks(), st.integers(0, 2**32))
def test_pairs_cross_schools_when_no_school_has_more_than_half(members, seed) -> None:  # type: ignore[no-untyped-def]
    counts = _school_counts(members)
    if len(members) < 2 or max(counts.values()) > len(members) // 2:
        return
    result = pair_members(members, seed=seed)
    assert result.same_school == 0
    school = {c.member_id: c.school for c in members}
    assert all(school[a] != school[b] for g in result.groups for a, b in pairs_within(g))


@given(networks(max_members=30), st.integers(0, 2**32))
@settings(deadline=None)  # what is tested is the pairs; a busy machine stretches the time
def test_the_same_seed_gives_the_same_pairs_whatever_the_input_order(members, seed) -> None:  # type: ignore[no-untyped-def]
    first = pair_members(members, seed=seed)
    again = pair_members(list(reversed(members)), seed=seed)
    assert first == again


@given(networks(max_members=30), st.integers(0, 2**32), st.data())
def test_avoided_pairs_are_never_grouped(members, seed, data) -> None:  # type: ignore[no-untyped-def]
    ids = [c.member_id for c in members]
    if len(ids) < 2:
        return
    avoid = data.draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=10))
    result = pair_members(members, avoid=avoid, seed=seed)
    forbidden = {tuple(sorted(p)) for p in avoid}
    assert not any(p in forbidden for g in result.groups for p in pairs_within(g))
    placed = [m for g in result.groups for m in g] + list(result.unpaired)
    assert sorted(placed) == ids


@settings(max_examples=30)
@given(st.integers(0, 2**32))
def test_six_rounds_in_a_row_never_repeat_a_pair_when_there_are_enough_people(seed) -> None:  # type: ignore[no-untyped-def]
    members = [Candidate(i + 1, f"skole {i % 6}") for i in range(60)]
    history: list[list[tuple[int, int]]] = []
    for number in range(8):
        recent = [p for pairs in history[-6:] for p in pairs]
        result = pair_members(members, recent=recent, seed=seed + number)
        assert result.same_school == 0
        assert result.repeats == 0
        history.append([p for g in result.groups for p in pairs_within(g)])


def test_one_dominant_school_still_pairs_everyone_and_counts_the_same_school_pairs() -> None:
    members = [Candidate(i, "Nordby" if i <= 8 else "Sørby") for i in range(1, 11)]
    result = pair_members(members, seed=3)
    assert len(result.groups) == 5
    # 8 from Nordby and 2 from Sørby: at best two cross pairs, so three Nordby pairs remain.
    assert result.same_school == 3
    assert "same_school_pairs=3" in result.explain()


def test_two_who_avoid_each_other_are_left_unpaired_rather_than_grouped() -> None:
    members = [Candidate(1, "Nordby"), Candidate(2, "Sørby")]
    result = pair_members(members, avoid=[(2, 1)], seed=1)
    assert result.groups == ()
    assert result.unpaired == (1, 2)


def test_explanation_holds_counts_only() -> None:
    members = [Candidate(i, f"Hemmelig skole {i % 3}") for i in range(1, 8)]
    line = pair_members(members, seed=9).explain()
    assert "Hemmelig" not in line
    assert "members=7" in line and "trios=1" in line


def _cost(groups, school, recent) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    pairs = [p for g in groups for p in pairs_within(g)]
    return sum(school[a] == school[b] for a, b in pairs), sum(p in recent for p in pairs)


def _cheapest(ids: list[int], school, recent) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Every way to split a few members into pairs (one trio when odd): the best (same school, repeats)."""
    if len(ids) in (2, 3):
        return _cost([ids], school, recent)
    first, rest = ids[0], ids[1:]
    options = [[first, other] for other in rest]
    if len(ids) % 2:
        options += [[first, a, b] for i, a in enumerate(rest) for b in rest[i + 1 :]]
    best = (10**6, 10**6)
    for group in options:
        remaining = [m for m in rest if m not in group]
        if len(remaining) < 2:
            continue
        here, there = _cost([group], school, recent), _cheapest(remaining, school, recent)
        best = min(best, (here[0] + there[0], here[1] + there[1]))
    return best


@settings(max_examples=60, deadline=None)
@given(networks(max_members=9), st.integers(0, 2**32), st.data())
def test_small_networks_get_the_fewest_same_school_pairs_then_the_fewest_repeats(members, seed, data) -> None:  # type: ignore[no-untyped-def]
    ids = [c.member_id for c in members]
    if len(ids) < 2:
        return
    recent = {tuple(sorted(p)) for p in data.draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids))))}
    result = pair_members(members, recent=recent, seed=seed)
    school = {c.member_id: c.school for c in members}
    assert (result.same_school, result.repeats) == _cheapest(ids, school, recent)
