"""Signatures, stale requests, workspaces that have not installed the app, and the OAuth install."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from fake_slack import FakeSlack, command_body, event_body
from slack_harness import SECRET, SlackHarness, start_harness

from bot.config import Secret
from bot.events import User
from storage.models.core import Member
from storage.repositories.core import Members
from storage.repositories.slack import SlackInstallations
from tests.support import eventually

FORM = "application/x-www-form-urlencoded"


async def member_count(slack: SlackHarness) -> int:
    from sqlalchemy import func, select

    async with slack.bot.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(Member)) or 0)


async def settle() -> None:
    await asyncio.sleep(0.2)


async def test_a_bad_signature_gets_401_and_changes_nothing(slack: SlackHarness) -> None:
    response = await slack.post(command_body("/samskap", "bli-med Nordby skole"), FORM, secret="not-the-secret")
    await settle()
    assert response.status == 401
    assert await member_count(slack) == 0
    assert slack.fake.hooks == []
    assert [c.method for c in slack.fake.requests if c.method != "auth.test"] == []


async def test_a_missing_signature_gets_401(slack: SlackHarness) -> None:
    response = await slack.post(command_body("/samskap"), FORM, headers={"Content-Type": FORM})
    assert response.status == 401


async def test_a_request_older_than_five_minutes_gets_401(slack: SlackHarness) -> None:
    old = int(time.time()) - 6 * 60
    response = await slack.post(command_body("/samskap", "bli-med Nordby skole"), FORM, timestamp=old)
    await settle()
    assert response.status == 401
    assert await member_count(slack) == 0


async def test_a_workspace_that_has_not_installed_the_app_is_rejected(slack: SlackHarness) -> None:
    response = await slack.command("/samskap", "bli-med Nordby skole", team="T_OTHER")
    await settle()
    assert response.status == 401
    assert await member_count(slack) == 0
    assert slack.fake.hooks == []


async def test_health_check_answers(slack: SlackHarness) -> None:
    async with slack.http.get(str(slack.server.make_url("/healthz"))) as response:
        assert response.status == 200
        assert (await response.json())["ok"] is True


async def test_url_verification_is_answered(slack: SlackHarness) -> None:
    response = await slack.event({"type": "url_verification", "challenge": "abc123", "token": "legacy"})
    assert response.status == 200
    assert (await response.json())["challenge"] == "abc123"


async def test_install_flow_stores_the_workspace_and_only_installed_workspaces_get_in(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    slack = await start_harness(
        tmp_path, fake_slack, bot_token=Secret(""), client_id="111.222", client_secret=Secret("client-secret")
    )
    try:
        # Before any install, nobody gets in: they are told the app is not installed.
        await slack.command("/samskap", "bli-med Sørby skole", team="T2", user="UOLA")
        refusal = (await fake_slack.wait_for_hooks())[0]
        assert "installed" in refusal["text"] or "installert" in refusal["text"]
        assert await member_count(slack) == 0

        async with slack.http.get(str(slack.server.make_url("/slack/install")), allow_redirects=False) as page:
            assert page.status in (200, 302)
            body = await page.text()
            cookie = page.headers.get("Set-Cookie", "").split(";")[0]
        match = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', body)
        assert match is not None
        location = match.group(1).replace("&amp;", "&")
        assert location.startswith(fake_slack.url + "/oauth/v2/authorize?")
        state = parse_qs(urlparse(location).query)["state"][0]
        assert "commands" in parse_qs(urlparse(location).query)["scope"][0]

        redirect = str(slack.server.make_url(f"/slack/oauth_redirect?code=c0de&state={state}"))
        async with slack.http.get(redirect, headers={"Cookie": cookie}, allow_redirects=False) as done:
            assert done.status == 200
        exchange = fake_slack.requests_to("oauth.v2.access")[0].params
        assert exchange["code"] == "c0de"
        async with slack.bot.db.session() as s:
            row = await SlackInstallations(s).by_team("T2")
        assert row is not None and row.bot_token == "xoxb-installed" and row.installer_user_id == "UINSTALLER"

        # The same state cannot be used twice.
        async with slack.http.get(redirect, headers={"Cookie": cookie}, allow_redirects=False) as again:
            assert again.status != 200 or "error" in (await again.text()).lower()

        response = await slack.command("/samskap", "bli-med Sørby skole", team="T2", user="UOLA")
        assert response.status == 200
        await fake_slack.wait_for_hooks(2)
        assert fake_slack.requests_to("users.info")[-1].token == "xoxb-installed"
        async with slack.bot.db.session() as s:
            assert await Members(s).networks_of(User("slack", "T2", "UOLA"))

        await slack.event(event_body({"type": "member_joined_channel", "user": "UPER", "channel": "C1"}, team="T3"))
        assert fake_slack.requests_to("chat.postEphemeral") == []

        # Uninstalling forgets the token; the workspace is then rejected.
        await slack.event(event_body({"type": "app_uninstalled"}, team="T2"))

        async def forgotten() -> bool:
            async with slack.bot.db.session() as s:
                return await SlackInstallations(s).by_team("T2") is None

        await eventually(forgotten, what="the installation removed")
        assert (await slack.event(event_body({"type": "app_home_opened", "user": "UOLA"}, team="T2"))).status != 200
    finally:
        await slack.close()


async def test_signing_secret_never_appears_in_logs(slack: SlackHarness, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("DEBUG")
    slack.fake.fail("chat.postEphemeral", error="invalid_auth")
    await slack.event(event_body({"type": "member_joined_channel", "user": "UPER", "channel": "C1", "team": "T1"}))
    await slack.fake.wait_for("chat.postEphemeral")
    await settle()
    assert SECRET not in caplog.text
    assert "xoxb-test" not in caplog.text
