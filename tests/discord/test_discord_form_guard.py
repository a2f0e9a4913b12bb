"""A Discord form in several steps keeps its earlier steps in the database between modals: they
pass the core's text cleaning and student-data guard before they are stored. Real discord.py
against the fake Discord, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from discord_harness import Harness, buttons_of, text_of, user_id
from fake_discord import FakeDiscord

from bot.clock import FakeClock
from bot.context import Context
from bot.messages import Form, FormField
from storage.repositories.discord import Stash

STUDENT_NUMBER = "010100\u00a012356"  # a valid (synthetic) fødselsnummer, with a non-breaking space


@pytest.fixture
async def bot_on(fake: FakeDiscord, any_database_url: str, restore_discord_urls: None) -> AsyncIterator[Harness]:
    harness = await Harness(fake, any_database_url, FakeClock()).start()
    yield harness
    await harness.close()


def register_two_step_form(harness: Harness, received: list[dict[str, str]]) -> None:
    router = harness.bot.router

    @router.command("toskjema", access="anyone")
    async def open_form(ctx: Context) -> None:
        fields = tuple(FormField(f"f{i}", f"Spørsmål {i}") for i in range(1, 7))
        await ctx.open_form(Form("test.two", "Refleksjon", fields))

    @router.form("test.two", access="anyone")
    async def submitted(ctx: Context) -> None:
        received.append(ctx.event.values)  # type: ignore[attr-defined]
        await ctx.reply("Takk!")


async def stored_values(harness: Harness) -> list[dict[str, Any]]:
    async with harness.bot.db.session() as s:
        return [row.data["values"] for row in await Stash(s).forms_of(user_id("kari"))]


def texts(answers: list[dict[str, Any]]) -> str:
    return "\n".join(text_of(a) for a in answers)


async def test_an_identity_number_in_an_early_step_is_refused_before_it_is_stored(bot_on: Harness) -> None:
    register_two_step_form(bot_on, [])
    modal = (await bot_on.slash("kari", "toskjema"))[0]["data"]
    step_one = {"f1": "Vi prøvde stasjoner", "f2": f"Eleven {STUDENT_NUMBER} trenger mer tid", "f3": "", "f4": "",
                "f5": ""}  # fmt: skip
    answers = await bot_on.submit("kari", modal["custom_id"], step_one)

    assert "fødselsnummer" in texts(answers)
    assert "Vi prøvde stasjoner" in texts(answers) and "12356" not in texts(answers)
    assert not any(buttons_of(a) for a in answers)  # no "continue": the step was not kept
    assert await stored_values(bot_on) == [{}]  # the form is open, nothing written is stored


async def test_control_characters_in_an_early_step_are_cleaned_before_they_are_stored(bot_on: Harness) -> None:
    received: list[dict[str, str]] = []
    register_two_step_form(bot_on, received)
    modal = (await bot_on.slash("kari", "toskjema"))[0]["data"]
    step_one = {"f1": "stasjoner\x00", "f2": "\u202egrupper", "f3": "", "f4": "", "f5": "fem"}
    answers = await bot_on.submit("kari", modal["custom_id"], step_one)
    assert "Jeg fjernet kontrolltegn og tegn som snur tekstretningen" in texts(answers)
    assert await stored_values(bot_on) == [{"f1": "stasjoner", "f2": "grupper", "f3": "", "f4": "", "f5": "fem"}]

    next_button = next(iter(buttons_of(answers[-1]).values()))
    second = (await bot_on.click("kari", next_button))[0]["data"]
    done = await bot_on.submit("kari", second["custom_id"], {"f6": "seks"})
    assert "Takk!" in texts(done)
    assert received == [{"f1": "stasjoner", "f2": "grupper", "f3": "", "f4": "", "f5": "fem", "f6": "seks"}]


async def test_an_error_before_the_core_answers_gives_the_modal_text_back(
    bot_on: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_two_step_form(bot_on, [])
    modal = (await bot_on.slash("kari", "toskjema"))[0]["data"]

    async def storage_fails(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bot_on.adapter.store, "save_form", storage_fails)
    step_one = {"f1": "Vi prøvde stasjoner", "f2": "i fire grupper", "f3": "", "f4": "", "f5": ""}
    answers = await bot_on.submit("kari", modal["custom_id"], step_one)
    assert "Ingenting du skrev er tapt" in texts(answers)
    assert "Teksten din, så du har den:\nVi prøvde stasjoner\ni fire grupper" in texts(answers)
