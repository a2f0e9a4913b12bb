"""Teams activities → core events: commands, mentions, conversations and reply chains."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from microsoft_agents.activity import Activity

from adapters.teams.events import address, conversation_of, event_of
from bot.app import build_bot
from bot.config import Config
from bot.events import ActionEvent, CommandEvent, Conversation, MessageEvent
from bot.router import Router

TENANT = "t-1"
CHANNEL = "19:abc@thread.tacv2"
BOT = {"id": "28:bot", "name": "samskap"}


@pytest.fixture(scope="module")
def router() -> Router:
    async def build() -> Router:
        bot = await build_bot(Config(database_url="sqlite:///:memory:"), migrate=False)
        await bot.db.dispose()
        return bot.router

    return asyncio.run(build())


def activity(text: str = "", *, conversation: dict[str, Any] | None = None, **fields: Any) -> Activity:
    return Activity.model_validate({
        "type": "message", "id": "m-2", "channelId": "msteams", "serviceUrl": "https://smba.example/emea/",
        "from": {"id": "29:kari", "name": "Kari Nordmann", "aadObjectId": "aad-kari"}, "recipient": BOT,
        "conversation": conversation or {"id": f"{CHANNEL};messageid=m-2", "conversationType": "channel",
                                         "tenantId": TENANT},
        "text": text, **fields,
    })  # fmt: skip


def mention(who: dict[str, str]) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{who['name']}</at>", "mentioned": who}


@pytest.mark.parametrize(("text", "name", "args"), [
    ("<at>samskap</at> ide Vennskapsbenk #friminutt", "ide", "Vennskapsbenk #friminutt"),
    ("<at>samskap</at> /ide Vennskapsbenk", "ide", "Vennskapsbenk"),
    ("<at>samskap</at> bli-med Nordby skole", "samskap", "bli-med Nordby skole"),
    ("<at>samskap</at> IDEA try 3", "idea", "try 3"),
    ("<at>samskap</at>&nbsp;samskap", "samskap", ""),
])  # fmt: skip
def test_commands_in_a_new_channel_post(router: Router, text: str, name: str, args: str) -> None:
    event = event_of(activity(text, entities=[mention(BOT)]), router)
    assert isinstance(event, CommandEvent) and (event.name, event.args) == (name, args)
    assert event.user.id == "aad-kari" and event.user.workspace_id == TENANT
    assert event.conversation == Conversation("teams", TENANT, CHANNEL)  # a new post: the channel itself


def test_in_a_reply_chain_only_slash_commands_are_commands(router: Router) -> None:
    chain = {"id": f"{CHANNEL};messageid=root-1", "conversationType": "channel", "tenantId": TENANT}
    said = event_of(activity("<at>samskap</at> del av svaret er ja", conversation=chain, entities=[mention(BOT)]),
                    router)  # fmt: skip
    assert isinstance(said, MessageEvent) and said.text == "del av svaret er ja" and said.mentions_bot
    assert said.conversation == Conversation("teams", TENANT, CHANNEL, thread_id="root-1")
    assert address(said.conversation) == f"{CHANNEL};messageid=root-1"
    command = event_of(activity("<at>samskap</at> /del https://udir.no", conversation=chain,
                                entities=[mention(BOT)]), router)  # fmt: skip
    assert isinstance(command, CommandEvent) and command.name == "del"


def test_personal_chats_take_plain_commands_and_group_chats_do_not(router: Router) -> None:
    personal = {"id": "a:chat", "conversationType": "personal", "tenantId": TENANT}
    event = event_of(activity("ideer benk", conversation=personal), router)
    assert isinstance(event, CommandEvent) and event.conversation.is_direct
    group = {"id": "19:grp@thread.v2", "conversationType": "groupChat", "tenantId": TENANT}
    talk = event_of(activity("ide: vi prøver benk", conversation=group), router)
    assert isinstance(talk, MessageEvent) and talk.conversation.is_direct
    assert address(talk.conversation) == "19:grp@thread.v2"


def test_other_people_mentioned_become_platform_mentions(router: Router) -> None:
    ola = {"id": "29:ola", "name": "Ola Nordmann"}
    nina = {"id": "29:nina", "name": "Nina"}
    text = "<at>samskap</at> samsnakk <at>Ola Nordmann</at> <at>Nina</at> i morgen 14"
    event = event_of(activity(text, entities=[mention(BOT), mention(ola), mention(nina)]), router,
                     {"29:ola": "aad-ola"})  # fmt: skip
    assert isinstance(event, CommandEvent) and event.args == "<@aad-ola> @Nina i morgen 14"


def test_a_card_button_is_an_action_from_the_channel_not_from_the_cards_chain(router: Router) -> None:
    card_chain = {"id": f"{CHANNEL};messageid=card-1", "conversationType": "channel", "tenantId": TENANT}
    click = event_of(activity(conversation=card_chain, replyToId="card-1",
                              value={"samskap": "ideas.adopt", "value": "12"}), router)  # fmt: skip
    assert isinstance(click, ActionEvent) and (click.action_id, click.value, click.message_id) == (
        "ideas.adopt", "12", "card-1")  # fmt: skip
    assert click.conversation == Conversation("teams", TENANT, CHANNEL)
    assert conversation_of(activity(conversation=card_chain), card_id="other").thread_id == "card-1"
