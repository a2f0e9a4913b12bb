"""Teams configuration and what the adapter stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.cli import adapter_problems
from adapters.teams.options import MULTI_TENANT_AUTHORITY, TeamsOptions
from bot.config import Config, check_config
from storage.db import Database
from storage.repositories.teams import People, Stash, Tenants

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TENANT = "11111111-2222-3333-4444-555555555555"


def test_teams_runs_unauthenticated_without_an_app_id_and_needs_the_rest_with_one() -> None:
    teams = Config(adapter="teams")

    def problems(env: dict[str, str]) -> list[str]:
        return check_config(teams, env=env) + adapter_problems(teams, env)

    assert problems({}) == []
    found = "\n".join(problems({"MicrosoftAppId": "app"}))
    assert "MicrosoftAppPassword" in found and "MicrosoftAppTenantId" in found
    sdk_names = {"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "app",
                 "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "s3cret",
                 "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": TENANT}  # fmt: skip
    assert problems(sdk_names) == []
    assert problems({"MicrosoftAppId": "app", "MicrosoftAppType": "UserAssignedMSI"}) == []
    multi_tenant = {"MicrosoftAppId": "app", "MicrosoftAppPassword": "s3cret", "MicrosoftAppType": "MultiTenant"}
    assert problems(multi_tenant) == []


def test_options_read_bot_framework_names_and_hide_the_secret() -> None:
    env = {"MicrosoftAppId": "app", "MicrosoftAppPassword": "s3cret", "MicrosoftAppType": "MultiTenant"}
    options = TeamsOptions.from_config(Config(adapter="teams"), env, port=3978)
    assert options.authenticated and options.port == 3978 and "s3cret" not in repr(options)
    configuration = options.auth_configuration()
    assert configuration.CLIENT_ID == "app" and configuration.CLIENT_SECRET == "s3cret"
    assert configuration.TENANT_ID == MULTI_TENANT_AUTHORITY
    assert not TeamsOptions.from_config(Config(adapter="teams"), {}).authenticated


async def test_tenants_people_and_forms_are_kept(any_database_url: str) -> None:
    db = Database(any_database_url)
    await db.migrate()
    try:
        async with db.session() as s:
            await Tenants(s).remember(TENANT, "https://smba.trafficmanager.net/emea/", "28:bot", NOW)
            await Tenants(s).remember(TENANT, "https://smba.trafficmanager.net/amer/", "28:bot", NOW)
            await People(s).remember(TENANT, "aad-kari", "29:kari", "", NOW)
            await People(s).remember(TENANT, "aad-kari", "29:kari", "a:chat", NOW)
            await People(s).remember(TENANT, "aad-kari", "29:kari", "", NOW)  # a channel message keeps the chat
            await Stash(s).put("old", "form", "aad-kari", {"form": {}}, NOW - timedelta(days=3))
            await Stash(s).put("new", "file", "aad-kari", {"filename": "samsnakk.ics"}, NOW)
        async with db.session() as s:
            tenant = await Tenants(s).get(TENANT)
            assert tenant is not None and tenant.service_url.endswith("/amer/")
            person = await People(s).get(TENANT, "aad-kari")
            assert person is not None and (person.teams_id, person.conversation_id) == ("29:kari", "a:chat")
            assert await Stash(s).get("new", "form") is None  # a key is only found as what it is
            await Stash(s).remove_older_than(NOW - timedelta(days=2))
        async with db.session() as s:
            assert [f.key for f in await Stash(s).of("aad-kari")] == ["new"]
            assert await Stash(s).remove("new") and not await Stash(s).remove("new")
            await Stash(s).put("newer", "form", "aad-kari", {}, NOW)
            await Stash(s).remove_of("aad-kari")
            await People(s).forget(TENANT, "aad-kari")
        async with db.session() as s:
            assert await Stash(s).of("aad-kari") == [] and await People(s).get(TENANT, "aad-kari") is None
    finally:
        await db.dispose()


def test_a_single_tenant_bot_answers_its_own_tenant_and_a_list_narrows_any_bot() -> None:
    single = TeamsOptions.from_config(Config(), {"MicrosoftAppId": "app", "MicrosoftAppTenantId": TENANT})
    assert single.allowed_tenants() == {TENANT}
    multi = TeamsOptions.from_config(Config(), {"MicrosoftAppId": "app", "MicrosoftAppType": "MultiTenant"})
    assert multi.allowed_tenants() == frozenset()
    listed = TeamsOptions.from_config(Config(sections={"teams": {"tenants": ["a", "b"]}}), {})
    assert listed.allowed_tenants() == {"a", "b"}
    assert TeamsOptions.from_config(Config(), {"SAMSKAP_TEAMS_TENANTS": "a, b"}).allowed_tenants() == {"a", "b"}
