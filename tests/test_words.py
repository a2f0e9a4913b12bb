"""Every text in each language is in that language: no bokmål in English, no English or nynorsk in
bokmål, no bokmål or English in nynorsk. Beside tests/test_i18n.py, which finds texts with no
translation at all, this finds translations (and English msgids) that speak the wrong language."""

from __future__ import annotations

import re

import pytest

from bot.i18n import translator
from bot.i18n_check import extracted
from tests.words import foreign_words

LANGUAGES = ("nb", "nn", "en")
# Texts that name another language's words on purpose, and those words.
ON_PURPOSE = {
    "Never write anything that can identify a student. Commands also work in English: /samskap join, /idea, /ideas.": {
        "join", "idea", "ideas", "bli-med", "ide", "ideer", "samskap",
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
