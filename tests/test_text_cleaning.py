"""Text that breaks things: NUL and other control characters, ANSI escapes, bidi overrides and
invisible-only text are handled once, where an event enters the core, the same on SQLite and
PostgreSQL (which refuses NUL in text)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import select
from stored_text import stored_strings

from adapters.memory import Chat
from bot.text import clean_text, code_points, is_invisible
from storage.models.core import Member
from storage.models.ideas import PracticeIdea

NUL = "\x00"
SOMETHING_WENT_WRONG = "noe gikk galt"
REMOVED_NOTE = "Jeg fjernet"


@pytest.fixture
async def members(any_database_url: str) -> AsyncIterator[Chat]:
    chat = await Chat.start(any_database_url)
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    yield chat
    await chat.close()


def answered(replies: list) -> str:  # type: ignore[type-arg]
    text = "\n".join(r.text for r in replies)
    assert SOMETHING_WENT_WRONG not in text
    return text


# -- what cleaning does to a text ------------------------------------------------------------------


def test_nul_and_control_characters_are_dropped_but_newlines_and_tabs_kept() -> None:
    cleaned = clean_text("a\x00b\x07c\r\nd\te\x7ff\x85g\ud800h")
    assert cleaned.text == "abc\nd\tefgh"
    assert cleaned.removed == {"control"}


def test_ansi_escapes_are_removed_whole() -> None:
    cleaned = clean_text("\x1b[31;1mrød\x1b[0m og \x1b]8;;https://x.example\x07lenke\x1b]8;;\x07 \x9b2J")
    assert cleaned.text == "rød og lenke "
    assert cleaned.removed == {"ansi"}


def test_bidi_overrides_and_isolates_are_removed_but_marks_kept() -> None:
    cleaned = clean_text("fil\u202etxt.exe \u2066x\u2069 \u200fש")
    assert cleaned.text == "filtxt.exe x \u200fש"
    assert cleaned.removed == {"bidi"}


def test_ordinary_text_is_untouched() -> None:
    text = "Vennskapsbenk 👩‍🏫 i friminuttet — «trygg» ✓\n\tneste linje"
    assert clean_text(text).text == text and not clean_text(text).removed


def test_invisible_only_text_is_recognised() -> None:
    assert is_invisible("\u200b\u200d\u2060")
    assert is_invisible("\u3164 \u2800")
    assert not is_invisible("")  # nothing at all is not "invisible text": commands without arguments
    assert not is_invisible("   ")
    assert not is_invisible("a\u200b")
    assert code_points("\u200b \u2060") == "U+200B U+2060"
    assert code_points("\u200b" * 40).count("U+") == 30  # a long one is shortened when spelled out


# -- every command that used to fail on PostgreSQL ------------------------------------------------

COMMANDS = [
    ("lise", "/samskap bli-med Østby\x00 skole", "Østby skole"),
    ("ola", "/ide Vennskapsbenk\x00 i friminuttet", "Vennskapsbenk i friminuttet"),
    ("kari", "/samling ny 14.09 12:00 Rådhuset: trivsel\x00 i friminuttene", "trivsel i friminuttene"),
    ("kari", "/samsnakk notat Å spørre\x00 elevene først ga bedre samtaler", ""),
    ("kari", "/digest intro Hei\x00 alle! Her er ukas lesestoff.", ""),
    ("ola", "/ideer benk\x00", ""),
]


async def test_a_nul_byte_in_each_command_is_dropped_and_said(members: Chat) -> None:
    for who, line, shown in COMMANDS:
        replies = await members.say(who, line)
        text = answered(replies)
        assert shown in text, line
        assert REMOVED_NOTE in text, line
        assert NUL not in text
    assert not [t for t in await stored_strings(members) if NUL in t]


async def test_a_nul_byte_in_the_kritisk_venn_form_is_dropped(members: Chat) -> None:
    await members.say("lise", "/samskap bli-med Østby skole")
    await members.say("kari", "/kritiskvenn")
    replies = await members.submit("kari", {
        "kind": "practice", "practice": "Vi har innført\x00 trygghetsvandring i friminuttene.",
        "focus": "Hvordan får jeg\x00 de voksne med?", "friends": "2", "pace": "live", "venue": "thread", "names": "",
    })  # fmt: skip
    assert "Kritisk venn #1" in answered(replies)


async def test_a_display_name_with_control_characters_is_stored_clean(members: Chat) -> None:
    event = members.adapter.command_event("per", "/samskap bli-med Vestby skole")
    await members.bot.dispatch(replace(event, user=replace(event.user, display_name="p\x00er\u202e")), members.adapter)
    async with members.bot.db.read() as s:
        names = set((await s.execute(select(Member.display_name))).scalars())
    assert "per" in names


async def test_invisible_only_text_is_refused_and_given_back(members: Chat) -> None:
    replies = await members.say("ola", "/ide \u200b\u200b")
    text = answered(replies)
    assert "usynlige tegn" in text and "U+200B U+200B" in text
    async with members.bot.db.read() as s:
        assert (await s.execute(select(PracticeIdea))).first() is None


async def test_ansi_escapes_and_bidi_overrides_are_removed_and_said(members: Chat) -> None:
    replies = await members.say("ola", "/ide \x1b[31mRød\x1b[0m benk \u202eved ballbingen")
    text = answered(replies)
    assert "Rød benk ved ballbingen" in text
    assert "Jeg fjernet fargekoder fra terminalen og tegn som snur tekstretningen" in text
    async with members.bot.db.read() as s:
        assert list((await s.execute(select(PracticeIdea.text))).scalars()) == ["Rød benk ved ballbingen"]


async def test_a_passing_channel_message_is_cleaned_without_a_word(members: Chat) -> None:
    # The message itself stays on the platform as written; only samskap's copy is cleaned.
    replies = await members.say("ola", "Les dette:\x00 https://example.org/artikkel")
    assert replies == []
    assert await members.say("ola", "\u200b\u200b") == []


async def test_a_form_with_an_invisible_answer_is_refused_and_every_answer_given_back(members: Chat) -> None:
    await members.say("kari", "/kritiskvenn")
    replies = await members.submit("kari", {
        "kind": "practice", "practice": "Vi har innført trygghetsvandring i friminuttene.",
        "focus": "\u2060\u200b", "friends": "2", "pace": "live", "venue": "thread", "names": "",
    })  # fmt: skip
    text = answered(replies)
    assert "usynlige tegn" in text and "U+2060 U+200B" in text
    assert "Vi har innført trygghetsvandring i friminuttene." in text
