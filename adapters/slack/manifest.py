"""The Slack app manifest: commands from the core router, scopes, events and URLs, as YAML."""

from __future__ import annotations

from typing import Any

import yaml

from adapters.slack.options import BOT_EVENTS, BOT_SCOPES
from adapters.slack.render import truncate
from adapters.slack.runner import EVENTS_PATH
from bot.command_names import language_of_name, shown_name
from bot.i18n import Translator, translator
from bot.router import Router

MAX_DESCRIPTION = 100  # what Slack's command settings page accepts
MAX_USAGE_HINT = 100


def command_entries(router: Router, t: Translator, events_url: str | None) -> list[dict[str, Any]]:
    """One slash command per top-level name and alias the router knows, described by its help.

    Each name speaks its own language: `/ideas` is described in English, `/idear` in nynorsk, and
    the others in `t`'s language (Slack shows one description and usage hint per command)."""
    entries = []
    for name in router.command_names():
        group = router.commands.get(name) or next(g for g in router.commands.values() if name in g.aliases)
        words = translator(language_of_name(name, group.names, t.language))
        route = group.default or next(iter(group.subcommands.values()), None)
        description = words.t(route.help) if route is not None and route.help else f"/{group.name}"
        entry: dict[str, Any] = {"command": f"/{name}", "description": truncate(description, MAX_DESCRIPTION)}
        if events_url:
            entry["url"] = events_url
        if group.default is not None and group.default.usage:
            entry["usage_hint"] = truncate(words.t(group.default.usage), MAX_USAGE_HINT)
        elif group.sub_names:
            subs = (shown_name(names, words.language) for names in group.sub_names.values())
            entry["usage_hint"] = truncate(" | ".join(subs), MAX_USAGE_HINT)
        # Mentions arrive as <@U…> and links as <https://…>, which the adapter reads reliably.
        entry["should_escape"] = True
        entries.append(entry)
    return entries


def build_manifest(
    router: Router, t: Translator, *, url: str | None, socket_mode: bool, name: str = "samskap"
) -> dict[str, Any]:
    base = url.rstrip("/") if url else None
    events_url = None if socket_mode or base is None else base + EVENTS_PATH
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    if events_url:
        settings["event_subscriptions"]["request_url"] = events_url
        settings["interactivity"]["request_url"] = events_url
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if base:
        oauth["redirect_urls"] = [base + "/slack/oauth_redirect"]
    return {
        "display_information": {
            "name": name,
            "description": t.t("Keeps a learning network learning between its meetings"),
            "background_color": "#2c5f2d",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": command_entries(router, t, events_url),
        },
        "oauth_config": oauth,
        "settings": settings,
    }


def manifest_yaml(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=120)
