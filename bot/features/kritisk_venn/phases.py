"""The protocol's phases and their timing: pure values and functions, no database, no chat.

Feedback is two steps (warm, then cool) under one phase number, so the presenter sees six
phases while the bot keeps the warm and cool contributions apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.i18n import N_

Pace = Literal["live", "days"]
# Who is expected to write in a phase: the friends, the presenter, everyone, or nobody.
Speakers = Literal["friends", "presenter", "everyone", "nobody"]

PHASE_COUNT = 6  # what the users see: "Fase 3 av 6"


@dataclass(frozen=True)
class Phase:
    key: str
    number: int
    title: str  # English msgids
    purpose: str
    starters: tuple[str, ...]
    speakers: Speakers
    contribution_kind: str  # how a friend's (or the presenter's) text is stored in this phase
    live_minutes: int
    working_hours: float  # share of the three working days when the round runs over days
    form_label: str
    # The friends' questions wait for the presenter's answer: the phase ends when she has answered the last one.
    presenter_answers: bool = False


PHASES: tuple[Phase, ...] = (
    Phase(
        "presentation",
        1,
        N_("Presentation"),
        N_("The presenter's practice or dilemma and focus question. Read it calmly; questions come next."),
        (),
        "nobody",
        "",
        3,
        2,
        N_("Anything you want to add to the presentation"),
    ),
    Phase(
        "clarifying",
        2,
        N_("Clarifying questions"),
        N_("Short, factual questions so you understand the situation. The presenter answers briefly."),
        (N_("How many …"), N_("When did …"), N_("Who takes part in …")),
        "friends",
        "clarifying",
        4,
        5,
        N_("Your clarifying question"),
        presenter_answers=True,
    ),
    Phase(
        "probing",
        3,
        N_("Probing questions"),
        N_(
            "Open questions that make the presenter think, not advice in disguise. "
            "The presenter does not need to answer right away."
        ),
        (N_("What would happen if …"), N_("What do you think the pupils experience when …"), N_("What do you hope …")),
        "friends",
        "probing",
        5,
        6,
        N_("Your probing question"),
    ),
    Phase(
        "warm",
        4,
        N_("Feedback, warm"),
        N_("What works well, and why. The presenter listens without answering."),
        (N_("What I think works well …"), N_("I notice that …")),
        "friends",
        "warm",
        3,
        3,
        N_("What I think works well …"),
    ),
    Phase(
        "cool",
        4,
        N_("Feedback, cool"),
        N_("Kind and honest: what you wonder about, and what could be tried. The presenter still listens."),
        (N_("I wonder …"), N_("Have you considered …")),
        "friends",
        "cool",
        4,
        4,
        N_("I wonder … / Have you considered …"),
    ),
    Phase(
        "reflection",
        5,
        N_("The presenter's reflection"),
        N_("The presenter reflects aloud on what they heard. The friends listen."),
        (N_("What I take with me …"), N_("What surprised me …"), N_("What I will try …")),
        "presenter",
        "reflection",
        4,
        3,
        N_("What I take with me …"),
    ),
    Phase(
        "debrief",
        6,
        N_("Debrief"),
        N_("A few words each on the process itself: how did it feel to give and receive critical friendship?"),
        (N_("It felt …"), N_("Next time …")),
        "everyone",
        "debrief",
        2,
        1,
        N_("How did the process feel?"),
    ),
)

LAST_PHASE = len(PHASES) - 1
# Answers to an invitation: a live round cannot wait long, a round over days can.
INVITE_LIVE = timedelta(minutes=10)
INVITE_WORKING_HOURS = 8.0
WORKDAY_START_HOUR = 8
WORKDAY_END_HOUR = 16
# How long a decline keeps someone out of the automatic rotation.
DECLINE_REST = timedelta(days=14)
# Starters that make a cool-phase text a suggestion rather than a wondering.
SUGGESTION_STARTERS = ("har du vurdert", "have you considered", "kanskje du kan", "forslag", "suggestion", "hva om")


def classify_cool(text: str) -> str:
    """A cool-feedback text is a suggestion ("Har du vurdert …") or a wondering ("Jeg lurer på …")."""
    return "suggestion" if text.strip().lower().startswith(SUGGESTION_STARTERS) else "cool"


def add_working_hours(start: datetime, hours: float, timezone: str) -> datetime:
    """`start` plus `hours` of working time (Monday–Friday, 08–16 local), in UTC.

    A round over days should not have deadlines at night or over the weekend; public holidays
    are not known here and count as working days.
    """
    tz = ZoneInfo(timezone)
    local = start.astimezone(tz)
    remaining = timedelta(hours=hours)
    while True:
        day_start = local.replace(hour=WORKDAY_START_HOUR, minute=0, second=0, microsecond=0)
        day_end = local.replace(hour=WORKDAY_END_HOUR, minute=0, second=0, microsecond=0)
        if local.weekday() >= 5 or local >= day_end:
            local = (day_start + timedelta(days=1)).replace(tzinfo=tz)
            continue
        if local < day_start:
            local = day_start
        available = day_end - local
        if remaining <= available:
            return (local + remaining).astimezone(start.tzinfo)
        remaining -= available
        local = (day_start + timedelta(days=1)).replace(tzinfo=tz)


def phase_times(pace: str, index: int, start: datetime, timezone: str) -> tuple[datetime, datetime]:
    """(when to remind those who have not written, the phase's deadline)."""
    phase = PHASES[index]
    if pace == "live":
        length = timedelta(minutes=phase.live_minutes)
        return start + length * 2 / 3, start + length
    return (
        add_working_hours(start, phase.working_hours * 2 / 3, timezone),
        add_working_hours(start, phase.working_hours, timezone),
    )


def invitation_deadline(pace: str, start: datetime, timezone: str) -> datetime:
    if pace == "live":
        return start + INVITE_LIVE
    return add_working_hours(start, INVITE_WORKING_HOURS, timezone)
