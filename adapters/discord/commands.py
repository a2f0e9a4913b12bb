"""Discord application (slash) commands, generated from the core router. Pure functions.

Every command group the features register becomes one slash command; its subcommands become
Discord subcommands with a free-text option for their arguments. A group that also works without
a subcommand (`/samskap`, `/ide <tekst>`) gets a subcommand `start` for that (`kjør` when the
group has a `start` of its own), since Discord cannot run a command that has subcommands on its
own. Names are bokmål (the canonical names);
English names come from each command's English alias, descriptions from the catalogs.
Discord has one Norwegian locale, "no", and no nynorsk one, so Norwegian users see bokmål there;
the nynorsk names are still accepted when typed, and replies follow the member's own language.

An interaction comes back with the canonical names, so `command_line` turns it into the
`name` and `args` the core parses, exactly as if it had been typed.
"""

from __future__ import annotations

import re
from typing import Any

from bot.command_names import english_name
from bot.i18n import Translator
from bot.router import CommandGroup, Route, Router

# Names for the subcommand that runs a group's default route, the first one the group does not use.
DEFAULT_SUB_NAMES = ("start", "kjør", "bruk", "hoved")
TEXT_OPTION = "tekst"
TEXT_OPTION_EN = "text"
NAME_MAX = 32
DESCRIPTION_MAX = 100
SUBCOMMANDS_MAX = 25
COMMANDS_MAX = 100
ENGLISH_LOCALES = ("en-US", "en-GB")
NORWEGIAN_LOCALE = "no"
_VALID_NAME = re.compile(r"^[-_'\w]{1,32}$")

SUB_COMMAND = 1
STRING = 3


def _valid(name: str) -> bool:
    return bool(_VALID_NAME.match(name)) and name == name.lower()


def _description(t: Translator, msgid: str, fallback: str) -> str:
    text = t.t(msgid) if msgid else fallback
    text = " ".join(text.split()) or fallback
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1].rstrip() + "…"


def _localized(base: str, english: str | None) -> dict[str, str]:
    names = {NORWEGIAN_LOCALE: base}
    if english and english != base and _valid(english):
        names.update({locale: english for locale in ENGLISH_LOCALES})
    return names


def _text_option(route: Route, nb: Translator, en: Translator) -> dict[str, Any] | None:
    """The free-text argument of a route, when it takes one (it says so in its usage)."""
    if not route.usage:
        return None

    def arguments(t: Translator) -> str:
        return _trim(t.t("Arguments: {usage}", usage=" ".join(t.t(route.usage).split())))

    return {
        "type": STRING,
        "name": TEXT_OPTION,
        "name_localizations": _localized(TEXT_OPTION, TEXT_OPTION_EN),
        "description": arguments(nb),
        "description_localizations": {
            NORWEGIAN_LOCALE: arguments(nb),
            **{locale: arguments(en) for locale in ENGLISH_LOCALES},
        },
        # "<school>" must be given; "[search]" may be left out.
        "required": route.usage.lstrip().startswith("<"),
    }


def _trim(text: str) -> str:
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1].rstrip() + "…"


def _free_text_option(nb: Translator, en: Translator) -> dict[str, Any]:
    """For a default route without usage: still let people add words, as on other platforms."""
    return {
        "type": STRING,
        "name": TEXT_OPTION,
        "name_localizations": _localized(TEXT_OPTION, TEXT_OPTION_EN),
        "description": _trim(nb.t("What you want to add (optional)")),
        "description_localizations": {
            NORWEGIAN_LOCALE: _trim(nb.t("What you want to add (optional)")),
            **{locale: _trim(en.t("What you want to add (optional)")) for locale in ENGLISH_LOCALES},
        },
        "required": False,
    }


def _describe(route: Route, nb: Translator, en: Translator, fallback: str) -> dict[str, Any]:
    return {
        "description": _description(nb, route.help, fallback),
        "description_localizations": {
            NORWEGIAN_LOCALE: _description(nb, route.help, fallback),
            **{locale: _description(en, route.help, fallback) for locale in ENGLISH_LOCALES},
        },
    }


def _subcommand(
    name: str, english: str | None, route: Route, nb: Translator, en: Translator, *, default: bool = False
) -> dict[str, Any]:
    option = _text_option(route, nb, en) or (_free_text_option(nb, en) if default else None)
    return {
        "type": SUB_COMMAND,
        "name": name,
        "name_localizations": _localized(name, english),
        **_describe(route, nb, en, name),
        "options": [option] if option else [],
    }


_english_alias = english_name


def default_sub_name(group: CommandGroup) -> str:
    used = set(group.subcommands)
    return next((name for name in DEFAULT_SUB_NAMES if name not in used), DEFAULT_SUB_NAMES[0])


def group_command(group: CommandGroup, nb: Translator, en: Translator) -> dict[str, Any] | None:
    """One slash command for a router group; None when Discord cannot name it."""
    if not _valid(group.name):
        return None
    english = _english_alias((group.name, *group.aliases))
    command: dict[str, Any] = {
        "type": 1,
        "name": group.name,
        "name_localizations": _localized(group.name, english),
        "contexts": [0, 1],  # servers and direct messages with the bot
        "integration_types": [0],
    }
    subs: list[dict[str, Any]] = []
    # Localized names must be unique among siblings: an alias that is another sub's name is left out.
    taken = {name for name in group.sub_names if _valid(name)}
    for canonical, names in group.sub_names.items():
        if not _valid(canonical):
            continue
        english_sub = _english_alias(names)
        if english_sub in taken:
            english_sub = None
        elif english_sub:
            taken.add(english_sub)
        subs.append(_subcommand(canonical, english_sub, group.subcommands[canonical], nb, en))
    if subs and group.default is not None:
        subs.insert(0, _subcommand(default_sub_name(group), None, group.default, nb, en, default=True))
    if subs:
        command.update(_describe(group.default or next(iter(group.subcommands.values())), nb, en, group.name))
        if group.default is None:
            command["description"] = _trim(nb.t("samskap: /{name}", name=group.name))
            command["description_localizations"] = {
                NORWEGIAN_LOCALE: command["description"],
                **{locale: _trim(en.t("samskap: /{name}", name=group.name)) for locale in ENGLISH_LOCALES},
            }
        command["options"] = subs[:SUBCOMMANDS_MAX]
    elif group.default is not None:
        command.update(_describe(group.default, nb, en, group.name))
        option = _text_option(group.default, nb, en) or _free_text_option(nb, en)
        command["options"] = [option]
    else:
        return None
    return command


def application_commands(router: Router, nb: Translator, en: Translator) -> list[dict[str, Any]]:
    """Every slash command for the router's groups, ready for a bulk overwrite."""
    commands = [c for g in router.commands.values() if (c := group_command(g, nb, en)) is not None]
    return commands[:COMMANDS_MAX]


def command_line(data: dict[str, Any], router: Router) -> tuple[str, str]:
    """(name, args) from an application command interaction's data, as the core parses them."""
    name = str(data.get("name", ""))
    group = router.commands.get(name)
    default_sub = default_sub_name(group) if group is not None else None
    words: list[str] = []
    options = list(data.get("options") or [])
    while options and options[0].get("type") in (1, 2):  # subcommand (group)
        sub = options[0]
        if not (sub["type"] == SUB_COMMAND and sub["name"] == default_sub):
            words.append(str(sub["name"]))
        options = list(sub.get("options") or [])
    for option in options:
        value = option.get("value")
        if value is not None and str(value).strip():
            words.append(str(value).strip())
    return name, " ".join(words)
