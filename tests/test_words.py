"""Every text in each language is in that language: no bokmål in English, no English or nynorsk in
bokmål, no bokmål or English in nynorsk. Beside tests/test_i18n.py, which finds texts with no
translation at all, this finds translations (and English msgids) that speak the wrong language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from adapters.memory import Chat
from bot.i18n import translator
from bot.i18n_check import extracted
from bot.messages import Form
from tests.words import foreign_words

LANGUAGES = ("nb", "nn", "en")
# Texts that name another language's words on purpose, and those words.
ON_PURPOSE = {
    "Never write anything that can identify a student. Commands also work in English: /samskap join, /idea, /ideas.": {
        "join",
        "idea",
        "ideas",
        "bli-med",
        "ide",
        "ideer",
        "samskap",
        "/ide",
        "/ideer",
    },
    "Choose nb (bokmål), nn (nynorsk) or en (English).": {"en", "nn", "nb"},
}


def every_text(language: str) -> list[tuple[str, str]]:
    """(msgid, the text as `language` shows it) for every user-visible text in the code."""
    t = translator(language)
    texts = []
    for key in extracted():
        if isinstance(key, tuple):
            texts += [(key[0], t._t.ngettext(key[0], key[1], n)) for n in (1, 2)]
        else:
            texts.append((key, t._t.gettext(key)))
    return texts


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_written_in_the_readers_language(language: str) -> None:
    wrong = [
        f"{words} in {text!r}"
        for msgid, text in every_text(language)
        if (words := [w for w in foreign_words(text, language) if w.lower() not in ON_PURPOSE.get(msgid, ())])
    ]
    assert not wrong, f"{len(wrong)} text(s) in {language} with words of another language:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_one_word_for_each_thing(language: str) -> None:
    """The glossary's rules (docs/glossary.md): the digest is «nettverksbrev», bokmål writes «ideer»,
    no «(er)» plurals, no «Bli med med»."""
    wrong = []
    for msgid, text in every_text(language):
        if re.search(r"(?<![/\w])digest\b", msgid) and "nettverksbrev" not in text.lower():
            wrong.append(f"the digest is «nettverksbrev»: {text!r}")
        if re.search(r"\bidé(er|en|ene)\b|\w\((e?r|s)\)|\bBli med med\b", text, re.IGNORECASE):
            wrong.append(f"one spelling, no (er) plurals: {text!r}")
    assert not wrong, "\n".join(wrong)


# A tour of every feature, as members would take it; the members' own words are neutral
# ("Benk 7", "Aula"), so that any Norwegian or English word in the answers is the bot's.
TOUR = [
    ("kari", "/samskap"),
    ("kari", "/samskap innstillinger"),
    ("kari", "/samskap leder"),
    ("kari", "/samskap leder innstilling"),
    ("kari", "/samskap leder innstilling finnesikke 3"),
    ("kari", "/samskap leder rolle @per skoleleder"),
    ("kari", "/ide Benk 7 #benk"),
    ("ola", "/ide prøv 1"),
    ("ola", "/ideer"),
    ("ola", "/ideer Benk"),
    ("ola", "/ide vis 1"),
    ("ola", "/ide utsett 1"),
    ("ola", "/ide rapport 1 Benk 7 ok"),
    ("ola", "/ide prøv 99"),
    ("ola", "/ide prøv"),
    ("per", "/ide prøv 1"),
    ("kari", "/samskap hjem"),
    ("kari", "/samling ny 14.01 12:00 Aula: Benk"),
    ("kari", "/samling ny 15.09 12:00 Aula: Benk"),
    ("kari", "/samling ny blabla"),
    ("kari", "/samling"),
    ("kari", "/samling fjern 9"),
    ("kari", "/del https://example.org/a Benk 7"),
    ("kari", "/digest"),
    ("kari", "/digest forhåndsvis"),
    ("kari", "/digest tid"),
    ("kari", "/digest tid blabla"),
    ("kari", "/digest kilde"),
    ("kari", "/digest fjern 99"),
    ("kari", "/samsnakk"),
    ("kari", "/samsnakk på"),
    ("ola", "/samsnakk på"),
    ("per", "/samsnakk på"),
    ("kari", "/samsnakk tider"),
    ("kari", "/samsnakk tider blabla"),
    ("kari", "/samsnakk runde"),
    ("kari", "/samsnakk runde vis"),
    ("kari", "/samsnakk runde innstill blabla"),
    ("ola", "/samsnakk @kari fre 14:00"),
    ("ola", "/samsnakk @kari blabla"),
    ("ola", "/samsnakk mine"),
    ("kari", "/samsnakk godta"),
    ("ola", "/samsnakk flytt"),
    ("ola", "/samsnakk nå"),
    ("kari", "/samsnakk snakket blabla"),
    ("kari", "/samsnakk notat"),
    ("kari", "/kritiskvenn status"),
    ("kari", "/kritiskvenn"),
    ("kari", "/kritiskvenn bidra 9 Benk"),
    ("ola", "/samskap slett-meg"),
    ("ola", "/finnesikke"),
]


def form_text(form: Form) -> str:
    """Everything a form says: its title, button, notice, and each field's label, hint and choices."""
    fields = [f"{f.label} {f.hint} " + " ".join(label for _, label in f.choices) for f in form.fields]
    return "\n".join([form.title, form.submit_label, form.notice, *fields])


def members_words_out(text: str, on_purpose: list[str]) -> str:
    """The bot's words only: without the schools the members wrote (network_chat's "Nordby skole")
    and the lines that name other languages' commands on purpose."""
    for words in ("Nordby skole", "Sørby skole", "Vestby skole", *on_purpose):
        text = text.replace(words, "")
    return text


CRITICAL_FRIEND_ROUND = {
    "kind": "practice",
    "practice": "Benk 7",
    "focus": "Benk 7?",
    "friends": "2",
    "pace": "live",
    "venue": "thread",
    "names": "",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_tour_of_every_feature_is_in_the_networks_language(network_chat: Chat, language: str) -> None:
    chat = network_chat
    await chat.say("kari", f"/samskap leder innstilling språk {language}")
    start, forms = len(chat.sent), len(chat.adapter.forms)
    for who, line in TOUR:
        await chat.say(who, line)
    # What comes later by itself: follow-ups, reminders, the digest, a round, a kritisk venn round.
    await chat.say("kari", "/kritiskvenn")
    await chat.submit("kari", {**CRITICAL_FRIEND_ROUND})
    for who in ("ola", "per"):
        await chat.click(who, "kritisk_venn.accept")
    await chat.say("kari", "/samsnakk runde kjør")
    for _ in range(6):
        await chat.advance(timedelta(days=3))
    sent = chat.sent[start:]
    shown = [s.text for s in sent] + [b.label for s in sent for b in s.buttons]
    shown += [form_text(opened.form) for opened in chat.adapter.forms[forms:]]
    on_purpose = [translator(language).t(msgid) for msgid in ON_PURPOSE]
    wrong = [
        f"{words} in {text!r}"
        for text in shown
        if (words := foreign_words(members_words_out(text, on_purpose), language))
    ]
    assert not wrong, f"{len(wrong)} message(s) in {language} with words of another language:\n" + "\n".join(wrong)
