"""The "email" platform: the outbox delivers to it like to a chat, so each e-mail is sent once.

SMTP through aiosmtplib: STARTTLS or TLS, login, a timeout on every step. A 4xx answer or a lost
connection is retryable (the outbox tries again later); a 5xx answer is final: the subscription is
marked bounced with the server's reason for leaders to see. Sends to one server are spaced by a
rate limit. No address or server answer is logged: only the subscription id and the SMTP code.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosmtplib

from adapters.mail.render import POLICY, Envelope, email_message
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.clock import Clock
from bot.config import Config, secret
from bot.events import Conversation, Event, User
from bot.features.mail.service import PLATFORM, Recipient
from bot.i18n import translator
from bot.messages import Form, Message
from bot.router import CommandGroup

log = logging.getLogger(__name__)

Lookup = Callable[[int], Awaitable[Recipient | None]]
Bounce = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class MailOptions:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    from_address: str = ""
    timeout: float = 30.0
    rate_per_second: float = 5.0

    @staticmethod
    def from_config(cfg: Config, env: dict[str, str] | None = None) -> MailOptions:
        section = cfg.section("mail")
        security = str(section.get("security", "starttls"))
        default_port = {"tls": 465, "none": 25}.get(security, 587)
        return MailOptions(
            host=str(section.get("host", "")),
            port=int(section.get("port", default_port)),
            security=security,
            username=str(section.get("username", "")),
            password=secret("SAMSKAP_SMTP_PASSWORD", env).get(),
            from_address=str(section.get("from_address", "")),
            timeout=float(section.get("timeout", 30.0)),
            rate_per_second=float(section.get("rate_per_second", 5.0)),
        )


class RateLimit:
    """At most `per_second` sends begin each second, across every task sending to this server."""

    def __init__(
        self, per_second: float, *, now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:  # fmt: skip
        self.interval = 1.0 / per_second
        self._now, self._sleep = now, sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            delay = self._next - self._now()
            if delay > 0:
                await self._sleep(delay)
            self._next = max(self._now(), self._next) + self.interval


class MailAdapter:
    platform = PLATFORM
    auto_setup = False  # e-mail brings no events: nothing is set up from it

    def __init__(self, options: MailOptions, clock: Clock, lookup: Lookup, on_bounce: Bounce) -> None:
        self.options = options
        self.clock = clock
        self.lookup = lookup
        self.on_bounce = on_bounce
        self.rate = RateLimit(options.rate_per_second)

    def default_subcommand(self, group: CommandGroup) -> str | None:
        return None  # e-mail shows no help

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        assert destination.user is not None
        subscription_id = int(destination.user.id)
        recipient = await self.lookup(subscription_id)
        if recipient is None:  # unsubscribed, erased or bounced since the message was queued
            raise DeliveryError("gone", retryable=False)
        mail = email_message(message, self.envelope(recipient), self.clock.now())
        if key:  # a repeat after a crash carries the same Message-ID, which mail clients show once
            del mail["Message-ID"]
            domain = self.options.from_address.rpartition("@")[2] or "samskap"
            mail["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"
        await self.rate.wait()
        try:
            # Flattened here: aiosmtplib's own policy would fold (and so encode) List-Unsubscribe.
            raw = mail.as_bytes(policy=POLICY)
            await aiosmtplib.send(raw, sender=self.options.from_address, recipients=[recipient.address],
                                  **self._connection())  # fmt: skip
        except aiosmtplib.SMTPRecipientsRefused as error:
            await self._refused(subscription_id, error.recipients[0].code, error.recipients[0].message)
        except aiosmtplib.SMTPResponseException as error:
            await self._refused(subscription_id, error.code, error.message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            reason = type(error).__name__
            log.warning("mail: subscription %s: no connection to the server (%s)", subscription_id, reason)
            raise DeliveryError("network", retryable=True) from None
        conversation = Conversation(PLATFORM, destination.user.workspace_id, destination.user.id, is_direct=True)
        return SentMessage(conversation, str(mail["Message-ID"]))

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        """SMTP cannot be asked what a server already took: an e-mail a stopped worker had handed over
        goes again (with the same Message-ID)."""
        return None

    async def _refused(self, subscription_id: int, code: int, reason: str) -> None:
        if 400 <= code < 500 or code < 0:  # aiosmtplib gives -1 when the server went away mid-answer
            log.warning("mail: subscription %s: server answered %s, will retry", subscription_id, code)
            raise DeliveryError("smtp_busy", retryable=True, detail=str(code))
        log.warning("mail: subscription %s: server refused the address (%s)", subscription_id, code)
        await self.on_bounce(subscription_id, f"{code} {reason}".strip())
        raise DeliveryError("smtp_refused", retryable=False, detail=str(code))

    def _connection(self) -> dict[str, Any]:
        o = self.options
        found: dict[str, Any] = {"hostname": o.host, "port": o.port, "timeout": o.timeout}
        found["use_tls"] = o.security == "tls"
        found["start_tls"] = True if o.security == "starttls" else False
        if o.username:
            found["username"], found["password"] = o.username, o.password
        return found

    def envelope(self, recipient: Recipient) -> Envelope:
        t = translator(recipient.language)
        domain = self.options.from_address.rpartition("@")[2]
        return Envelope(
            sender_name=recipient.network_name,
            sender_address=self.options.from_address,
            to=recipient.address,
            list_id=f"digest.network{recipient.network_id}.{domain}",
            unsubscribe_url=recipient.unsubscribe_url if recipient.confirmed else None,
            language=t.language,
            unsubscribe_text=t.t("You get this because you asked for the network's weekly digest by e-mail."),
            unsubscribe_label=t.t("Unsubscribe"),
        )

    # E-mails cannot be changed or used for conversations once sent.
    async def update(self, sent: SentMessage, message: Message) -> None:
        return None

    async def open_form(self, event: Event, form: Form) -> None:
        raise DeliveryError("unsupported", retryable=False)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        raise DeliveryError("unsupported", retryable=False)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        raise DeliveryError("unsupported", retryable=False)
