"""What the core guarantees features: a member-only handler always has its member and network, each
network is prepared once before its first event, and messages change through the core."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory import Chat
from bot.adapter import DeliveryError, SentMessage
from bot.context import Context, MemberContext
from bot.events import Conversation
from bot.features.ideas.service import IdeasService
from bot.messages import Message
from bot.router import Router
from storage.models.core import Network


async def test_a_member_only_handler_gets_the_member_and_the_network(chat: Chat) -> None:
    seen: list[tuple[str, str]] = []

    @chat.bot.router.command("hvem")
    async def who(ctx: MemberContext) -> None:
        seen.append((type(ctx).__name__, ctx.member.school))

    await chat.say("kari", "/hvem")  # not a member yet: refused before the handler
    assert seen == []
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("kari", "/hvem")
    assert seen == [("MemberContext", "Nordby skole")]


def test_a_handler_that_needs_a_member_cannot_be_open_to_anyone() -> None:
    router = Router()

    async def anyone(ctx: MemberContext) -> None: ...

    with pytest.raises(ValueError, match="MemberContext"):
        router.command("x", access="anyone")(anyone)

    async def fine(ctx: Context) -> None: ...

    router.command("y", access="anyone")(fine)


async def test_each_network_is_prepared_once_and_again_after_a_failure(chat: Chat) -> None:
    runs: list[int] = []
    failures = [True]

    async def plan(network: Network) -> None:
        runs.append(network.id)
        await asyncio.sleep(0.01)  # the first events of a network arrive while it is being prepared
        if failures.pop() if failures else False:
            raise RuntimeError("the database went away for a moment")

    chat.bot.network_hooks.append(plan)
    await chat.say("kari", "/samskap")
    assert len(runs) == 1  # it failed: the next event tries again
    await asyncio.gather(*(chat.say(name, "/samskap") for name in ("ola", "per", "kari")))
    assert len(runs) == 2
    await chat.say("ola", "/samskap")
    assert len(runs) == 2


async def test_a_message_on_a_platform_this_worker_does_not_run_cannot_change(chat: Chat) -> None:
    sent = SentMessage(Conversation("teams", "T1", "C1"), "m1")
    with pytest.raises(DeliveryError) as refused:
        await chat.bot.update(sent, Message.text("ny tekst"))
    assert refused.value.code == "no_adapter" and not refused.value.retryable


async def test_services_are_found_by_class(chat: Chat) -> None:
    assert isinstance(chat.bot.services.get(IdeasService), IdeasService)
    assert chat.bot.services.find(int) is None
    with pytest.raises(LookupError, match="int"):
        chat.bot.services.get(int)
    assert chat.bot.services.mailing_list is not None and chat.bot.services.leaders_overview is not None


async def test_a_command_without_its_number_is_answered_in_the_readers_words(chat: Chat) -> None:
    @chat.bot.router.command("prov", sub=("vis", "show"), access="anyone", usage="<number>")
    async def show(ctx: Context) -> None:
        number, rest = ctx.numbered("Which one? {usage}", "<number>")
        await ctx.reply(f"{number}|{rest}")

    assert (await chat.say("kari", "/prov show 12 og mer"))[0].text == "12|og mer"
    assert (await chat.say("kari", "/prov show tolv"))[0].text.startswith(
        "Which one? /prov vis <nr>"
    )  # the sub in bokmål


async def test_a_refused_piece_of_writing_is_given_back_however_short(chat: Chat) -> None:
    from bot.errors import UserError

    async def refuse(ctx: Context) -> None:
        raise UserError("Not now.")

    chat.bot.router.command("skriv", access="anyone", writing=True)(refuse)
    chat.bot.router.command("velg", access="anyone")(refuse)
    assert "Kort tekst" in (await chat.say("kari", "/skriv Kort tekst"))[0].text
    assert "Kort tekst" not in (await chat.say("kari", "/velg Kort tekst"))[0].text


async def test_a_number_alone_is_not_given_back_as_writing(chat: Chat) -> None:
    from bot.errors import UserError

    async def refuse(ctx: Context) -> None:
        raise UserError("Not now.")

    chat.bot.router.command("skriv", access="anyone", writing=True)(refuse)
    assert (await chat.say("kari", "/skriv 9"))[0].text == "Not now."
    assert (await chat.say("kari", "/skriv 9 Benk i gangen"))[0].text.endswith("Benk i gangen")
