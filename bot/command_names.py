"""The words of commands in each language: which name a reader sees, which ones are accepted.

Features register a command with its bokmål name first and its other spellings after it:
`("ide", "idea")`, `sub=("prøv", "prov", "try")`. The nynorsk forms that differ from bokmål are
listed here once, so every feature accepts them without naming them itself, and `shown_name` picks
the name each language shows in help, usage hints and platform menus. Every name stays accepted
in every language. The terms are listed in docs/glossary.md.
"""

from __future__ import annotations

from collections.abc import Iterable

# bokmål name -> nynorsk name, where the two differ.
NYNORSK = {
    "ideer": "idear",
    "innstillinger": "innstillingar",
    "hjem": "heim",
    "leder": "leiar",
    "ikke-ennå": "ikkje-enno",
    "forhåndsvis": "førehandsvis",
    "kilde": "kjelde",
    "kilder": "kjelder",
    "foreslå": "føreslå",
    "nå": "no",
    "jeg-kan": "eg-kan",
    "snakket": "snakka",
    "fortsett": "hald-fram",
}
_NYNORSK_NAMES = frozenset(NYNORSK.values())


def with_nynorsk(names: Iterable[str]) -> tuple[str, ...]:
    """`names` and, after them, the nynorsk form of any bokmål name among them."""
    names = tuple(names)
    return tuple(dict.fromkeys(names + tuple(NYNORSK[name] for name in names if name in NYNORSK)))


_FOLDS: dict[str, str | int | None] = {"æ": "ae", "ø": "o", "å": "a", "-": "", "_": ""}


def _folded(name: str) -> str:
    return name.translate(str.maketrans(_FOLDS))


def english_name(names: tuple[str, ...]) -> str | None:
    """The English name among a command's names. Left out: the bokmål name without æøå or hyphens
    (`prov`, `jegkan`), longer forms of it (`samskap-help`) and the nynorsk forms; a different
    word (`source`) wins over one that only extends it (`kilder`), which wins over none (`ide` →
    `idea`)."""
    candidates, different = _english_candidates(names)
    found = different or candidates
    return found[0] if found else None


def _english_candidates(names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    base = names[0]
    candidates = [
        name
        for name in names[1:]
        if _folded(name) != _folded(base) and not name.startswith(f"{base}-") and name not in _NYNORSK_NAMES
    ]
    return candidates, [name for name in candidates if not name.startswith(base)]


def shown_name(names: tuple[str, ...], language: str) -> str:
    """The name of a command or subcommand as `language` writes it: `ideer` / `idear` / `ideas`."""
    if language == "en":
        return english_name(names) or names[0]
    if language == "nn":
        return NYNORSK.get(names[0], names[0])
    return names[0]


def language_of_name(name: str, names: tuple[str, ...], default: str) -> str:
    """Which language `name` (one of `names`) belongs to; `default` where all languages share it."""
    if name in _NYNORSK_NAMES:
        return "nn"
    if name != names[0] and (name == english_name(names) or name in _english_candidates(names)[1]):
        return "en"
    return default


# Settings and member options are declared with a bokmål code name (`SettingSpec("nettverksbrev",
# ...)`), which is also what is stored. Their names in the other languages, where they differ:
SETTING_NAMES: dict[str, dict[str, str]] = {
    "velkomst": {"en": "welcome"},
    "lenkefangst": {"en": "link_capture", "nn": "lenkjefangst"},
    "nettverksbrev": {"en": "digest"},
    "samling_varsel": {"en": "meeting_reminder"},
    "oppfolging": {"en": "follow_up"},
    "kritiskvenn": {"en": "criticalfriend"},
    "samsnakk_pause": {"en": "samsnakk_pause"},
    "samsnakk_tider": {"en": "samsnakk_hours"},
    "tidssone": {"en": "timezone"},
    "samsnakk_uker": {"en": "samsnakk_weeks", "nn": "samsnakk_veker"},
    "samsnakk_dag": {"en": "samsnakk_day"},
    "samsnakk_kl": {"en": "samsnakk_time"},
    "samsnakk_refleksjon": {"en": "samsnakk_prompt"},
    "samsnakk_video": {"en": "samsnakk_video"},
}
_SETTING_CODES = {name: code for code, names in SETTING_NAMES.items() for name in names.values()}


def setting_name(code: str, language: str) -> str:
    """What a setting is called in `language`: `nettverksbrev` is `digest` in English."""
    return SETTING_NAMES.get(code, {}).get(language, code)


def setting_code(word: str) -> str:
    """The setting a member means by `word`, in any language (`digest` → `nettverksbrev`)."""
    return word if word in SETTING_NAMES else _SETTING_CODES.get(word, word)
