"""Samsnakk's queries on SQLite and PostgreSQL: opt-in lookup, round history, conditional call updates."""

from __future__ import annotations

from datetime import timedelta

from adapters.memory import Chat
from storage.repositories.samsnakk import Calls, RoundJobs, Rounds


async def test_rounds_and_bookings_work_on_both_databases(any_database_url: str) -> None:
    chat = await Chat.start(any_database_url)
    try:
        for name, school in (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby"), ("lise", "Nordby")):
            await chat.say(name, f"/samskap bli-med {school}")
        async with chat.bot.db.session() as s:
            assert not await RoundJobs(s).anyone_opted_in(1)
        for name in ("kari", "ola", "per", "lise"):
            await chat.say(name, "/samsnakk på")
        async with chat.bot.db.session() as s:
            assert await RoundJobs(s).anyone_opted_in(1)
            assert len(await RoundJobs(s).pending_keys(1)) == 1

        await chat.say("kari", "/samsnakk runde kjør")
        await chat.say("kari", "/samsnakk runde kjør")
        async with chat.bot.db.session() as s:
            newest, older = await Rounds(s).recent(1, 2)
            recent = {tuple(sorted(p)) for p in await Rounds(s).recent_pairs(1, 6)}
            assert await Rounds(s).stats(older.id) == await Rounds(s).stats(newest.id) == (4, 0, 0)
        assert len(recent) == 4, "the second round repeats no pair from the first"

        await chat.say("kari", "/samsnakk @ola i morgen 14")
        await chat.click("ola", "Godta")
        async with chat.bot.db.session() as s:
            assert not await Calls(s).transition(1, ("proposed",), status="confirmed")
            busy = await Calls(s).busy([2], chat.clock.now() + timedelta(days=1))
            assert [c.status for c in busy] == ["confirmed"]

        await chat.say("per", "/samsnakk nå")
        await chat.say("lise", "/samsnakk jeg-kan")
        await chat.say("ola", "/samskap slett-meg bekreft")
        await chat.advance(timedelta(days=2))
        told = [s for s in chat.adapter.to_user("kari") if "er avlyst" in s.text]
        notes = [s for s in chat.adapter.to_user("lise") if "Hvordan var praten med per?" in s.text]
        assert len(told) == 1 and len(notes) == 1
    finally:
        await chat.close()
