"""Every way a member's words reach samskap passes the student-data guard before anything is
stored: every command and subcommand, every form, messages in channels, threads and direct
messages. Afterwards no stored text, and no reply, holds the identity number."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from stored_text import stored_strings

from adapters.memory import Chat
from bot.events import FormSubmitted
from bot.privacy import contains_identity_number

# One valid (synthetic) number in the ways people write it.
LAYOUTS = ["01010012356", "010100\u00a012356", "01 01 00 123 56", "010\u2013100\u2013123\u201356", "0\u200b1010012356"]


@pytest.fixture
async def network(any_database_url: str) -> AsyncIterator[Chat]:
    chat = await Chat.start(any_database_url)
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    yield chat
    await chat.close()


def command_lines(chat: Chat) -> list[str]:
    lines = []
    for group in chat.bot.router.commands.values():
        lines.append(f"/{group.name}")
        lines += [f"/{group.name} {names[0]}" for names in group.sub_names.values()]
    return lines


async def test_no_path_stores_an_identity_number(network: Chat) -> None:
    chat = network
    lines = command_lines(chat)
    assert len(lines) > 30  # every feature's commands are here
    for number in LAYOUTS:
        for line in lines:
            await chat.say("kari", f"{line} 1 Eleven {number} i 5B")
            await chat.say("ola", f"{line} {number}")
        for form_id in chat.bot.router.forms:
            event = FormSubmitted(user=chat.adapter.user("kari"), conversation=chat.adapter.channel(),
                                  form_id=form_id, values={"text": f"Eleven {number}", "note": number})  # fmt: skip
            await chat.bot.dispatch(event, chat.adapter)
        await chat.say("ola", f"Se https://example.org/elev/{number}")
        await chat.say("ola", f"Eleven {number}", chat.adapter.channel(thread_id="t1"))
        await chat.say("ola", f"Eleven {number}", chat.adapter.dm_conversation("ola"))

    assert not [t for t in await stored_strings(chat) if contains_identity_number(t)]
    assert not [s.text for s in chat.sent if contains_identity_number(s.text)]
    refusals = [s for s in chat.sent if "fødselsnummer" in s.text]
    assert len(refusals) >= len(LAYOUTS) * (2 * len(lines) + len(chat.bot.router.forms))
