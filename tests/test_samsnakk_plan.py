"""The next round follows every change that decides it, whichever way it is made: the plan through
`/samskap leder innstilling` or `/samsnakk runde innstill`, the opt-in through the general settings.

The fake clock starts on Monday 7 September 2026 at 08:00 UTC (10:00 in Oslo); the default plan is
every other Monday at 09:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.memory import Chat
from bot.features.samsnakk import rounds
from bot.features.samsnakk.pairing import PairingResult, pair_members
from storage.models.runtime import ScheduledJob


async def next_round_jobs(chat: Chat) -> list[datetime]:
    """When the pending jobs that start the next round run."""
    async with chat.bot.db.read() as s:
        found = await s.scalars(
            select(ScheduledJob.run_at).where(ScheduledJob.kind == "samsnakk.round", ScheduledJob.status == "pending")
        )
        return sorted(found.all())


async def test_each_way_of_changing_the_round_plan_moves_the_next_round(network_chat: Chat) -> None:
    chat = network_chat
    for name in ("kari", "ola"):
        await chat.say(name, "/samsnakk på")
    assert await next_round_jobs(chat) == [datetime(2026, 9, 14, 7, 0, tzinfo=UTC)]

    await chat.say("kari", "/samskap leder innstilling samsnakk_dag onsdag")
    assert await next_round_jobs(chat) == [datetime(2026, 9, 9, 7, 0, tzinfo=UTC)]
    await chat.say("kari", "/samskap leder innstilling samsnakk_kl 13:00")
    assert await next_round_jobs(chat) == [datetime(2026, 9, 9, 11, 0, tzinfo=UTC)]
    await chat.say("kari", "/samsnakk runde innstill fredag 14:00")
    assert await next_round_jobs(chat) == [datetime(2026, 9, 11, 12, 0, tzinfo=UTC)]
    await chat.say("kari", "/samskap leder innstilling samsnakk_uker 0")
    assert await next_round_jobs(chat) == []
    await chat.say("kari", "/samsnakk runde innstill hver 1 uke")
    assert await next_round_jobs(chat) == [datetime(2026, 9, 11, 12, 0, tzinfo=UTC)]


async def test_the_leaders_round_command_alone_moves_the_next_round(network_chat: Chat) -> None:
    chat = network_chat
    for name in ("kari", "ola"):
        await chat.say(name, "/samsnakk på")
    await chat.say("kari", "/samsnakk runde innstill fredag 14:00")
    assert await next_round_jobs(chat) == [datetime(2026, 9, 11, 12, 0, tzinfo=UTC)]


async def test_opting_in_through_the_general_settings_arms_the_next_round(network_chat: Chat) -> None:
    chat = network_chat
    assert await next_round_jobs(chat) == [], "no jobs while nobody takes part"
    await chat.say("ola", "/samskap innstillinger samsnakk på")
    assert await next_round_jobs(chat) == [datetime(2026, 9, 14, 7, 0, tzinfo=UTC)]
    await chat.say("ola", "/samskap innstillinger samsnakk av")
    assert await next_round_jobs(chat) == []


async def test_a_planned_round_pairs_its_members_once(network_chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pairing a county's network takes about a second: the check that two take part reuses it."""
    chat = network_chat
    for name in ("kari", "ola"):
        await chat.say(name, "/samsnakk på")
    pairings: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> PairingResult:
        pairings.append(1)
        return pair_members(*args, **kwargs)

    monkeypatch.setattr(rounds, "pair_members", counted)
    await chat.advance(timedelta(days=7))  # past Monday 14 September, 09:00
    assert len(chat.adapter.groups) == 1
    assert len(pairings) == 1
