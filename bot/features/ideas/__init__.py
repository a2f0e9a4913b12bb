"""Practice ideas: post an idea, others try it, the bot asks how it went, reports flow back."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.features.ideas.handlers import register
from bot.features.ideas.service import FOLLOW_UP_JOB, FOLLOW_UP_SETTING, IdeasService
from bot.i18n import N_
from bot.scheduler import Late
from bot.settings import SettingSpec, parse_int

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = IdeasService(bot)
    bot.services.add(service)
    bot.settings.declare_network(
        SettingSpec(
            FOLLOW_UP_SETTING,
            bot.config.follow_up_days,
            parse_int(1, 120),
            N_("Days before I ask someone who tries an idea how it went"),
        )
    )
    # "How did it go?" is still worth asking however late it comes.
    bot.scheduler.handler(FOLLOW_UP_JOB, grace=timedelta(days=1), late=Late.RUN)(service.send_follow_up)
    bot.data_exporters["ideas"] = service.export
    bot.home_providers.append(service.home)
    register(bot, service)
