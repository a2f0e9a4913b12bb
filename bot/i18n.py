"""Translations from gettext catalogs (Babel).

Message ids are English. Every feature keeps its Norwegian catalogs in `bot/locale/nb/<feature>.po`
(bokmål) and `bot/locale/nn/<feature>.po` (nynorsk); the texts only an adapter shows are beside it,
in `adapters/<platform>/locale/<lang>/<platform>.po`, added by `add_catalogs` when the adapter is
imported. The files of one language are merged and compiled in memory, so there is no build step.
English is the message ids themselves (an `en` catalog may refine them). Bokmål is the default;
a network and each member can choose. The words each language uses for the same thing are listed in `docs/glossary.md`.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("nb", "nn", "en")
DEFAULT_LANGUAGE = "nb"

# Accepted spellings of the languages, for settings and platform locales.
LANGUAGE_ALIASES = {
    "nb": "nb",
    "no": "nb",
    "nob": "nb",
    "norsk": "nb",
    "bokmål": "nb",
    "bokmal": "nb",
    "nb-no": "nb",
    "nb_no": "nb",
    "nn": "nn",
    "nno": "nn",
    "nynorsk": "nn",
    "nn-no": "nn",
    "nn_no": "nn",
    "en": "en",
    "eng": "en",
    "english": "en",
    "engelsk": "en",
    "en-us": "en",
    "en-gb": "en",
    "en_us": "en",
    "en_gb": "en",
}
# What each language is called, in its own words (settings, the language list).
LANGUAGE_NAMES = {"nb": "bokmål", "nn": "nynorsk", "en": "English"}


def normalise_language(value: str | None) -> str | None:
    if not value:
        return None
    return LANGUAGE_ALIASES.get(value.strip().lower())


def N_(msgid: str) -> str:
    """Mark a string for extraction; it is translated later, where the language is known."""
    return msgid


class Translator:
    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._t = translations

    def t(self, msgid: str, /, **kwargs: Any) -> str:
        text = self._t.gettext(msgid)
        return text.format(**kwargs) if kwargs else text

    def tn(self, singular: str, plural: str, n: int, /, **kwargs: Any) -> str:
        return self._t.ngettext(singular, plural, n).format(n=n, **kwargs)


# The folders whose `<language>/*.po` every translator merges: the core's, then each adapter's.
_catalog_folders: list[Path] = [LOCALE_DIR]


def add_catalogs(folder: Path) -> None:
    """Merge the catalogs in `folder/<language>/*.po` into every language from now on: an adapter
    adds its own texts when it is imported, so the core's catalogs know no platform's words."""
    if folder not in _catalog_folders:
        _catalog_folders.append(folder)
        translator.cache_clear()


def load_catalog(language: str, folders: Sequence[Path] | None = None) -> Catalog:
    """One language's texts from `folders` (by default the core's and every adapter's added so far)."""
    merged = Catalog(locale=language, domain="samskap")
    for folder in _catalog_folders if folders is None else folders:
        for po in sorted((folder / language).glob("*.po")):
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=language)
            for message in catalog:
                if message.id and message.string:
                    merged[message.id] = message
    return merged


@cache
def translator(language: str | None) -> Translator:
    language = normalise_language(language) or DEFAULT_LANGUAGE
    buffer = BytesIO()
    write_mo(buffer, load_catalog(language))
    buffer.seek(0)
    return Translator(language, gettext.GNUTranslations(buffer))
