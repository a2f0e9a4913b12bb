from adapters.memory import Chat
from tests.support import dms_to


async def test_first_member_to_join_leads_the_network(chat: Chat) -> None:
    replies = await chat.say("kari", "/samskap bli-med Nordby skole")
    assert "Nordby skole" in replies[0].text
    replies = await chat.say("kari", "/samskap leder")
    assert "Nettverk" in replies[0].text or "Network" in replies[0].text


async def test_unknown_command_gets_a_localized_answer(chat: Chat) -> None:
    replies = await chat.say("kari", "/finnesikke")
    assert len(replies) == 1
    assert "/finnesikke" in replies[0].text


async def test_leader_commands_are_refused_for_participants(network_chat: Chat) -> None:
    replies = await network_chat.say("ola", "/samskap leder rolle @per nettverksleder")
    assert "nettverksledere" in replies[0].text


async def test_leader_promotes_a_member_and_it_is_audited(network_chat: Chat) -> None:
    chat = network_chat
    replies = await chat.say("kari", "/samskap leder rolle @ola nettverksleder")
    assert "ola er nå nettverksleder" in replies[0].text
    replies = await chat.say("ola", "/samskap leder innstilling oppfolging 7")
    assert "oppfolging = 7" in replies[0].text
    from sqlalchemy import select

    from storage.models.core import AuditEntry

    async with chat.bot.db.session() as s:
        actions = [a.action for a in (await s.scalars(select(AuditEntry))).all()]
    assert actions == ["set_role", "set_setting"]


async def test_the_last_leader_cannot_step_down(network_chat: Chat) -> None:
    replies = await network_chat.say("kari", "/samskap leder rolle @kari deltaker")
    assert "minst én leder" in replies[0].text


async def test_network_setting_with_a_bad_value_is_explained(network_chat: Chat) -> None:
    replies = await network_chat.say("kari", "/samskap leder innstilling oppfolging mange")
    assert "helt tall fra 1 til 120" in replies[0].text


async def test_my_data_is_sent_as_json_in_a_direct_message(network_chat: Chat) -> None:
    import json

    from bot.messages import Attachment

    chat = network_chat
    await chat.say("ola", "/ide Klassemøter hver fredag")
    await chat.say("ola", "/samskap mine-data")
    dm = dms_to(chat, "ola")[-1]
    attachment = next(p for p in dm.message.parts if isinstance(p, Attachment))
    data = json.loads(attachment.content)
    assert data["member"]["school"] == "Sørby skole"
    assert data["ideas"]["ideas"][0]["text"] == "Klassemøter hver fredag"


async def test_delete_me_asks_first_and_then_erases_everything(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("ola", "/ide Klassemøter hver fredag")
    replies = await chat.say("ola", "/samskap slett-meg")
    assert [b.action_id for b in replies[0].buttons] == ["membership.erase", "membership.keep"]
    assert "Klassemøter" in (await chat.say("per", "/ideer"))[0].text
    await chat.click("ola", "membership.erase")
    assert "Klassemøter" not in (await chat.say("per", "/ideer"))[0].text
    assert "bli-med" in (await chat.say("ola", "/ideer"))[0].text


async def test_help_lists_commands_in_bokmal(chat: Chat) -> None:
    text = (await chat.say("kari", "/samskap"))[0].text
    assert "/ide" in text and "/samskap bli-med" in text and "Bli med i nettverket" in text


async def test_a_direct_message_before_joining_any_network_is_explained(chat: Chat) -> None:
    chat.adapter.auto_setup = False  # like Discord: a server is set up explicitly
    dm = chat.adapter.dm_conversation("ola")
    replies = await chat.say("ola", "/ideer", conversation=dm)
    assert "nettverkets kanal" in replies[0].text


async def test_home_overview_shows_my_ideas_and_what_i_am_trying(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk")
    await chat.say("ola", "/ide Klassemøter hver fredag")
    await chat.say("ola", "/ide prøv 1")
    text = (await chat.say("ola", "/samskap hjem"))[0].text
    assert "Hei, ola!" in text and "Mine ideer" in text
    assert "2. Klassemøter hver fredag" in text and "1. Vennskapsbenk" in text


async def test_a_time_zone_that_is_a_folder_of_the_tz_database_is_refused_with_the_name_given_back(
    network_chat: Chat,
) -> None:
    # "Europe" is a folder of the tz database: ZoneInfo raises IsADirectoryError, not "not found".
    for command in ("/samskap leder innstilling tidssone Europe", "/samskap innstillinger tidssone Europe"):
        replies = await network_chat.say("kari", command)
        assert "Ukjent tidssone Europe" in replies[0].text, command
    replies = await network_chat.say("kari", "/samskap innstillinger tidssone " + "a" * 300)
    assert "Ukjent tidssone" in replies[0].text
