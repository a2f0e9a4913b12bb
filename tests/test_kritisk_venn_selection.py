"""Friend selection and the protocol's timing: pure functions, checked over many generated cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.kritisk_venn.phases import PHASES, add_working_hours, classify_cool, phase_times
from bot.features.kritisk_venn.selection import Candidate, choose_friends, eligible, school_key

SCHOOLS = ["Nordby skole", "Sørby skole", "Vestby skole", "Østby skole", "nordby  SKOLE"]

candidates_strategy = st.lists(
    st.builds(
        Candidate,
        member_id=st.integers(1, 60),
        school=st.sampled_from(SCHOOLS),
        turns=st.integers(0, 5),
        last_asked=st.none() | st.datetimes(timezones=st.just(UTC)),
        opted_in=st.booleans(),
        declined_recently=st.booleans(),
        unavailable=st.booleans(),
    ),
    max_size=25,
    unique_by=lambda c: c.member_id,
)


@given(candidates_strategy, st.sampled_from(SCHOOLS), st.integers(1, 4))
def test_friends_never_come_from_the_presenters_own_school(candidates, school, count) -> None:
    chosen = choose_friends(0, school, candidates, count)
    assert all(school_key(c.school) != school_key(school) for c in chosen)
    assert len(chosen) == min(count, len(eligible(0, school, candidates)))


@given(candidates_strategy, st.sampled_from(SCHOOLS), st.integers(1, 4))
def test_nobody_is_asked_again_while_someone_eligible_has_had_fewer_turns(candidates, school, count) -> None:
    chosen = choose_friends(0, school, candidates, count)
    left_out = [c for c in eligible(0, school, candidates) if c not in chosen]
    for friend in chosen:
        assert all(friend.turns <= other.turns for other in left_out)


@given(candidates_strategy, st.sampled_from(SCHOOLS), st.integers(1, 4))
def test_opted_out_declined_and_busy_members_are_left_in_peace(candidates, school, count) -> None:
    for friend in choose_friends(0, school, candidates, count):
        assert friend.opted_in and not friend.declined_recently and not friend.unavailable


@settings(max_examples=50)
@given(
    st.lists(st.sampled_from(SCHOOLS[:4]), min_size=6, max_size=20),
    st.lists(st.tuples(st.integers(0, 100), st.integers(2, 4)), min_size=1, max_size=40),
)
def test_turns_rotate_fairly_over_many_rounds(schools, rounds) -> None:
    """Over many rounds with changing presenters, nobody gets a second turn while another
    member who could have been asked (another school, available) is still waiting for one."""
    members = {i: school for i, school in enumerate(schools, start=1)}
    turns = dict.fromkeys(members, 0)
    for pick, count in rounds:
        presenter = pick % len(members) + 1
        pool = [Candidate(m, s, turns[m]) for m, s in members.items()]
        chosen = choose_friends(presenter, members[presenter], pool, count)
        waiting = [c for c in eligible(presenter, members[presenter], pool) if c not in chosen]
        assert all(c.turns <= w.turns for c in chosen for w in waiting)
        for c in chosen:
            turns[c.member_id] += 1


@given(
    st.lists(st.sampled_from(SCHOOLS[1:4]), min_size=3, max_size=20),
    st.lists(st.integers(2, 4), min_size=1, max_size=30),
)
def test_when_everyone_can_be_asked_turns_never_differ_by_more_than_one(schools, counts) -> None:
    members = {i: school for i, school in enumerate(schools, start=1)}
    turns = dict.fromkeys(members, 0)
    for count in counts:
        pool = [Candidate(m, s, turns[m]) for m, s in members.items()]
        for c in choose_friends(0, "Nordby skole", pool, count):
            turns[c.member_id] += 1
        assert max(turns.values()) - min(turns.values()) <= 1


def test_equal_turns_prefer_different_schools_and_those_asked_longest_ago() -> None:
    earlier = datetime(2026, 9, 1, tzinfo=UTC)
    pool = [
        Candidate(1, "Sørby skole", 1, earlier + timedelta(days=3)),
        Candidate(2, "Sørby skole", 1, earlier),
        Candidate(3, "Vestby skole", 1, earlier + timedelta(days=5)),
        Candidate(4, "Østby skole", 2, earlier),
    ]
    chosen = [c.member_id for c in choose_friends(9, "Nordby skole", pool, 3)]
    assert chosen == [2, 3, 1]


def test_working_hours_skip_evenings_and_weekends() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    friday_afternoon = datetime(2026, 9, 11, 15, 0, tzinfo=oslo).astimezone(UTC)
    deadline = add_working_hours(friday_afternoon, 2, "Europe/Oslo").astimezone(oslo)
    assert (deadline.weekday(), deadline.hour) == (0, 9)  # Monday 09:00


def test_a_round_over_days_takes_three_working_days() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    start = datetime(2026, 9, 7, 8, 0, tzinfo=oslo).astimezone(UTC)  # a Monday morning
    moment = start
    for index in range(len(PHASES)):
        _remind, moment = phase_times("days", index, moment, "Europe/Oslo")
    end = moment.astimezone(oslo)
    assert (end.weekday(), end.hour) == (2, 16)  # Wednesday at the end of the working day


def test_a_live_round_takes_about_twenty_five_minutes() -> None:
    start = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
    moment = start
    for index in range(len(PHASES)):
        remind, deadline = phase_times("live", index, moment, "Europe/Oslo")
        assert moment < remind < deadline
        moment = deadline
    assert moment - start == timedelta(minutes=25)


def test_cool_feedback_is_a_suggestion_when_it_starts_like_one() -> None:
    assert classify_cool("Har du vurdert faste soner?") == "suggestion"
    assert classify_cool("Jeg lurer på hva elevene sier.") == "cool"


def test_a_replacement_comes_from_a_school_the_round_has_no_friend_from() -> None:
    pool = [Candidate(3, "Sørby skole"), Candidate(4, "Østby skole")]
    chosen = [c.member_id for c in choose_friends(9, "Nordby skole", pool, 1, taken_schools=["Sørby  skole"])]
    assert chosen == [4]
