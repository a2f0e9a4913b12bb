"""What each flow promises, kept in each language: the follow-up, the presenter's start message, the call
reminder, the weekly digest, the meeting reminder and the day-after question — each arrives, on time, in the
network's language and in the words the bot uses for it there."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from adapters.memory import Chat
from bot.i18n import translator
from tests.support import channel_posts, texts

LANGUAGES = ("nb", "nn", "en")


def prefix(language: str, msgid: str, **kwargs: str) -> str:
    """The words a message starts with in `language`, up to its first placeholder."""
    marked = {key: "\x00" for key in kwargs}
    return translator(language).t(msgid, **marked).split("\x00")[0]


def texts_to(chat: Chat, name: str, since: int) -> list[str]:
    return [s.text for s in chat.sent[since:] if s.destination.user is not None and s.destination.user.id == name]


@pytest.fixture(params=LANGUAGES)
async def network(network_chat: Chat, request: pytest.FixtureRequest) -> tuple[Chat, str]:
    await network_chat.say("kari", f"/samskap leder innstilling språk {request.param}")
    return network_chat, request.param


async def test_the_follow_up_comes_when_promised(network: tuple[Chat, str]) -> None:
    chat, language = network
    await chat.say("kari", "/ide Benk i friminuttet")
    await chat.click("ola", "ideas.adopt")
    start = len(chat.sent)
    await chat.advance(timedelta(days=13))
    assert not any(translator(language).t("How did it go?") in t for t in texts_to(chat, "ola", start))
    await chat.advance(timedelta(days=1, hours=1))
    assert any(translator(language).t("How did it go?") in t for t in texts_to(chat, "ola", start))


async def test_the_presenter_is_told_when_her_round_starts(network: tuple[Chat, str]) -> None:
    chat, language = network
    await chat.say("kari", "/kritiskvenn")
    await chat.submit("kari", {"kind": "practice", "practice": "Klassemøter", "focus": "Hvordan?", "friends": "2",
                               "pace": "days", "venue": "thread", "names": "@ola @per"})  # fmt: skip
    start = len(chat.sent)
    for who in ("ola", "per"):
        await chat.click(who, "kritisk_venn.accept")
    started = prefix(language, "Your kritisk venn round #{id} has started with {names}, {where}.", id="", names="",
                     where="")  # fmt: skip
    assert any(t.startswith(started) or started in t for t in texts_to(chat, "kari", start))


async def test_the_call_reminder_comes_ten_minutes_before(network: tuple[Chat, str]) -> None:
    chat, language = network
    await chat.say("ola", "/samsnakk @kari i morgen 15:00")
    await chat.click("kari", "samsnakk.accept")
    start = len(chat.sent)
    words = translator(language).tn("In {n} minute: samsnakk with {name} ({when}).",
                                    "In {n} minutes: samsnakk with {name} ({when}).", 9,
                                    name="\x00", when="\x00").split("\x00")[0]  # fmt: skip
    reminder = re.compile(re.escape(words).replace("9", r"\d+"))
    await chat.advance(timedelta(hours=12))
    assert not any(reminder.search(t) for t in texts_to(chat, "ola", start))
    now = chat.clock.now()
    # The FakeClock starts Monday 7 September 2026, 10:00 in Oslo: the call is Tuesday 15:00 (13:00 UTC).
    call = now.replace(day=8, hour=13, minute=0, second=0, microsecond=0)
    await chat.advance(call - now - timedelta(minutes=9))
    assert any(reminder.search(t) for t in texts_to(chat, "ola", start) + texts_to(chat, "kari", start))


async def test_the_weekly_digest_carries_what_was_shared(network: tuple[Chat, str]) -> None:
    chat, language = network
    await chat.say("ola", "/del https://skole.example/relasjoner Verdt å lese")
    start = len(chat.sent)
    await chat.advance(timedelta(days=7))
    heading = prefix(language, "Digest for {network}, week {week}", network="", week="")
    digests = texts(channel_posts(chat.sent[start:]), heading)
    assert digests and "https://skole.example/relasjoner" in digests[-1]


async def test_the_meeting_reminder_and_the_day_after_question(network: tuple[Chat, str]) -> None:
    chat, language = network
    await chat.say("kari", "/samling ny om 3 uker 12:00 Rådhuset")
    start = len(chat.sent)
    await chat.advance(timedelta(days=20))  # two days before, in the morning
    reminder = prefix(language, "Network meeting {when}", when="")
    assert texts(channel_posts(chat.sent[start:]), reminder)
    await chat.advance(timedelta(days=2))  # the morning after the meeting
    thanks = translator(language).t("Thank you for yesterday's meeting! What did you take with you?")
    assert texts(channel_posts(chat.sent[start:]), thanks)
