"""Nothing a member writes is cut, dropped or changed without a word: every text has a limit that
is said and the text given back; every shared link reaches the digest; times and numbers are read
as written, or the member is asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from adapters.memory import Chat
from bot.config import Config
from bot.limits import MAX_TEXT
from bot.numbers import leading_number, parse_id
from bot.times import format_when, parse_clock
from storage.models.digest import DigestShare
from storage.models.ideas import ExperienceReport
from storage.models.kritisk_venn import KvSession
from tests.support import dms_to

OSLO = ZoneInfo("Europe/Oslo")
FIRST_DIGEST = datetime(2026, 9, 14, 6, 0, tzinfo=UTC)  # the FakeClock's first Monday digest


async def count(chat: Chat, model: type) -> int:
    async with chat.bot.db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


# -- text limits --------------------------------------------------------------------------------
async def test_an_optional_report_field_over_its_limit_is_refused_and_given_back(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    await chat.click("ola", "Jeg prøver dette")
    await chat.say("ola", "/ide rapport 1")
    long_change = "Vi endret " + "mye " * 600  # 2,410 characters: over the field's 2,000
    replies = await chat.submit("ola", {"did": "Satte opp benken", "changed": long_change, "happened": ""})
    [reply] = replies
    assert "grensen er 2000" in reply.text and long_change.strip() in reply.text
    assert await count(chat, ExperienceReport) == 0


async def test_a_kritisk_venn_text_over_its_limit_invites_nobody(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/kritiskvenn")
    practice = "Klassemøter hver fredag. " * 400  # 10,000 characters
    replies = await chat.submit(
        "kari",
        {"kind": "practice", "practice": practice, "focus": "Hvordan?", "friends": "2", "venue": "thread"},
    )
    assert any("grensen er 3000" in r.text and "Klassemøter hver fredag." in r.text for r in replies)
    assert await count(chat, KvSession) == 0
    assert not dms_to(chat, "ola") + dms_to(chat, "per")


async def test_a_kritisk_venn_contribution_by_command_has_the_same_limit(network_chat: Chat) -> None:
    [reply] = await network_chat.say("ola", "/kritiskvenn bidra 1 " + "a" * 3001)
    assert "grensen er 3000" in reply.text and "a" * 3001 in reply.text


async def test_any_command_longer_than_the_core_limit_is_refused_with_the_text(network_chat: Chat) -> None:
    text = "Idé " + "x" * MAX_TEXT
    [reply] = await network_chat.say("ola", "/samsnakk nå " + text)
    assert f"grensen er {MAX_TEXT}" in reply.text and text in reply.text


async def test_a_form_answer_over_its_fields_limit_is_refused_by_the_core(network_chat: Chat) -> None:
    """Slack and Discord stop typing at a field's max_length; a forged or console answer is checked here."""
    chat = network_chat
    await chat.say("kari", "/kritiskvenn")
    names = "@ola " * 150  # the field takes 500 characters; 750 arrive
    values = {"kind": "practice", "practice": "Klassemøter", "focus": "Hvordan?", "friends": "2", "names": names}
    replies = await chat.submit("kari", values)
    assert any("grensen er 500" in r.text and "Klassemøter" in r.text for r in replies)
    assert await count(chat, KvSession) == 0


async def test_a_long_quick_call_topic_is_refused_not_cut(network_chat: Chat) -> None:
    topic = "Om å " + "snakke " * 40
    [reply] = await network_chat.say("ola", "/samsnakk nå " + topic)
    assert "grensen er 200" in reply.text and topic.strip() in reply.text


async def test_a_long_share_comment_is_refused_and_two_links_at_once_are_asked_about(network_chat: Chat) -> None:
    chat = network_chat
    comment = "Veldig god " * 60
    [reply] = await chat.say("ola", "/del https://www.udir.no/a " + comment)
    assert "grensen er 500" in reply.text and comment.strip() in reply.text
    [reply] = await chat.say("ola", "/del https://www.udir.no/a https://www.udir.no/b Begge gode")
    assert "én lenke om gangen" in reply.text and "https://www.udir.no/b" in reply.text
    assert await count(chat, DigestShare) == 0


# -- the digest keeps every link ----------------------------------------------------------------
async def test_every_shared_link_reaches_the_digest_even_past_the_sections_limit(database_url: str) -> None:
    chat = await Chat.start(database_url, config=Config(sections={"digest": {"fetch_timeout": 0.2}}))
    try:
        await chat.say("kari", "/samskap bli-med Nordby skole")
        await chat.say("ola", "/samskap bli-med Sørby skole")
        for n in range(1, 8):  # seven shares; the popular section shows five in full
            await chat.say("ola", f"/del https://skole.example/artikkel-{n} Nr {n}")
        chat.clock.set(FIRST_DIGEST + timedelta(minutes=1))
        await chat.tick()
        [digest] = [s for s in chat.adapter.in_conversation("general") if s.message.summary.startswith("Nettverksbrev")]
        for n in range(1, 8):
            assert f"https://skole.example/artikkel-{n}" in digest.text
        assert "Og 2 til:" in digest.text
    finally:
        await chat.close()


# -- times --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", "15:00"), ("kl. 3", "15:00"), ("tre", "15:00"), ("03:00", "03:00"), ("03", "03:00"), ("3:30", "15:30")],
)
def test_a_leading_zero_means_the_hour_as_written(text: str, expected: str) -> None:
    clock = parse_clock(text)
    assert clock is not None and clock.strftime("%H:%M") == expected


def test_a_time_in_another_year_shows_its_year() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert format_when(datetime(2028, 1, 14, 11, 0, tzinfo=UTC), OSLO, "nb", now) == "fre. 14. jan. 2028 kl. 12:00"
    assert format_when(datetime(2028, 1, 14, 11, 0, tzinfo=UTC), OSLO, "en", now) == "Fri 14 Jan 2028 12:00"
    assert format_when(datetime(2026, 12, 4, 14, 0, tzinfo=UTC), OSLO, "nb", now) == "fre. 4. des. kl. 15:00"


async def test_a_meeting_years_ahead_is_shown_with_its_year(network_chat: Chat) -> None:
    [reply] = await network_chat.say("kari", "/samling ny 14.01.2028 12:00 Rådhuset")
    assert "14. jan. 2028 kl. 12:00" in reply.text


async def test_an_impossible_digest_time_is_answered_not_ignored(network_chat: Chat) -> None:
    [reply] = await network_chat.say("kari", "/digest tid fredag 25:99")
    assert "klarte ikke å lese «fredag 25:99»" in reply.text
    [reply] = await network_chat.say("kari", "/digest tid")
    assert "Neste nettverksbrev" in reply.text


# -- numbers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("word", ["¹", "１２", "٣", "12¹", "9999999999", "-3", "1_000"])
def test_only_plain_digits_make_an_item_number(word: str) -> None:
    assert parse_id(word) is None
    assert leading_number(word + " tekst")[0] is None


@pytest.mark.parametrize("line", ["/ide prøv ¹", "/ide prøv １２", "/samsnakk jeg-kan ¹", "/samling fjern ²"])
async def test_unicode_digits_get_the_usual_question(network_chat: Chat, line: str) -> None:
    replies = await network_chat.say("kari", line)
    assert replies and all("noe gikk galt" not in r.text for r in replies)


async def test_a_samsnakk_plan_with_a_unicode_digit_is_not_a_crash(network_chat: Chat) -> None:
    replies = await network_chat.say("kari", "/samsnakk runde innstill hver ² uker mandag 09:00")
    assert replies and all("noe gikk galt" not in r.text for r in replies)


@pytest.mark.postgres
@pytest.mark.parametrize("line", ["/samsnakk jeg-kan 99999999999", "/samsnakk jeg-kan ¹"])
async def test_an_out_of_range_call_number_is_no_crash_on_postgres(postgres_url: str, line: str) -> None:
    chat = await Chat.start(postgres_url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby")
        await chat.say("ola", "/samskap bli-med Sørby")
        replies = await chat.say("ola", line)
        assert replies and all("noe gikk galt" not in r.text for r in replies)
    finally:
        await chat.close()
