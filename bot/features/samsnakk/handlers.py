"""Thin chat handlers for /samsnakk: every button has a command beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.samsnakk.call_handlers import register_calls
from bot.features.samsnakk.calls import CallService
from bot.features.samsnakk.round_handlers import register_rounds
from bot.features.samsnakk.rounds import RoundService

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def register(bot: CoreApi, rounds: RoundService, calls: CallService) -> None:
    register_calls(bot, rounds, calls)
    register_rounds(bot, rounds, calls)
