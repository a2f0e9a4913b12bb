"""An unexpected error: the member gets an apology with a reference and their text back, and the
log gets the reference and never the text ("Nothing you wrote is lost" is a promise)."""

from __future__ import annotations

import logging

import pytest

from adapters.memory import Chat
from bot.context import Context
from bot.messages import Form, FormField

SECRET_TEXT = "Vi prøvde stasjonsarbeid i fire grupper"


def failing_handlers(chat: Chat) -> None:
    router = chat.bot.router

    @router.command("feiler", access="anyone")
    async def command(ctx: Context) -> None:
        raise RuntimeError("a bug")

    @router.command("feilskjema", access="anyone")
    async def open_form(ctx: Context) -> None:
        await ctx.open_form(Form("test.fails", "Skjema", (FormField("what", "Hva"), FormField("how", "Hvordan"))))

    @router.form("test.fails", access="anyone")
    async def form(ctx: Context) -> None:
        raise RuntimeError("a bug")

    @router.on_message()
    async def message(ctx: Context) -> None:
        if ctx.event.conversation.is_direct:
            raise RuntimeError("a bug")


def assert_logged_without_text(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the error is logged"
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert SECRET_TEXT not in logged and "stegvis" not in logged


async def test_an_error_in_a_command_gives_the_arguments_back(chat: Chat, caplog: pytest.LogCaptureFixture) -> None:
    failing_handlers(chat)
    replies = await chat.say("kari", f"/feiler {SECRET_TEXT}")
    assert "Ingenting du skrev er tapt" in replies[0].text
    assert f"Teksten din, så du har den:\n{SECRET_TEXT}" in replies[0].text
    assert_logged_without_text(caplog)


async def test_a_short_command_is_given_back_too(chat: Chat) -> None:
    failing_handlers(chat)
    replies = await chat.say("kari", "/feiler ja")
    assert "Teksten din, så du har den:\nja" in replies[0].text


async def test_an_error_in_a_form_gives_every_answer_back(chat: Chat, caplog: pytest.LogCaptureFixture) -> None:
    failing_handlers(chat)
    await chat.say("kari", "/feilskjema")
    replies = await chat.submit("kari", {"what": SECRET_TEXT, "how": "stegvis"})
    assert f"{SECRET_TEXT}\nstegvis" in replies[0].text
    assert_logged_without_text(caplog)


async def test_an_error_on_a_message_gives_the_message_back(chat: Chat, caplog: pytest.LogCaptureFixture) -> None:
    failing_handlers(chat)
    replies = await chat.say("kari", SECRET_TEXT, chat.adapter.dm_conversation("kari"))
    assert SECRET_TEXT in replies[0].text and "referansen" in replies[0].text
    assert_logged_without_text(caplog)
