"""Oversikt: the leaders' view of the learning circle turning over the term.

`/samskap leder oversikt` gives a network leader a personal link (15 minutes to open) to a
read-only web page that samskap serves on its HTTP port (adapters/web): ideas shared, tried and
reported, kritisk venn and samsnakk rounds, digests sent, participation by school and week, and
the coming meetings. Counts by school and network only; small schools show no figures of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.oversikt.service import OverviewService

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    overview = OverviewService(bot)
    bot.services.add(overview)
    bot.services.leaders_overview = overview
