"""`samskap slack manifest`: commands come from the router, URLs and Socket Mode from the options."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from adapters.slack.cli import main
from adapters.slack.options import BOT_SCOPES
from bot.app import build_bot
from bot.config import Config

ROOT = Path(__file__).resolve().parents[2]


async def router_commands() -> set[str]:
    bot = await build_bot(Config(database_url="sqlite:///:memory:"), migrate=False)
    await bot.db.dispose()
    return set(bot.router.command_names())


def test_http_manifest_lists_every_router_command_with_the_events_url(capsys: pytest.CaptureFixture[str]) -> None:

    assert main(["manifest", "--url", "https://samskap.nordby.kommune.no/"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    commands = manifest["features"]["slash_commands"]
    assert {c["command"].lstrip("/") for c in commands} == asyncio.run(router_commands())
    assert {c["url"] for c in commands} == {"https://samskap.nordby.kommune.no/slack/events"}
    assert all(0 < len(c["description"]) <= 100 and c["should_escape"] for c in commands)
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["interactivity"]["request_url"] == "https://samskap.nordby.kommune.no/slack/events"
    assert "member_joined_channel" in settings["event_subscriptions"]["bot_events"]
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_socket_mode_manifest_has_no_request_urls(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--socket-mode"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])


def test_a_url_that_is_not_a_web_address_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--url", "example.org"]) == 2
    assert "https://" in capsys.readouterr().err


def test_the_committed_manifest_only_names_commands_the_bot_has() -> None:

    committed = yaml.safe_load((ROOT / "deploy" / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    names = {c["command"].lstrip("/") for c in committed["features"]["slash_commands"]}
    assert {"samskap", "ide", "ideer"} <= names
    assert names <= asyncio.run(router_commands())


def test_the_committed_manifest_is_what_the_command_prints_today(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--url", "https://example.org"]) == 0
    assert capsys.readouterr().out == (ROOT / "deploy" / "slack" / "manifest.yaml").read_text(encoding="utf-8"), (
        "regenerate it: samskap slack manifest --url https://example.org > deploy/slack/manifest.yaml"
    )


def test_each_command_name_is_described_in_its_own_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--socket-mode"]) == 0
    commands = {c["command"]: c for c in yaml.safe_load(capsys.readouterr().out)["features"]["slash_commands"]}
    assert commands["/ide"]["usage_hint"] == "[tekst #tagg]"
    assert commands["/idea"]["usage_hint"] == "[text #tag]"
    assert commands["/idea"]["description"] == "Share a practice idea (with no text: a form)"
    assert commands["/idear"]["usage_hint"] == "[søk]" and "ideane" in commands["/idear"]["description"]
    assert commands["/meetings"]["usage_hint"] == "calendar | new | remove"
    assert commands["/samling"]["usage_hint"] == "kalender | ny | fjern"
