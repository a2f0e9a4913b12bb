"""Samsnakk to-og-to: pairing rounds across schools, and quick calls booked with a slash command.

At the network meetings members valued talking two and two, and asked for a place to say
"kan vi møtes kl. tre?". Rounds pair opted-in members across schools; `/samsnakk @person [tid]`
and `/samsnakk nå` book a short video call.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.features.samsnakk import handlers
from bot.features.samsnakk.call_calendar import CallCalendar
from bot.features.samsnakk.call_jobs import AFTER_JOB, EXPIRE_JOB, PARTNER_LEFT_JOB, REMIND_JOB, REMINDER_BEFORE
from bot.features.samsnakk.common import declare_settings
from bot.features.samsnakk.rounds import ROUND_GRACE
from bot.features.samsnakk.service import Samsnakk, export
from bot.scheduler import Late

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    samsnakk = Samsnakk.of(bot)
    rounds, call_jobs = samsnakk.rounds, samsnakk.call_jobs
    bot.services.add(samsnakk)
    # The plan's weeks, weekday and hour, and who opts in, decide the next round: each change re-arms it.
    declare_settings(bot, plan_changed=rounds.ensure_scheduled)
    # Each network's next round, armed once per process (and again when its time zone changes).
    bot.network_hooks.append(rounds.ensure_scheduled)
    jobs = bot.scheduler.handler
    # A round starts on its planned day: one that missed it by more than a day is skipped, and the
    # plan goes on with its next round (see RoundService.next_start).
    jobs("samsnakk.round", grace=ROUND_GRACE, late=Late.SKIP, on_skip=rounds.round_skipped)(rounds.round_job)
    # Opening the groups of a round a leader started: the round exists, so it is carried through.
    jobs("samsnakk.round_retry", grace=timedelta(minutes=5), late=Late.RUN)(rounds.round_job)
    # "Halfway through the round" is not true days later, nor after the round has ended.
    jobs("samsnakk.checkin", grace=timedelta(days=2), late=Late.SKIP)(rounds.checkin_job)
    jobs("samsnakk.end", grace=timedelta(days=1), late=Late.RUN)(rounds.end_job)
    jobs(EXPIRE_JOB, grace=timedelta(minutes=5), late=Late.RUN)(call_jobs.expire)
    # "In 10 minutes" counts the real minutes left, and is never sent once the call has begun.
    jobs(REMIND_JOB, grace=REMINDER_BEFORE, late=Late.SKIP)(call_jobs.remind)
    jobs(AFTER_JOB, grace=timedelta(days=1), late=Late.RUN)(call_jobs.after)
    # Why the other person never came is worth knowing even after the call's time.
    jobs(PARTNER_LEFT_JOB, grace=timedelta(hours=1), late=Late.RUN)(call_jobs.partner_left)
    handlers.register(bot, samsnakk)
    bot.home_providers.append(samsnakk.calls.home)
    bot.services.calendar_sources.append(CallCalendar(bot, samsnakk.calls))
    bot.data_exporters["samsnakk"] = export
    # Rows that name the member cascade away with them (calls, groups, "don't pair me with");
    # this only tells the people they had a call with.
    bot.data_erasers.append(call_jobs.erase_member)
