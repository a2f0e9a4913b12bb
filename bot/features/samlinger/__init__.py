"""Samlinger: the network's meetings, and the rhythm of prompts between them.

Network leaders put the year's meetings in the calendar (`/samling ny 14.01 12:00 Rådhuset:
trivsel`); everyone sees them with `/samling`. Before each meeting the network's channel is
reminded to bring a story of what they tried (network setting `samling_varsel`, days before);
the day after, it is asked what people took with them and will try in their own way; halfway to
the next meeting, how it is going. The circle of inspiration, trial and report keeps the meetings'
rhythm.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.features.samlinger.handlers import register
from bot.features.samlinger.service import AFTER_JOB, MIDWAY_JOB, REMINDER_JOB, REMINDER_SETTING, SamlingService
from bot.i18n import N_
from bot.scheduler import Late
from bot.settings import SettingSpec, parse_int

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = SamlingService(bot)
    bot.services.add(service)
    bot.settings.declare_network(
        SettingSpec(
            REMINDER_SETTING,
            2,
            parse_int(0, 14),
            N_("Days before a network meeting I remind the channel (0: no reminder)"),
            on_change=service.rearm_reminders,
        )
    )
    # The reminder names the meeting's date, so it is right however late, until the meeting begins.
    bot.scheduler.handler(REMINDER_JOB, grace=timedelta(days=1), late=Late.RUN)(service.remind)
    # "Thank you for yesterday's meeting" becomes "… for the meeting on Tuesday", or is left out.
    bot.scheduler.handler(AFTER_JOB, grace=timedelta(hours=12), late=Late.REWORD)(service.after)
    # "Halfway to the next meeting" is not true days later.
    bot.scheduler.handler(MIDWAY_JOB, grace=timedelta(days=2), late=Late.SKIP)(service.midway)
    register(bot, service)
    bot.home_providers.append(service.home)
    bot.services.calendar_sources.append(service)
