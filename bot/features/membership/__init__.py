"""Joining a network, help, personal settings, personal data, leaders and network set-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.membership.handlers import WELCOME_SETTING, register
from bot.features.membership.service import MembershipService
from bot.i18n import N_
from bot.settings import SettingSpec, parse_text

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = MembershipService(bot)
    bot.services.add(service)
    bot.settings.declare_network(SettingSpec(WELCOME_SETTING, "", parse_text(500), N_("Extra words in the welcome")))
    register(bot, service)
