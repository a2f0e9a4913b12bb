from adapters.memory import Chat


async def test_first_member_to_join_leads_the_network(chat: Chat) -> None:
    replies = await chat.say("kari", "/samskap bli-med Nordby skole")
    assert "Nordby skole" in replies[0].text
    replies = await chat.say("kari", "/samskap leder")
    assert "Nettverk" in replies[0].text or "Network" in replies[0].text


async def test_unknown_command_gets_a_localized_answer(chat: Chat) -> None:
    replies = await chat.say("kari", "/finnesikke")
    assert len(replies) == 1
    assert "/finnesikke" in replies[0].text
