"""Two bookings of the same person at the same moment: only one may succeed."""

import asyncio

import pytest
from sqlalchemy import func, select

from adapters.memory import Chat, MemoryAdapter
from bot.app import build_bot
from storage.models.samsnakk import SamsnakkCall
from storage.repositories.samsnakk import Calls


@pytest.mark.postgres
async def test_two_workers_proposing_at_once_book_the_partner_once(postgres_url: str, monkeypatch) -> None:
    # Widen the window between "is per free?" and "book per", where a race would strike.
    original_busy = Calls.busy

    async def slow_busy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = await original_busy(self, *args, **kwargs)
        await asyncio.sleep(0.2)
        return found

    monkeypatch.setattr(Calls, "busy", slow_busy)
    first = await Chat.start(postgres_url)
    second_bot = await build_bot(first.bot.config, clock=first.clock, adapters=[MemoryAdapter()], migrate=False)
    second = Chat(second_bot, second_bot.adapters["memory"], first.clock)
    try:
        for name, school in (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby")):
            await first.say(name, f"/samskap bli-med {school}")
        await asyncio.gather(
            first.say("kari", "/samsnakk @per i morgen 14"),
            second.say("ola", "/samsnakk @per i morgen 14"),
        )
        async with first.bot.db.session() as s:
            booked = await s.scalar(select(func.count()).select_from(SamsnakkCall))
        assert booked == 1
        answers = [s.text for s in first.adapter.sent + second.adapter.sent]
        assert any("Jeg har spurt per" in text for text in answers)
    finally:
        await first.close()
        await second.close()


async def test_two_members_booking_the_same_person_at_once_in_one_process(network_chat: Chat, monkeypatch) -> None:
    original_busy = Calls.busy

    async def slow_busy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = await original_busy(self, *args, **kwargs)
        await asyncio.sleep(0.1)
        return found

    monkeypatch.setattr(Calls, "busy", slow_busy)
    chat = network_chat
    await asyncio.gather(chat.say("kari", "/samsnakk @per i morgen 14"), chat.say("ola", "/samsnakk @per i morgen 14"))
    async with chat.bot.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(SamsnakkCall)) == 1
