"""The network's meetings and the rhythm between them, free of any chat platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.adapter import Destination
from bot.errors import UserError
from bot.features.samlinger import cards
from bot.scheduler import JobRun
from bot.times import WEEKDAYS, at_local, parse_clock, parse_date
from storage.models.core import Member, Network
from storage.models.samlinger import Samling
from storage.repositories.core import Audit, Networks
from storage.repositories.samlinger import Samlinger

if TYPE_CHECKING:
    from bot.calendar import CalendarEvent
    from bot.core_api import CoreApi
    from bot.i18n import Translator

REMINDER_JOB = "samlinger.reminder"
# Days before a meeting the channel is reminded (a network setting; 0: no reminder).
REMINDER_SETTING = "samling_varsel"
AFTER_JOB = "samlinger.after"
MIDWAY_JOB = "samlinger.midway"
JOBS = (REMINDER_JOB, AFTER_JOB, MIDWAY_JOB)
# Prompts come in the morning, local time: read before the school day, not at midnight.
PROMPT_TIME = time(9, 0)
MAX_ABOUT = 300
# Meetings closer than this get no prompt halfway between them: the reminder comes soon anyway.
MIN_DAYS_FOR_MIDWAY = 7
# Thanks for a meeting this many days on would be out of place: they are left out.
LATE_THANKS_DAYS = 7


class SamlingError(UserError):
    """Something the leader can fix; `msgid` is translated for them."""


@dataclass(frozen=True)
class Planned:
    samling: Samling
    reminder_days: int | None  # None: no reminder (turned off, or the meeting is too close)


@dataclass(frozen=True)
class Due:
    """What a scheduled prompt about a meeting needs."""

    samling: Samling
    network: Network
    following: Samling | None  # the next meeting still to come
    trying: int  # members trying an idea now


def split_when(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, str]:
    """A meeting's date and time from the front of `text`, and the rest (where and what).

    "14.01 12:00 Rådhuset: trivsel", "tor. 14. januar kl. 12 Rådhuset", "2027-01-14 9:30". A date is
    required (a meeting is planned ahead), and so is the time of day.
    """
    words = text.split()
    at = 1 if len(words) > 1 and words[0].lower().rstrip(".,") in WEEKDAYS else 0  # the date decides
    today, day = now.astimezone(tz).date(), None
    for n in (3, 2, 1):  # "om 3 uker" before "14. januar" before "14.01"
        if at + n <= len(words) and (day := parse_date(" ".join(words[at : at + n]).lower().rstrip(","), today)):
            at += n
            break
    if day is None:
        raise SamlingError(
            "I could not read the date. Write the date and time first, then where and what, for example: "
            "/samling ny 14.01 12:00 Rådhuset: trivsel i friminuttene"
        )
    for n in (2, 1):  # "kl. 12" before "12"
        clock = parse_clock(" ".join(words[at : at + n]).lower()) if at + n <= len(words) else None
        if clock is not None:
            at += n
            break
    else:
        raise SamlingError("Give the time of day too, for example: /samling ny 14.01 12:00")
    moment = at_local(day, clock, tz)
    if moment <= now:
        raise SamlingError("That time has passed. Give the date of the meeting, for example: /samling ny 14.01 12:00")
    return moment, " ".join(words[at:])


def morning_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, PROMPT_TIME, tzinfo=tz)


class SamlingService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    @staticmethod
    def tz(network: Network) -> ZoneInfo:
        return ZoneInfo(network.timezone)

    async def add(self, network: Network, leader: Member, text: str) -> Planned:
        now = self.bot.clock.now()
        starts_at, rest = split_when(text, now, self.tz(network))
        about = rest.strip(" :-–—")
        if len(about) > MAX_ABOUT:
            raise SamlingError("Keep where and what under {max} characters.", max=MAX_ABOUT)
        async with self.bot.db.session() as s:
            samling = await Samlinger(s).add(network.id, starts_at, about, now)
            reminder_days = await self._schedule(s, network, samling)
            await Audit(s).record(
                network.id,
                leader.id,
                "add_samling",
                {"samling_id": samling.id, "starts_at": starts_at.isoformat()},
                now,
            )
        return Planned(samling, reminder_days)

    async def _schedule(self, s: Any, network: Network, samling: Samling) -> int | None:
        """The reminder before and the prompt the day after, in the same transaction as the meeting.
        Returns how many days before the reminder comes (None: no reminder)."""
        payload = {"samling_id": samling.id}
        reminder_at = self._reminder_at(network, samling)
        if reminder_at is not None:
            await self.bot.scheduler.add(
                REMINDER_JOB, reminder_at, payload, key=f"{REMINDER_JOB}:{samling.id}", session=s
            )
        tz = self.tz(network)
        after_at = morning_of(samling.starts_at.astimezone(tz).date() + timedelta(days=1), tz)
        await self.bot.scheduler.add(AFTER_JOB, after_at, payload, key=f"{AFTER_JOB}:{samling.id}", session=s)
        return int(self.bot.settings.network_value(network, REMINDER_SETTING)) if reminder_at else None

    def _reminder_at(self, network: Network, samling: Samling) -> datetime | None:
        """The morning `samling_varsel` days before the meeting; None for no reminder, or one too late."""
        days = int(self.bot.settings.network_value(network, REMINDER_SETTING))
        if not days:
            return None
        tz = self.tz(network)
        reminder_at = morning_of(samling.starts_at.astimezone(tz).date() - timedelta(days=days), tz)
        return reminder_at if reminder_at > self.bot.clock.now() else None

    async def rearm_reminders(self, network: Network) -> None:
        """After `samling_varsel` changed: the coming meetings' reminders move (a sent one stays sent)."""
        async with self.bot.db.session() as s:
            for samling in await Samlinger(s).upcoming(network.id, self.bot.clock.now(), limit=100):
                key = f"{REMINDER_JOB}:{samling.id}"
                await self.bot.scheduler.cancel(key, session=s)
                reminder_at = self._reminder_at(network, samling)
                if reminder_at is not None:
                    await self.bot.scheduler.schedule(
                        REMINDER_JOB, reminder_at, {"samling_id": samling.id}, key=key, session=s
                    )

    async def remove(self, network: Network, leader: Member, samling_id: int) -> Samling:
        async with self.bot.db.session() as s:
            samling = await Samlinger(s).get(network.id, samling_id)
            if samling is None:
                raise SamlingError("There is no meeting number {id}. See them with /samling.", id=samling_id)
            for job in JOBS:
                await self.bot.scheduler.cancel(f"{job}:{samling.id}", session=s)
            await Samlinger(s).remove(samling)
            await Audit(s).record(
                network.id, leader.id, "remove_samling", {"samling_id": samling.id}, self.bot.clock.now()
            )
        return samling

    async def upcoming(self, network: Network, limit: int = 10) -> list[Samling]:
        async with self.bot.db.read() as s:
            return await Samlinger(s).upcoming(network.id, self.bot.clock.now(), limit)

    # -- the rhythm between meetings: scheduled jobs ------------------------------------------------
    async def _load(self, samling_id: int) -> Due | None:
        """What a job needs, read at once; None when the meeting (or its network) is gone."""
        async with self.bot.db.read() as s:
            samling = await s.get(Samling, samling_id)
            network = await Networks(s).get(samling.network_id) if samling else None
            if samling is None or network is None:
                return None
            repo = Samlinger(s)
            following = await repo.upcoming(network.id, max(self.bot.clock.now(), samling.starts_at), 1)
            return Due(samling, network, following[0] if following else None, await repo.trying_ideas(network.id))

    async def _post(self, due: Due, job: str, message: Any) -> None:
        channel = await self.bot.announce_channel(due.network)
        if channel is None:
            return
        await self.bot.outbox.deliver(f"{job}:{due.samling.id}", Destination.channel(channel), message)

    async def remind(self, payload: dict[str, Any], run: JobRun) -> None:
        """Before the meeting: bring a story of what you tried (never once it has begun)."""
        if (due := await self._load(int(payload["samling_id"]))) is None or due.samling.starts_at <= run.now:
            return
        t, tz = self.bot.translator_for(None, due.network), self.tz(due.network)
        await self._post(due, REMINDER_JOB, cards.reminder(t, due.samling, tz, due.trying, self.bot.clock.now()))

    async def after(self, payload: dict[str, Any], run: JobRun) -> None:
        """The day after: what did you take with you, and what will you try? Then plan the midway prompt.

        Late (the bot was away), the thanks name the meeting's weekday instead of "yesterday"; a week
        on they are left out, but the midway prompt is still planned.
        """
        if (due := await self._load(int(payload["samling_id"]))) is None:
            return
        t, tz = self.bot.translator_for(None, due.network), self.tz(due.network)
        days_since = (run.now.astimezone(tz).date() - due.samling.starts_at.astimezone(tz).date()).days
        if days_since < LATE_THANKS_DAYS:
            message = cards.after(t, due.samling, due.following, tz, days_since, run.now)
            await self._post(due, AFTER_JOB, message)
        if due.following is not None:
            start, end = due.samling.starts_at.astimezone(tz).date(), due.following.starts_at.astimezone(tz).date()
            if (end - start).days >= MIN_DAYS_FOR_MIDWAY:
                midway = morning_of(start + timedelta(days=(end - start).days // 2), tz)
                await self.bot.scheduler.schedule(
                    MIDWAY_JOB, midway, {"samling_id": due.samling.id}, key=f"{MIDWAY_JOB}:{due.samling.id}"
                )

    async def midway(self, payload: dict[str, Any], run: JobRun) -> None:
        """Halfway to the next meeting: how is it going with what you are trying?"""
        if (due := await self._load(int(payload["samling_id"]))) is None or due.following is None:
            return
        t, tz = self.bot.translator_for(None, due.network), self.tz(due.network)
        await self._post(due, MIDWAY_JOB, cards.midway(t, due.following, tz, due.trying, self.bot.clock.now()))

    # -- home ---------------------------------------------------------------------------------------
    async def calendar_events(
        self, member: Member, network: Network, since: datetime, t: Translator
    ) -> list[CalendarEvent]:
        """The network's meetings, for every member's calendar feed."""
        async with self.bot.db.read() as s:
            meetings = await Samlinger(s).since(network.id, since)
        return [cards.meeting_event(t, network, samling) for samling in meetings]

    async def home(self, member: Member, t: Any) -> list[Any]:
        async with self.bot.db.read() as s:
            network = await Networks(s).get(member.network_id)
            following = await Samlinger(s).upcoming(member.network_id, self.bot.clock.now(), 1) if network else []
        if network is None or not following:
            return []
        return cards.home(t, following[0], self.tz(network), self.bot.clock.now())
