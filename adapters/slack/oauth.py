"""Installations and OAuth state for multi-workspace installs, kept in the project's database."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot as SlackBot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from storage.db import Database
from storage.models.core import Member
from storage.models.slack import SlackInstallation
from storage.repositories.slack import SlackInstallations, SlackOAuthStates
from storage.secrets import TokenCipher

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)


class DatabaseInstallationStore(AsyncInstallationStore):
    """Bot tokens per workspace, encrypted when SAMSKAP_SECRET_KEY is set (`storage.secrets`).
    User tokens are never requested, so none are stored."""

    def __init__(self, db: Database, clock: Clock, cipher: TokenCipher | None = None) -> None:
        self.db = db
        self.clock = clock
        self.cipher = cipher or TokenCipher()

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await self.async_save_bot(installation.to_bot())
        if installation.user_id:
            async with self.db.session() as s:
                row = await SlackInstallations(s).find(installation.enterprise_id, installation.team_id)
                if row is not None:
                    row.installer_user_id = installation.user_id
        log.info("slack app installed in workspace %s", installation.team_id)

    async def async_save_bot(self, bot: SlackBot) -> None:
        async with self.db.session() as s:
            await SlackInstallations(s).save(
                SlackInstallation(
                    enterprise_id=bot.enterprise_id, team_id=bot.team_id, team_name=bot.team_name or "",
                    app_id=bot.app_id or "", bot_token=self.cipher.encrypt(bot.bot_token), bot_id=bot.bot_id or "",
                    bot_user_id=bot.bot_user_id or "", bot_scopes=",".join(bot.bot_scopes or []),
                    installer_user_id="", is_enterprise_install=bool(bot.is_enterprise_install),
                    installed_at=self.clock.now(),
                )
            )  # fmt: skip

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> SlackBot | None:
        async with self.db.session() as s:
            repo = SlackInstallations(s)
            row = await repo.find(enterprise_id, team_id)
            if row is None and enterprise_id and not is_enterprise_install:
                row = await repo.find(None, team_id)
        if row is None:
            return None
        return SlackBot(
            app_id=row.app_id, enterprise_id=row.enterprise_id, team_id=row.team_id, team_name=row.team_name,
            bot_token=self.cipher.decrypt(row.bot_token), bot_id=row.bot_id, bot_user_id=row.bot_user_id,
            bot_scopes=row.bot_scopes, is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at.timestamp(),
        )  # fmt: skip

    async def async_find_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:  # fmt: skip
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        if bot is None:
            return None
        return Installation(
            app_id=bot.app_id, enterprise_id=bot.enterprise_id, team_id=bot.team_id, team_name=bot.team_name,
            bot_token=bot.bot_token, bot_id=bot.bot_id, bot_user_id=bot.bot_user_id, bot_scopes=bot.bot_scopes,
            user_id=user_id or "", is_enterprise_install=bot.is_enterprise_install, installed_at=bot.installed_at,
        )  # fmt: skip

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        async with self.db.session() as s:
            await SlackInstallations(s).delete(enterprise_id, team_id)
        log.info("slack app removed from workspace %s", team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def bot_token(self, team_id: str) -> str | None:
        async with self.db.session() as s:
            row = await SlackInstallations(s).by_team(team_id)
        return self.cipher.decrypt(row.bot_token) if row else None

    async def encrypt_stored_tokens(self) -> int:
        """At start: check that every stored token can be read (SecretKeyError if not), and write
        again under the first key those stored in clear before a key was set and those under an
        older key, so that the older key can be dropped. Returns how many changed."""
        changed = 0
        async with self.db.session() as s:
            for row in await SlackInstallations(s).all_for_update():
                self.cipher.decrypt(row.bot_token)
                stored = self.cipher.reencrypt(row.bot_token)
                if stored != row.bot_token:
                    row.bot_token = stored
                    changed += 1
        if changed:
            log.info("slack: encrypted %d stored bot token(s) with the first SAMSKAP_SECRET_KEY", changed)
        return changed


class DatabaseStateStore(AsyncOAuthStateStore):
    """One-time OAuth states. Issuing one writes nothing: the state is a random nonce with its
    expiry, signed with the app's client secret. A state that comes back is checked and then
    recorded as used (until it expires), so the install page can be loaded any number of times
    without filling the database, and a state still works only once."""

    def __init__(self, db: Database, clock: Clock, secret: str) -> None:
        self.db = db
        self.clock = clock
        self._key = hashlib.sha256(b"samskap oauth state\x00" + secret.encode()).digest()

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = secrets.token_urlsafe(16)
        expires = int((self.clock.now() + STATE_LIFETIME).timestamp())
        return f"{nonce}.{expires}.{self._sign(nonce, expires)}"

    async def async_consume(self, state: str) -> bool:
        nonce, expires = self._verified(state)
        now = self.clock.now()
        if nonce is None or expires is None or expires < now:
            return False
        try:
            async with self.db.session() as s:
                await SlackOAuthStates(s).use(nonce, expires, now)
        except IntegrityError:
            return False  # used before
        return True

    def _sign(self, nonce: str, expires: int) -> str:
        return hmac.new(self._key, f"{nonce}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def _verified(self, state: str) -> tuple[str | None, datetime | None]:
        nonce, _, rest = state.partition(".")
        expires_text, _, mac = rest.partition(".")
        if not (nonce and expires_text.isascii() and expires_text.isdigit() and len(expires_text) <= 12):
            return None, None
        if not hmac.compare_digest(mac, self._sign(nonce, int(expires_text))):
            return None, None
        return nonce, datetime.fromtimestamp(int(expires_text), UTC)


async def export_installations(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    """For `mine-data`: the workspaces this member installed the app in (no tokens)."""
    if member.platform != "slack":
        return []
    rows = await SlackInstallations(session).installed_by(member.workspace_id, member.user_id)
    return [
        {"workspace": r.team_id, "team_name": r.team_name, "installed_at": r.installed_at.isoformat()} for r in rows
    ]


async def erase_installer(session: AsyncSession, member: Member) -> None:
    """For `slett-meg`: forget who installed the app (the workspace keeps its installation)."""
    if member.platform != "slack":
        return
    for row in await SlackInstallations(session).installed_by(member.workspace_id, member.user_id):
        row.installer_user_id = ""
