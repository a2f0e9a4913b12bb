"""The weekly digest by e-mail, with double opt-in: nobody gets it until the address itself confirms.

A member asks with `/samskap epost <address>`, a leader invites an address outside the chat with
`/digest epost inviter <address>`; either way a message goes to the address with a link (and, for
a member, a code to type in the chat). Each e-mail goes through the outbox to the "email"
platform, whose destination names the subscription by id only, so no address is ever in a
delivery key, a log line or the outbox's destination.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapter import Destination
from bot.config import public_url
from bot.errors import UserError
from bot.events import User
from bot.features.mail import cards
from storage.models.core import Member, Network
from storage.models.mail import MAX_ADDRESS, MailSubscription
from storage.repositories.core import Networks
from storage.repositories.mail import MailSubscriptions

if TYPE_CHECKING:
    from bot.core_api import CoreApi

PLATFORM = "email"
CONFIRM_LIFETIME = timedelta(days=7)
CONFIRM_PATH = "/mail/confirm/"
UNSUBSCRIBE_PATH = "/mail/unsubscribe/"
# No quoting, comments or IP literals: an address a school gives its staff looks like this.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 8


class MailError(UserError):
    """Something the member or leader can fix; `msgid` is translated for them."""


@dataclass(frozen=True)
class Recipient:
    """What the e-mail adapter needs to send to one subscription."""

    address: str
    language: str
    network_name: str
    network_id: int
    unsubscribe_url: str
    confirmed: bool


@dataclass(frozen=True)
class Overview:
    confirmed: int
    pending: int
    bounced: list[MailSubscription]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_address(raw: str) -> str:
    """The address as typed, checked; the domain in lower case (the local part is the server's)."""
    text = raw.strip().removeprefix("mailto:").strip("<>")
    if len(text) > MAX_ADDRESS or not _ADDRESS.fullmatch(text):
        raise MailError("“{text}” is not an e-mail address I can send to, like ola@skole.no.", text=raw.strip())
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def destination(subscription_id: int, network_id: int) -> Destination:
    return Destination.dm(User(PLATFORM, str(network_id), str(subscription_id), ""))


def _code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


class MailService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    def enabled(self) -> bool:
        return bool(self.bot.config.section("mail").get("host")) and bool(public_url(self.bot.config))

    def _check_enabled(self) -> None:
        if not self.enabled():
            raise MailError("The digest by e-mail is not set up here; ask whoever runs samskap to set up [mail].")

    # -- signing up ---------------------------------------------------------------------------------
    async def subscribe(self, network: Network, member: Member, raw: str) -> None:
        """The member's own address (one per member): a new one replaces the old after confirming."""
        self._check_enabled()
        address = normalise_address(raw)
        language = self.bot.translator_for(member, network).language
        async with self.bot.db.session() as s:
            repo = MailSubscriptions(s)
            taken = await repo.by_address(network.id, address)
            if taken is not None and taken.member_id != member.id:
                raise MailError("That address already gets the digest, or is waiting to confirm it.")
            own = await repo.of_member(member.id)
            for old in (own, taken):
                if old is not None:
                    await repo.remove(old.id)
            await s.flush()
            subscription, token, code = await self._add(repo, network, address, language, member_id=member.id)
        await self._send_confirmation(network, subscription, token, code)

    async def invite(self, network: Network, leader: Member, raw: str) -> None:
        """An address outside the chat (a school leader); it gets the digest once it confirms by link."""
        self._check_enabled()
        address = normalise_address(raw)
        language = self.bot.translator_for(None, network).language
        async with self.bot.db.session() as s:
            repo = MailSubscriptions(s)
            existing = await repo.by_address(network.id, address)
            if existing is not None and existing.status in ("confirmed", "pending"):
                raise MailError("That address already gets the digest, or is waiting to confirm it.")
            if existing is not None:  # bounced: the leader has fixed it, try again
                await repo.remove(existing.id)
                await s.flush()
            subscription, token, _ = await self._add(repo, network, address, language, invited_by=leader.id)
        await self._send_confirmation(network, subscription, token, None)

    async def _add(
        self, repo: MailSubscriptions, network: Network, address: str, language: str, *,
        member_id: int | None = None, invited_by: int | None = None,
    ) -> tuple[MailSubscription, str, str]:  # fmt: skip
        now = self.bot.clock.now()
        token, code = secrets.token_urlsafe(32), _code()
        subscription = MailSubscription(
            network_id=network.id, member_id=member_id, invited_by_id=invited_by, address=address,
            language=language, status="pending", confirm_hash=_hash(token), code_hash=_hash(code),
            confirm_expires_at=now + CONFIRM_LIFETIME, unsubscribe_token=secrets.token_urlsafe(32), created_at=now,
        )  # fmt: skip
        return await repo.add(subscription), token, code

    async def _send_confirmation(
        self, network: Network, subscription: MailSubscription, token: str, code: str | None
    ) -> None:
        from bot.i18n import translator

        t = translator(subscription.language)
        link = f"{public_url(self.bot.config)}{CONFIRM_PATH}{token}"
        message = cards.confirmation(t, network.name, link, code)
        key = f"mail:confirm:{subscription.id}"
        await self.bot.outbox.deliver(key, destination(subscription.id, network.id), message)

    async def confirm_code(self, member: Member, code: str) -> None:
        async with self.bot.db.session() as s:
            repo = MailSubscriptions(s)
            own = await repo.of_member(member.id)
            wanted = code.strip().upper().replace(" ", "").replace("-", "")
            if own is None or own.status != "pending" or own.code_hash is None:
                raise MailError("You have no e-mail address waiting for confirmation.")
            if own.confirm_expires_at is not None and own.confirm_expires_at < self.bot.clock.now():
                raise MailError("The code has expired; ask again with /samskap epost <address>.")
            if not hmac.compare_digest(_hash(wanted), own.code_hash):
                raise MailError("“{text}” is not the code I sent; check the e-mail.", text=code.strip())
            await repo.confirm(own.id, self.bot.clock.now())

    async def confirm_token(self, token: str) -> bool:
        """The link in the confirmation e-mail (its page posts back): True when the address now gets it."""
        async with self.bot.db.session() as s:
            repo = MailSubscriptions(s)
            found = await repo.by_confirm_hash(_hash(token))
            if found is None or (found.confirm_expires_at and found.confirm_expires_at < self.bot.clock.now()):
                return False
            return await repo.confirm(found.id, self.bot.clock.now())

    async def language_of(self, *, confirm_token: str = "", unsubscribe_token: str = "") -> str | None:
        """The language the address reads, for the pages behind its links."""
        async with self.bot.db.read() as s:
            repo = MailSubscriptions(s)
            if confirm_token:
                found = await repo.by_confirm_hash(_hash(confirm_token))
            else:
                found = await repo.by_unsubscribe_token(unsubscribe_token)
        return found.language if found is not None else None

    async def unsubscribe(self, token: str) -> bool:
        """One click (RFC 8058) or the link in the body: the address is forgotten at once."""
        async with self.bot.db.session() as s:
            repo = MailSubscriptions(s)
            found = await repo.by_unsubscribe_token(token)
            return found is not None and await repo.remove(found.id)

    async def stop(self, member: Member) -> bool:
        async with self.bot.db.session() as s:
            repo = MailSubscriptions(s)
            own = await repo.of_member(member.id)
            return own is not None and await repo.remove(own.id)

    async def remove(self, network: Network, raw: str) -> bool:
        """A leader takes an address off (a bounced one to fix, or one that should not have it)."""
        address = normalise_address(raw)
        async with self.bot.db.session() as s:
            repo = MailSubscriptions(s)
            found = await repo.by_address(network.id, address)
            return found is not None and await repo.remove(found.id)

    async def status_of(self, member: Member) -> MailSubscription | None:
        async with self.bot.db.read() as s:
            return await MailSubscriptions(s).of_member(member.id)

    # -- leaders ------------------------------------------------------------------------------------
    async def overview(self, network: Network) -> Overview:
        async with self.bot.db.read() as s:
            repo = MailSubscriptions(s)
            counts = await repo.counts(network.id)
            bounced = await repo.bounced(network.id)
        return Overview(counts.get("confirmed", 0), counts.get("pending", 0), bounced)

    # -- for the digest and the e-mail adapter ------------------------------------------------------
    async def destinations(self, network: Network) -> list[tuple[Destination, str]]:
        """Confirmed addresses, as destinations with the language each reads."""
        if not self.enabled():
            return []
        async with self.bot.db.read() as s:
            rows = await MailSubscriptions(s).confirmed(network.id)
        return [(destination(row.id, network.id), row.language) for row in rows]

    async def recipient(self, subscription_id: int) -> Recipient | None:
        async with self.bot.db.read() as s:
            row = await MailSubscriptions(s).get(subscription_id)
            network = await Networks(s).get(row.network_id) if row is not None else None
        if row is None or network is None or row.status == "bounced":
            return None
        url = f"{public_url(self.bot.config)}{UNSUBSCRIBE_PATH}{row.unsubscribe_token}"
        return Recipient(row.address, row.language, network.name, network.id, url, row.status == "confirmed")

    async def bounced(self, subscription_id: int, reason: str) -> None:
        """The server refused the address for good: leaders see it and why, and it gets no more."""
        async with self.bot.db.session() as s:
            await MailSubscriptions(s).mark_bounced(subscription_id, reason, self.bot.clock.now())

    # -- the member's data --------------------------------------------------------------------------
    async def export(self, s: AsyncSession, member: Member) -> dict[str, Any]:
        own = await MailSubscriptions(s).of_member(member.id)
        if own is None:
            return {"digest_by_email": None}
        at = {k: v.isoformat() if v else None for k, v in (("asked_at", own.created_at), ("confirmed_at",
              own.confirmed_at))}  # fmt: skip
        found = {"address": own.address, "status": own.status, "language": own.language, **at}
        return {"digest_by_email": {**found, "refused_because": own.last_error}}
