"""Practice ideas: post an idea, others try it, the bot asks how it went, reports flow back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.ideas.handlers import register
from bot.features.ideas.service import IdeasService

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = IdeasService(bot)
    bot.services.add(service)
    bot.data_exporters["ideas"] = service.export
    bot.home_providers.append(service.home)
    register(bot, service)
