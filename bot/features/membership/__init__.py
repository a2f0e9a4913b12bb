"""Joining a network, help, personal settings, personal data, leaders and network set-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.membership.handlers import register
from bot.features.membership.service import MembershipService

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = MembershipService(bot)
    bot.services.add(service)
    register(bot, service)
