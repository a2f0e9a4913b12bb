"""The Teams app package: manifest.json (bokmål, with an English translation), two icons, zipped.

The bot works in team channels, group chats and personal chats. Its command menu lists the
router's commands with their help texts. Reading every channel message (for links shared without
an @mention) is a resource-specific permission a team owner grants on install; it is asked for only
with `channel_messages`.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from adapters.teams.icons import ACCENT, colour_icon, outline_icon
from bot.command_names import shown_name
from bot.i18n import N_, Translator
from bot.router import Router

MANIFEST_VERSION = "1.22"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.Localization.schema.json"
)
DEFAULT_LANGUAGE_TAG = "nb-no"
OTHER_LANGUAGES = {"en-us": "en", "nn-no": "nn"}
SCOPES = ["team", "groupChat", "personal"]
COMMANDS_MAX = 10  # Teams shows at most ten commands per list
TITLE_MAX, COMMAND_DESCRIPTION_MAX = 32, 128
SHORT_MAX, FULL_MAX = 80, 4000
PROJECT_URL = "https://github.com/samskap/samskap"
SHORT = N_("Keeps a learning network learning between its meetings")
FULL = N_(
    "samskap helps teachers in a learning network share practice ideas, try them, report back, "
    "give each other kind and honest feedback, and book short talks two and two."
)


def commands(router: Router, t: Translator) -> list[dict[str, str]]:
    """The command menu: each top-level command, and joining, with its help text."""
    entries: list[dict[str, str]] = []
    english = t.language == "en"
    for group in router.commands.values():
        route = group.default or next(iter(group.subcommands.values()), None)
        title = group.name
        if english:  # the English alias where there is one: both work
            title = next((a for a in group.aliases if _english(a, group.name)), group.name)
        elif t.language == "nn":  # the nynorsk name where it differs (`idear`); every name works
            title = shown_name((group.name, *group.aliases), "nn")
        description = t.t(route.help) if route and route.help else title
        entries.append({"title": title[:TITLE_MAX], "description": _cut(description, COMMAND_DESCRIPTION_MAX)})
        if group.name == "samskap" and "bli-med" in group.subcommands:
            join = group.subcommands["bli-med"]
            title = "join" if english else "bli-med"  # the same in bokmål and nynorsk
            entries.append({"title": title, "description": _cut(t.t(join.help), COMMAND_DESCRIPTION_MAX)})
    return entries[:COMMANDS_MAX]


def build_manifest(
    router: Router, t: Translator, *, app_id: str, name: str = "samskap", url: str = PROJECT_URL,
    version: str = "1.0.0", channel_messages: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The manifest in `t`'s language (the package's default language)."""
    manifest: dict[str, Any] = {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {"name": "samskap", "websiteUrl": url, "privacyUrl": url, "termsOfUseUrl": url},
        "name": {"short": name[:30], "full": name[:100]},
        "description": {"short": _cut(t.t(SHORT), SHORT_MAX), "full": _cut(t.t(FULL), FULL_MAX)},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{
            "botId": app_id, "scopes": SCOPES, "isNotificationOnly": False, "supportsFiles": True,
            "commandLists": [{"scopes": SCOPES, "commands": commands(router, t)}],
        }],
        "validDomains": [],
        "localizationInfo": {
            "defaultLanguageTag": DEFAULT_LANGUAGE_TAG,
            "additionalLanguages": [{"languageTag": tag, "file": f"{tag}.json"} for tag in OTHER_LANGUAGES],
        },
    }  # fmt: skip
    if channel_messages:
        manifest["webApplicationInfo"] = {"id": app_id, "resource": "https://RscBasedStoreApp"}
        manifest["authorization"] = {"permissions": {"resourceSpecific": [
            {"name": "ChannelMessage.Read.Group", "type": "Application"},
        ]}}  # fmt: skip
    return manifest


def localization(manifest: dict[str, Any]) -> dict[str, Any]:
    """The strings of a manifest (built in another language) as a Teams localization file."""
    strings: dict[str, Any] = {"$schema": LOCALIZATION_SCHEMA, "name.short": manifest["name"]["short"],
                               "name.full": manifest["name"]["full"],
                               "description.short": manifest["description"]["short"],
                               "description.full": manifest["description"]["full"]}  # fmt: skip
    for index, command in enumerate(manifest["bots"][0]["commandLists"][0]["commands"]):
        strings[f"bots[0].commandLists[0].commands[{index}].title"] = command["title"]
        strings[f"bots[0].commandLists[0].commands[{index}].description"] = command["description"]
    return strings


def package(manifest: dict[str, Any], translations: dict[str, dict[str, Any]]) -> bytes:
    """The zip Teams takes: manifest.json, the localization files and both icons at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for tag, strings in translations.items():
            archive.writestr(f"{tag}.json", json.dumps(strings, ensure_ascii=False, indent=2))
        archive.writestr("color.png", colour_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()


def _english(alias: str, name: str) -> bool:
    """Aliases are English names, Norwegian plurals (`samlinger`) and `samskap-help`."""
    return alias.isascii() and alias not in (f"{name}er", f"{name}r", f"{name}-help")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
