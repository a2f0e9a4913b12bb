"""The weekly digest by e-mail, against a real SMTP server on 127.0.0.1 (aiosmtpd).

Double opt-in by code and by link, one e-mail per address per issue through 4xx, 5xx, a dropped
connection and a restart, one-click unsubscribe (RFC 8058), and the HTML checked by parsing it.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest
from aiosmtpd.controller import Controller

from adapters import mail
from adapters.mail_http import mail_routes
from adapters.memory import Chat
from adapters.ops_http import application, serve_http
from bot.config import Config
from storage.repositories.mail import MailSubscriptions
from tests.support import free_port

PUBLIC = "https://samskap.example.no"


@dataclass
class SmtpServer:
    """Keeps what it accepted; `answers` gives an address its next replies ("451 ...", "550 ...", "drop")."""

    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        queued = self.answers.get(address)
        if queued and queued[0] != "drop":
            return queued.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for address in envelope.rcpt_tos:
            queued = self.answers.get(address)
            if queued and queued[0] == "drop":  # the connection goes before the server takes the message
                queued.pop(0)
                server.transport.close()
                return "421 closing"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        self.raw.append(envelope.original_content or envelope.content)
        return "250 Message accepted"

    def to(self, address: str, subject: str = "") -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address and subject in str(m["Subject"])]


@dataclass
class Setup:
    chat: Chat
    smtp: SmtpServer
    port: int
    http_port: int

    async def restart(self) -> None:
        await self.chat.restart()
        mail.attach(self.chat.bot)

    async def http(self, method: str, url: str, data: str | None = None) -> tuple[int, str]:
        path = url.removeprefix(PUBLIC)
        async with aiohttp.ClientSession() as session:
            async with session.request(method, f"http://127.0.0.1:{self.http_port}{path}", data=data) as response:
                return response.status, await response.text()

    async def publish(self, link: str = "https://skole.example.no/relasjoner") -> None:
        await self.chat.say("ola", f"/del {link} Fin om relasjoner")
        await self.chat.say("kari", "/digest publiser")


@pytest.fixture
async def setup(any_database_url: str) -> AsyncIterator[Setup]:
    smtp = SmtpServer()
    port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    sections = {
        "mail": {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "samskap@skole.example.no",
                 "timeout": 5.0, "rate_per_second": 50.0},
        "web": {"base_url": PUBLIC},
        "digest": {"read_the_web": False},
    }  # fmt: skip
    chat = await Chat.start(any_database_url, config=Config(network_name="Nordnettet", sections=sections))
    mail.attach(chat.bot)
    for name, school in (("kari", "Nordby skole"), ("ola", "Sørby skole"), ("per", "Vestby skole")):
        await chat.say(name, f"/samskap bli-med {school}")
    app = application()
    mail_routes(app, chat.bot)
    http_port = free_port()
    runner = await serve_http(app, "127.0.0.1", http_port)
    found = Setup(chat, smtp, port, http_port)
    yield found
    await runner.cleanup()
    await found.chat.close()
    controller.stop()


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def code_in(message: EmailMessage) -> str:
    found = re.search(r"(?:bekreft|confirm) ([A-Z2-9]{8})", body(message, "plain"))
    assert found is not None
    return found.group(1)


def link_in(message: EmailMessage, path: str) -> str:
    found = re.search(re.escape(PUBLIC + path) + r"[A-Za-z0-9_-]+", body(message, "plain"))
    assert found is not None
    return found.group(0)


async def confirmed(setup: Setup, name: str, address: str) -> None:
    await setup.chat.say(name, f"/samskap epost {address}")
    [asked] = setup.smtp.to(address)
    await setup.chat.say(name, f"/samskap epost bekreft {code_in(asked)}")


# -- double opt-in ----------------------------------------------------------------------------------------
async def test_a_member_gets_the_digest_only_after_confirming_with_the_code(setup: Setup) -> None:
    chat, smtp = setup.chat, setup.smtp
    settings = await chat.say("ola", "/samskap innstillinger")
    assert "/samskap innstillinger epost <adresse>" in settings[-1].text
    reply = await chat.say("ola", "/samskap innstillinger epost ola@skole.example.no")
    assert "Jeg har sendt en e-post til ola@skole.example.no" in reply[-1].text
    [asked] = smtp.to("ola@skole.example.no")
    assert "Bekreft" in str(asked["Subject"]) and asked["List-Unsubscribe"] is None
    await setup.publish()
    assert len(smtp.to("ola@skole.example.no")) == 1, "nothing but the confirmation before confirming"

    wrong = await chat.say("ola", "/samskap epost bekreft ABCDEFGH")
    assert "«ABCDEFGH» er ikke koden jeg sendte" in wrong[-1].text
    done = await chat.say("ola", f"/samskap epost bekreft {code_in(asked)}")
    assert "Bekreftet" in done[-1].text
    await chat.say("per", "/del https://skole.example.no/tillit Om tillit")
    await chat.say("kari", "/digest publiser")

    [digest] = smtp.to("ola@skole.example.no", "Nettverksbrev")
    assert digest["From"].addresses[0].display_name == "Nordnettet"
    assert digest["List-Id"] and "skole.example.no" in str(digest["List-Id"])
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(digest["List-Unsubscribe"]).startswith(f"<{PUBLIC}/mail/unsubscribe/")
    raw = smtp.raw[smtp.received.index(digest)]
    assert re.search(rb"\r\nList-Unsubscribe: <https://samskap\.example\.no/mail/unsubscribe/[\w-]+>\r\n", raw)
    assert digest.get_content_type() == "multipart/alternative"
    assert "tillit" in body(digest, "plain") and "Meld av" in body(digest, "html")


async def test_someone_else_cannot_sign_an_address_up_and_a_leader_invites_by_link(setup: Setup) -> None:
    chat, smtp = setup.chat, setup.smtp
    reply = await chat.say("kari", "/digest epost inviter rektor@skole.example.no")
    assert "Jeg har bedt rektor@skole.example.no om å bekrefte" in reply[-1].text
    [asked] = smtp.to("rektor@skole.example.no")
    link = link_in(asked, "/mail/confirm/")

    status, page = await setup.http("GET", link)  # a mail scanner opening the link confirms nothing
    assert status == 200 and "<form" in page
    overview = await chat.say("kari", "/digest epost")
    assert "Venter på bekreftelse" in overview[-1].text
    async with chat.bot.db.read() as s:
        assert (await MailSubscriptions(s).counts(1)) == {"pending": 1}

    status, _ = await setup.http("POST", link)
    assert status == 200
    assert (await setup.http("POST", link))[0] == 404, "a confirmation link works once"
    await setup.publish()
    assert len(smtp.to("rektor@skole.example.no", "Nettverksbrev")) == 1

    taken = await chat.say("ola", "/samskap epost rektor@skole.example.no")
    assert "får allerede nettverksbrevet" in taken[-1].text
    bad = await chat.say("ola", "/samskap epost ikke en adresse")
    assert "«ikke en adresse» er ikke en e-postadresse" in bad[-1].text


async def test_a_confirmation_link_expires_after_a_week(setup: Setup) -> None:
    await setup.chat.say("kari", "/digest epost inviter rektor@skole.example.no")
    link = link_in(setup.smtp.to("rektor@skole.example.no")[0], "/mail/confirm/")
    await setup.chat.advance(timedelta(days=7, minutes=1))

    assert (await setup.http("POST", link))[0] == 404
    await setup.publish()
    assert not setup.smtp.to("rektor@skole.example.no", "Nettverksbrev")


# -- delivery -----------------------------------------------------------------------------------------------
async def test_each_address_gets_one_email_through_4xx_a_dropped_connection_and_a_restart(setup: Setup) -> None:
    smtp = setup.smtp
    addresses = {"kari": "kari@skole.example.no", "ola": "ola@skole.example.no", "per": "per@skole.example.no"}
    for name, address in addresses.items():
        await confirmed(setup, name, address)
    smtp.answers["ola@skole.example.no"] = ["451 4.7.1 Try again later"]
    smtp.answers["per@skole.example.no"] = ["drop"]

    await setup.publish()
    assert len(smtp.to("kari@skole.example.no", "Nettverksbrev")) == 1
    assert not smtp.to("ola@skole.example.no", "Nettverksbrev") and not smtp.to("per@skole.example.no", "Nettverksbrev")

    await setup.restart()  # the process goes down with two e-mails still to send
    await setup.chat.advance(timedelta(minutes=5))
    await setup.chat.say("kari", "/digest publiser")  # publishing again sends nobody a second copy

    for address in addresses.values():
        assert len(smtp.to(address, "Nettverksbrev")) == 1, address


async def test_a_5xx_answer_is_not_retried_and_leaders_see_the_bounce(setup: Setup) -> None:
    chat, smtp = setup.chat, setup.smtp
    await confirmed(setup, "ola", "ola@skole.example.no")
    smtp.answers["ola@skole.example.no"] = ["550 5.1.1 Mailbox does not exist"]
    await setup.publish()
    await chat.advance(timedelta(hours=2))

    assert not smtp.to("ola@skole.example.no", "Nettverksbrev")
    overview = await chat.say("kari", "/digest epost")
    assert "ola@skole.example.no: 550 5.1.1 Mailbox does not exist" in overview[-1].text
    assert "I retur" in overview[-1].text
    own = await chat.say("ola", "/samskap epost")
    assert "kom i retur" in own[-1].text

    await chat.say("ola", "/samskap slett-meg bekreft")  # erasure takes the address and the reason with it
    async with chat.bot.db.read() as s:
        assert await MailSubscriptions(s).counts(1) == {}


async def test_no_address_reaches_the_log(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    per = "per@skole.example.no"
    setup.smtp.answers[per] = [f"451 4.7.1 <{per}> greylisted", f"550 5.1.1 <{per}> unknown"]
    await confirmed(setup, "ola", "ola@skole.example.no")
    await setup.chat.say("per", "/samskap epost per@skole.example.no")
    await setup.chat.advance(timedelta(minutes=5))
    await setup.chat.say("kari", "/digest epost inviter rektor@skole.example.no")
    await setup.publish()

    # samskap's own lines and its SMTP and HTTP libraries'; SQL parameters at DEBUG are bot/logs.py's to keep out.
    loggers = ("bot", "adapters", "samskap", "aiosmtplib", "aiohttp")
    ours = [r for r in caplog.records if r.name.split(".")[0] in loggers]
    addresses = ("ola@", "per@", "rektor@")
    assert ours and not [r.getMessage() for r in ours if any(a in r.getMessage() for a in addresses)]


async def test_one_click_unsubscribe_forgets_the_address(setup: Setup) -> None:
    chat, smtp = setup.chat, setup.smtp
    await confirmed(setup, "ola", "ola@skole.example.no")
    await setup.publish()
    [digest] = smtp.to("ola@skole.example.no", "Nettverksbrev")
    url = str(digest["List-Unsubscribe"]).strip("<>")
    assert url in body(digest, "plain")

    status, _ = await setup.http("POST", url, data="List-Unsubscribe=One-Click")

    assert status == 200
    async with chat.bot.db.read() as s:
        assert await MailSubscriptions(s).of_member(2) is None
    reply = await chat.say("ola", "/samskap epost")
    assert "Få nettverksbrevet på e-post med /samskap epost" in reply[-1].text


# -- the HTML -------------------------------------------------------------------------------------------
class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


async def test_the_html_has_no_remote_content_inline_styles_and_escapes_what_members_wrote(setup: Setup) -> None:
    chat, smtp = setup.chat, setup.smtp
    await confirmed(setup, "ola", "ola@skole.example.no")
    await chat.say("per", '/del https://skole.example.no/x <script>alert("x")</script> & <img src=x>')
    await chat.say("kari", "/digest publiser")
    [digest] = smtp.to("ola@skole.example.no", "Nettverksbrev")

    parsed = Elements()
    parsed.feed(body(digest, "html"))

    names = [tag for tag, _ in parsed.tags]
    assert "script" not in names and "img" not in names and "style" not in names and "link" not in names
    assert not any("src" in attrs or "background" in attrs for _, attrs in parsed.tags)
    assert all(attrs.get("href", "").startswith("https://") for tag, attrs in parsed.tags if tag == "a")
    assert ("html", {"lang": "nb"}) in parsed.tags
    assert any(tag == "meta" and attrs.get("name") == "viewport" for tag, attrs in parsed.tags)
    assert all("style" in attrs for tag, attrs in parsed.tags if tag in ("p", "a", "h2", "li"))
    assert '<script>alert("x")</script>' in "".join(parsed.text)  # shown as text, not run


def test_the_mail_configuration_is_checked_and_the_password_comes_only_from_the_environment(tmp_path: Any) -> None:
    from bot.config import check_config, load_config

    toml = tmp_path / "samskap.toml"
    toml.write_text('[mail]\nhost = "smtp.skole.no"\nusername = "samskap"\nsecurity = "ssl"\n', encoding="utf-8")
    problems = check_config(load_config(toml, env={}), {})
    assert any("security must be starttls, tls or none" in p for p in problems)
    assert any("from_address" in p for p in problems)
    assert any("SAMSKAP_SMTP_PASSWORD" in p for p in problems)
    assert any("[web] base_url" in p for p in problems)

    toml.write_text('[mail]\npassword = "hemmelig"\n', encoding="utf-8")
    assert any("Unknown setting 'password' in [mail]" in p for p in check_config(load_config(toml, env={}), {}))

    secret_file = tmp_path / "smtp-password"
    secret_file.write_text("hemmelig\n", encoding="utf-8")
    toml.write_text('[mail]\nhost = "smtp.skole.no"\nusername = "samskap"\nfrom_address = "samskap@skole.no"\n'
                    '[web]\nbase_url = "https://samskap.skole.no"\n', encoding="utf-8")  # fmt: skip
    env = {"SAMSKAP_SMTP_PASSWORD_FILE": str(secret_file)}
    cfg = load_config(toml, env=env)
    assert check_config(cfg, env) == []
    assert mail.MailOptions.from_config(cfg, env).password == "hemmelig"


async def test_each_reader_gets_the_issue_in_their_own_language(setup: Setup) -> None:
    await setup.chat.say("ola", "/samskap innstillinger språk en")
    await confirmed(setup, "ola", "ola@skole.example.no")
    await confirmed(setup, "per", "per@skole.example.no")
    await setup.publish()

    [english] = setup.smtp.to("ola@skole.example.no", "Digest for Nordnettet")
    [norwegian] = setup.smtp.to("per@skole.example.no", "Nettverksbrev for Nordnettet")
    assert "Unsubscribe" in body(english, "html") and "Meld av" in body(norwegian, "html")
    assert ('lang="en"' in body(english, "html")) and ('lang="nb"' in body(norwegian, "html"))
    status, page = await setup.http("GET", str(english["List-Unsubscribe"]).strip("<>"))
    assert status == 200 and 'lang="en"' in page and "Press the button to stop" in page


async def test_sends_to_one_server_are_spaced_by_its_rate_limit() -> None:
    from adapters.mail.adapter import RateLimit

    clock, slept = [100.0], []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock[0] += seconds

    limit = RateLimit(4.0, now=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        await limit.wait()
    clock[0] += 10  # a quiet spell: the next send need not wait
    await limit.wait()

    assert slept == [0.25, 0.25]
