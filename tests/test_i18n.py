from adapters.memory import Chat
from bot.i18n_check import missing


def test_every_user_visible_text_has_a_bokmal_translation() -> None:
    untranslated = missing("nb")
    assert not untranslated, "untranslated: " + "; ".join(str(k) for k in list(untranslated)[:10])


async def test_bokmal_by_default_and_english_per_member(network_chat: Chat) -> None:
    chat = network_chat
    assert "Det finnes ingen idé nummer 7" in (await chat.say("ola", "/ide prøv 7"))[0].text
    assert "English" in (await chat.say("ola", "/samskap innstillinger språk en"))[0].text
    assert "There is no idea number 7" in (await chat.say("ola", "/idea try 7"))[0].text
    # Others keep the network's language.
    assert "Det finnes ingen idé nummer 7" in (await chat.say("per", "/ide prøv 7"))[0].text


async def test_home_overview_speaks_the_networks_language(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samskap leder innstilling språk en")
    text = (await chat.say("ola", "/samskap hjem"))[0].text
    assert "Hi ola! This is your samskap." in text
