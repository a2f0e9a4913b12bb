"""Samsnakk to-og-to: pairing rounds across schools, and quick calls booked with a slash command.

At the network meetings members valued talking two and two, and asked for a place to say
"kan vi møtes kl. tre?". Rounds pair opted-in members across schools; `/samsnakk @person [tid]`
and `/samsnakk nå` book a short video call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Context
from bot.events import CommandEvent
from bot.features.samsnakk.call_calendar import CallCalendar
from bot.features.samsnakk.calls import REMINDER_BEFORE, CallService
from bot.features.samsnakk.common import declare_settings, member_tz
from bot.features.samsnakk.handlers import register
from bot.features.samsnakk.rounds import ROUND_GRACE, RoundService
from bot.i18n import Translator
from bot.messages import Part, Section
from bot.scheduler import Late
from bot.times import format_when
from storage.models.core import Member
from storage.repositories.core import Networks
from storage.repositories.samsnakk import Avoids, Calls, Rounds

if TYPE_CHECKING:
    from bot.core import Bot, Middleware, Next

log = logging.getLogger(__name__)


@dataclass
class Samsnakk:
    """The feature's service, for features that build on it (`bot.services.get(Samsnakk)`)."""

    rounds: RoundService
    calls: CallService


def setup(bot: Bot) -> None:
    rounds, calls = RoundService(bot), CallService(bot)
    bot.services.add(Samsnakk(rounds, calls))
    bot.services.calendar_sources.append(CallCalendar(bot))
    declare_settings(bot)
    register(bot, rounds, calls)
    jobs = bot.scheduler.handler
    # A round starts on its planned day: one that missed it by more than a day is skipped, and the
    # plan goes on with its next round (see RoundService.next_start).
    jobs("samsnakk.round", grace=ROUND_GRACE, late=Late.SKIP, on_skip=rounds.round_skipped)(rounds.round_job)
    # Opening the groups of a round a leader started: the round exists, so it is carried through.
    jobs("samsnakk.round_retry", grace=timedelta(minutes=5), late=Late.RUN)(rounds.round_job)
    # "Halfway through the round" is not true days later, nor after the round has ended.
    jobs("samsnakk.checkin", grace=timedelta(days=2), late=Late.SKIP)(rounds.checkin_job)
    jobs("samsnakk.end", grace=timedelta(days=1), late=Late.RUN)(rounds.end_job)
    jobs("samsnakk.expire", grace=timedelta(minutes=5), late=Late.RUN)(calls.expire_job)
    # "In 10 minutes" counts the real minutes left, and is never sent once the call has begun.
    jobs("samsnakk.remind", grace=REMINDER_BEFORE, late=Late.SKIP)(calls.reminder_job)
    jobs("samsnakk.after", grace=timedelta(days=1), late=Late.RUN)(calls.after_job)
    # Why the other person never came is worth knowing even after the call's time.
    jobs("samsnakk.partner_left", grace=timedelta(hours=1), late=Late.RUN)(calls.partner_left_job)
    bot.data_exporters["samsnakk"] = export
    # Rows that name the member cascade away with them (calls, groups, "don't pair me with");
    # this only tells the people they had a call with.
    bot.data_erasers.append(calls.erase_member)

    async def home(member: Member, t: Translator) -> list[Part]:
        views = await calls.my_calls(member)
        if not views:
            return []
        async with bot.db.session() as s:
            network = await Networks(s).get(member.network_id)
        if network is None:
            return []
        tz = member_tz(bot, member, network)
        fields = []
        for view in views:
            other = view.other(member.id)
            fields.append(
                (
                    format_when(view.call.starts_at, tz, t.language),
                    t.t("Samsnakk with {name}", name=other.display_name if other else "…"),
                )
            )
        return [Section(t.t("Your samsnakk calls"), tuple(fields))]

    bot.home_providers.append(home)
    bot.middleware.append(_round_arming(bot, rounds))


def _round_arming(bot: Bot, rounds: RoundService) -> Middleware:
    """Arm each network's next round the first time this process sees it, and again whenever a
    samsnakk setting may have changed through the general settings commands."""
    seen: set[int] = set()

    async def arm(ctx: Context, nxt: Next) -> None:
        await nxt()
        network = ctx.network
        if network is None:
            return
        touched = isinstance(ctx.event, CommandEvent) and "samsnakk" in ctx.event.args.lower()
        if network.id in seen and not touched:
            return
        seen.add(network.id)
        try:
            await rounds.ensure_scheduled(network)
        except Exception:  # arming must never spoil the user's answer; the next event tries again
            seen.discard(network.id)
            log.exception("samsnakk: could not arm the next round for network %s", network.id)

    return arm


async def export(session: AsyncSession, member: Member) -> dict[str, Any]:
    """What samsnakk keeps about a member: their calls, round groups and "don't pair me with" list."""
    calls = await Calls(session).all_of_member(member.id)
    return {
        "calls": [
            {
                "id": c.id,
                "with_member_id": c.partner_id if c.requester_id == member.id else c.requester_id,
                "starts_at": c.starts_at.isoformat(),
                "minutes": c.minutes,
                "status": c.status,
                "topic": c.topic if c.requester_id == member.id else "",
            }
            for c in calls
        ],
        "rounds": [
            {"round": number, "talk": status, "note_shared": noted}
            for number, status, noted in await Rounds(session).groups_of_member(member.id)
        ],
        "not_paired_with_member_ids": await Avoids(session).of_member(member.id),
    }
