"""Three languages: bokmål (the default), nynorsk and English, per network and per member."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import Chat
from bot.i18n import normalise_language, translator
from bot.i18n_check import extracted, missing
from bot.times import format_when, parse_when

OSLO = ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_user_visible_text_has_a_norwegian_translation(language: str) -> None:
    untranslated = missing(language)
    assert not untranslated, "untranslated: " + "; ".join(str(k) for k in list(untranslated)[:10])


@pytest.mark.parametrize("platform", ["slack", "discord", "teams"])
def test_a_platforms_own_texts_are_translated_in_a_process_that_loads_only_that_platform(platform: str) -> None:
    """Each adapter brings its catalogs (adapters/<platform>/locale) when it is imported, and a
    process runs one platform: its texts cannot lean on another platform's catalog."""
    texts = sorted({key if isinstance(key, str) else key[0] for key, files in extracted().items()
                    if any(file.startswith(f"adapters/{platform}/") for file in files)})  # fmt: skip
    script = (
        f"import json, sys, adapters.{platform}\n"
        "from bot.i18n import load_catalog\n"
        "texts = json.load(sys.stdin)\n"
        "print(json.dumps({lang: [t for t in texts if not load_catalog(lang).get(t)] for lang in ('nb', 'nn')}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True,
                            cwd=Path(__file__).parent.parent, check=True)  # fmt: skip
    assert texts and json.loads(result.stdout) == {"nb": [], "nn": []}


@pytest.mark.parametrize("spelling", ["nn", "NN", "nynorsk", "Nynorsk", "nno", "nn-NO", "nn_NO"])
def test_nynorsk_has_its_own_name_and_is_not_taken_for_bokmal(spelling: str) -> None:
    assert normalise_language(spelling) == "nn"
    assert translator(spelling).language == "nn"


async def test_bokmal_by_default_and_english_per_member(network_chat: Chat) -> None:
    chat = network_chat
    assert "Det finnes ingen idé nummer 7" in (await chat.say("ola", "/ide prøv 7"))[0].text
    assert "English" in (await chat.say("ola", "/samskap innstillinger språk en"))[0].text
    assert "There is no idea number 7" in (await chat.say("ola", "/idea try 7"))[0].text
    # Others keep the network's language.
    assert "Det finnes ingen idé nummer 7" in (await chat.say("per", "/ide prøv 7"))[0].text


async def test_a_member_can_choose_nynorsk_and_the_others_keep_bokmal(network_chat: Chat) -> None:
    chat = network_chat
    chosen = (await chat.say("ola", "/samskap innstillinger språk nynorsk"))[0].text
    assert chosen == "Eg skriv til deg på nynorsk."
    assert "Det finst ingen idé nummer 7. Sjå lista med /idear." in (await chat.say("ola", "/ide prøv 7"))[0].text
    settings = (await chat.say("ola", "/samskap innstillingar"))[0].text
    assert "Innstillingane dine" in settings and "nynorsk" in settings
    assert "Det finnes ingen idé nummer 7" in (await chat.say("per", "/ide prøv 7"))[0].text


async def test_a_network_can_speak_nynorsk(network_chat: Chat) -> None:
    chat = network_chat
    saved = (await chat.say("kari", "/samskap leiar innstilling språk nn"))[0].text
    assert saved == "Lagra: språk = nynorsk."
    assert "Hei, ola! Dette er din samskap." in (await chat.say("ola", "/samskap heim"))[0].text
    assert "Ingen idear enno." in (await chat.say("per", "/idear"))[0].text


async def test_nynorsk_words_are_accepted_in_commands_and_answers(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("ola", "/samskap innstillingar språk nn")
    await chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    assert "Så bra at du prøver idé 1" in (await chat.say("ola", "/ide prøv 1"))[0].text
    assert "Greitt, eg spør ikkje igjen." in (await chat.say("ola", "/ide ikkje-enno 1"))[0].text
    assert "Idé 1" in (await chat.say("ola", "/idé vis 1"))[0].text
    promoted = (await chat.say("kari", "/samskap leiar rolle @per skuleleiar"))[0].text
    assert "skoleleder" in promoted  # kari reads bokmål; the nynorsk role word was understood


def test_nynorsk_dates_and_times_are_read_and_written() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    friday = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
    assert format_when(friday, OSLO, "nn") == "fredag 4. des. kl. 15:00"
    assert format_when(friday, OSLO, "nb") == "fre. 4. des. kl. 15:00"
    assert format_when(friday, OSLO, "en") == "Fri 4 Dec 15:00"
    assert format_when(datetime(2027, 1, 14, 11, 0, tzinfo=UTC), OSLO, "nn", now) == "torsdag 14. jan. 2027 kl. 12:00"
    assert parse_when("i morgon 14", now, OSLO) == parse_when("i morgen 14", now, OSLO)
    assert parse_when("laurdag 10", now, OSLO) == parse_when("lørdag 10", now, OSLO)


async def test_home_overview_speaks_the_networks_language(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samskap leder innstilling språk en")
    text = (await chat.say("ola", "/samskap hjem"))[0].text
    assert "Hi ola! This is your samskap." in text


async def test_help_names_commands_and_their_arguments_in_the_readers_language(network_chat: Chat) -> None:
    chat = network_chat
    bokmal = (await chat.say("per", "/samskap"))[0].text
    assert "/ide prøv <nr> — Si at du vil prøve en idé" in bokmal
    await chat.say("ola", "/samskap innstillinger språk en")
    english = (await chat.say("ola", "/samskap"))[0].text
    assert "/idea try <number> — Say you will try an idea" in english
    assert "/talk move [#number] <time> — Move a call to another time" in english
    assert "/samskap join <school>" in english and "prøv" not in english and "<nr>" not in english
    await chat.say("ola", "/samskap settings language nn")
    nynorsk = (await chat.say("ola", "/samskap"))[0].text
    assert "/ide ikkje-enno <nr> — Ikkje prøvd enno: slutt å spørje" in nynorsk
    assert "/idear [søk]" in nynorsk and "/samskap bli-med <skule>" in nynorsk


async def test_settings_are_named_and_saved_in_the_readers_words(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samskap innstillinger språk en")
    assert (await chat.say("kari", "/samskap settings digest on"))[0].text == "Saved: digest = on."
    assert (await chat.say("kari", "/samskap leader setting timezone Europe/Oslo"))[0].text == (
        "Saved: timezone = Europe/Oslo."
    )
    settings = await chat.say("kari", "/samskap settings")
    assert "Turn digest off" in [b.label for b in settings[0].buttons]
    # Bokmål readers see the bokmål names, whichever language the command was typed in.
    assert (await chat.say("per", "/samskap settings digest on"))[0].text == "Lagret: nettverksbrev = på."
    assert (await chat.say("per", "/samskap innstillinger tidssone Europe/Oslo"))[0].text == (
        "Lagret: tidssone = Europe/Oslo."
    )
    assert (await chat.say("kari", "/samskap leader setting språk en"))[0].text == "Saved: language = English."


def test_a_deadline_on_another_day_is_written_the_way_of_the_readers_language() -> None:
    from bot.features.kritisk_venn.cards import when

    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    deadline = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert when(translator("en"), deadline, "Europe/Oslo", now) == "Tue 1 Dec 10:00"
    assert when(translator("nb"), deadline, "Europe/Oslo", now) == "tir. 1. des. kl. 10:00"
    assert when(translator("nn"), deadline, "Europe/Oslo", now) == "tysdag 1. des. kl. 10:00"
    assert when(translator("en"), now, "Europe/Oslo", now) == "at 10:00"


async def test_the_round_plan_names_the_weekday_in_the_readers_language(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samskap innstillinger språk en")
    assert "every 2 weeks, Monday 09:00" in (await chat.say("kari", "/talk round"))[0].text
    await chat.say("kari", "/samskap innstillinger språk nn")
    await chat.say("kari", "/samsnakk runde innstill kvar 3. veke laurdag 10:00")
    assert "kvar 3. veke, laurdag 10:00" in (await chat.say("kari", "/samsnakk runde"))[0].text
