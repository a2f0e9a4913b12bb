"""Samlinger: the network's meetings, and the rhythm of prompts between them.

Network leaders put the year's meetings in the calendar (`/samling ny 14.01 12:00 Rådhuset:
trivsel`); everyone sees them with `/samling`. Before each meeting the network's channel is
reminded to bring a story of what they tried (network setting `samling_varsel`, days before);
the day after, it is asked what people took with them and will try in their own way; halfway to
the next meeting, how it is going. The circle of inspiration, trial and report keeps the meetings'
rhythm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.samlinger.handlers import register
from bot.features.samlinger.service import SamlingService

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = SamlingService(bot)
    bot.services.add(service)
    register(bot, service)
    bot.home_providers.append(service.home)
