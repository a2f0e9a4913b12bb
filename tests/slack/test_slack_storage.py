"""Installations and OAuth states on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import text

from adapters.slack.oauth import (
    DatabaseInstallationStore,
    DatabaseStateStore,
    erase_installer,
    export_installations,
)
from bot.clock import FakeClock
from bot.events import User
from storage.db import Database
from storage.models.core import Role
from storage.repositories.core import Members, Networks
from storage.secrets import SecretKeyError, TokenCipher


async def test_a_reinstall_replaces_the_token_and_an_uninstall_removes_it(any_database_url: str) -> None:
    db, clock = Database(any_database_url), FakeClock()
    await db.migrate()
    try:
        store = DatabaseInstallationStore(db, clock)
        for token in ("xoxb-first", "xoxb-second"):
            await store.async_save(Installation(
                app_id="A1", team_id="T2", team_name="Sørby kommune", bot_token=token, bot_id="B1",
                bot_user_id="UBOT", bot_scopes="commands,chat:write", user_id="UINSTALLER",
            ))  # fmt: skip
        bot = await store.async_find_bot(enterprise_id=None, team_id="T2")
        assert bot is not None and bot.bot_token == "xoxb-second" and bot.bot_scopes == ["commands", "chat:write"]
        assert await store.bot_token("T2") == "xoxb-second"
        assert await store.async_find_bot(enterprise_id=None, team_id="T3") is None
        installation = await store.async_find_installation(enterprise_id=None, team_id="T2")
        assert installation is not None and installation.bot_user_id == "UBOT"
        await store.async_delete_installation(enterprise_id=None, team_id="T2")
        assert await store.bot_token("T2") is None
    finally:
        await db.dispose()


async def test_an_oauth_state_works_once_and_only_before_it_expires(any_database_url: str) -> None:
    db, clock = Database(any_database_url), FakeClock()
    await db.migrate()
    try:
        states = DatabaseStateStore(db, clock, "client-secret")
        fresh, stale = await states.async_issue(), await states.async_issue()
        assert await states.async_consume(fresh) is True
        assert await states.async_consume(fresh) is False
        clock.advance(timedelta(minutes=11))
        assert await states.async_consume(stale) is False
        assert await states.async_consume("made-up") is False
        assert await states.async_consume("made.up.state") is False
    finally:
        await db.dispose()


async def test_issuing_oauth_states_writes_nothing_and_used_ones_are_purged(any_database_url: str) -> None:
    """Anyone can load the install page: that must not grow the database."""
    db, clock = Database(any_database_url), FakeClock()
    await db.migrate()
    try:
        states = DatabaseStateStore(db, clock, "client-secret")
        issued = [await states.async_issue() for _ in range(200)]
        assert await used_states(db) == 0

        nonce, expires, _mac = issued[0].split(".")
        later = str(int(expires) + 3600)
        assert await states.async_consume(f"{nonce}.{later}.{_mac}") is False, "a longer life, same signature"
        assert await DatabaseStateStore(db, clock, "another-app").async_consume(issued[0]) is False
        assert await states.async_consume(issued[0]) is True
        assert await used_states(db) == 1
        clock.advance(timedelta(minutes=11))
        fresh = await states.async_issue()
        assert await states.async_consume(fresh) is True
        assert await used_states(db) == 1, "the expired used state is purged"
    finally:
        await db.dispose()


async def used_states(db: Database) -> int:
    from storage.repositories.slack import SlackOAuthStates

    async with db.read() as s:
        return await SlackOAuthStates(s).count()


async def test_the_installer_sees_the_install_in_their_data_and_can_be_erased_from_it(any_database_url: str) -> None:
    db, clock = Database(any_database_url), FakeClock()
    await db.migrate()
    try:
        await DatabaseInstallationStore(db, clock).async_save(Installation(
            team_id="T2", bot_token="xoxb-x", bot_id="B1", bot_user_id="UBOT", user_id="UKARI",
        ))  # fmt: skip
        async with db.session() as s:
            network = await Networks(s).create(name="N", language="nb", timezone="Europe/Oslo",
                                               workspace_key="slack:T2", now=clock.now())  # fmt: skip
            kari = await Members(s).add(network, User("slack", "T2", "UKARI", "Kari"), "Nordby", Role.PARTICIPANT,
                                        clock.now())  # fmt: skip
            exported = await export_installations(s, kari)
        assert exported == [{"workspace": "T2", "team_name": "", "installed_at": clock.now().isoformat()}]
        assert "xoxb" not in str(exported)
        async with db.session() as s:
            await erase_installer(s, kari)
        async with db.session() as s:
            assert await export_installations(s, kari) == []
        assert await DatabaseInstallationStore(db, clock).bot_token("T2") == "xoxb-x"
    finally:
        await db.dispose()


TOKEN = "xoxb-1234-5678-tokenmarker"


def install(token: str = TOKEN, team: str = "T2") -> Installation:
    return Installation(team_id=team, bot_token=token, bot_id="B1", bot_user_id="UBOT", user_id="UKARI")


async def stored_tokens(db: Database) -> list[str]:
    async with db.session() as s:
        return list((await s.scalars(text("SELECT bot_token FROM slack_installations ORDER BY id"))).all())


async def test_with_a_secret_key_the_stored_column_does_not_hold_the_token(any_database_url: str) -> None:
    db, clock = Database(any_database_url), FakeClock()
    await db.migrate()
    try:
        store = DatabaseInstallationStore(db, clock, TokenCipher.from_keys(Fernet.generate_key().decode()))
        await store.async_save(install())
        [stored] = await stored_tokens(db)
        assert "tokenmarker" not in stored and "xoxb" not in stored
        assert await store.bot_token("T2") == TOKEN
        found = await store.async_find_bot(enterprise_id=None, team_id="T2")
        assert found is not None and found.bot_token == TOKEN
    finally:
        await db.dispose()


async def test_tokens_stored_in_clear_still_read_and_are_encrypted_at_start(any_database_url: str) -> None:
    db, clock = Database(any_database_url), FakeClock()
    await db.migrate()
    try:
        await DatabaseInstallationStore(db, clock).async_save(install())
        assert await stored_tokens(db) == [TOKEN]  # without a key: in clear
        store = DatabaseInstallationStore(db, clock, TokenCipher.from_keys(Fernet.generate_key().decode()))
        assert await store.bot_token("T2") == TOKEN
        assert await store.encrypt_stored_tokens() == 1
        assert TOKEN not in (await stored_tokens(db))[0]
        assert await store.bot_token("T2") == TOKEN
        assert await store.encrypt_stored_tokens() == 0
    finally:
        await db.dispose()


async def test_a_key_is_rotated_by_putting_the_new_one_first(any_database_url: str) -> None:
    db, clock = Database(any_database_url), FakeClock()
    await db.migrate()
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    try:
        await DatabaseInstallationStore(db, clock, TokenCipher.from_keys(old)).async_save(install())
        both = DatabaseInstallationStore(db, clock, TokenCipher.from_keys(f"{new}, {old}"))
        assert await both.bot_token("T2") == TOKEN  # the old key still decrypts
        await both.async_save(install(team="T3"))  # the first key encrypts
        assert await DatabaseInstallationStore(db, clock, TokenCipher.from_keys(new)).bot_token("T3") == TOKEN
        assert await both.encrypt_stored_tokens() == 1  # T2, written again under the new key
        only_new = DatabaseInstallationStore(db, clock, TokenCipher.from_keys(new))
        assert await only_new.bot_token("T2") == TOKEN and await only_new.bot_token("T3") == TOKEN
        with pytest.raises(SecretKeyError):
            await DatabaseInstallationStore(db, clock, TokenCipher.from_keys(old)).bot_token("T2")
        with pytest.raises(SecretKeyError):
            await DatabaseInstallationStore(db, clock).encrypt_stored_tokens()  # the key was removed
    finally:
        await db.dispose()
