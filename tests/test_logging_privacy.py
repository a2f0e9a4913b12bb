"""What reaches the log: no member's words, name or platform id, and no secret, even at DEBUG.

Each adapter runs as `samskap run` sets it up (`configure_logging("DEBUG")`) with markers in a
member's text, name and id and in every secret. A handler on the root logger keeps every record of
every logger, formatted without the redacting formatter, so the sources are under test and not the
safety net; no marker may appear in what it kept.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from adapters.console.adapter import ConsoleAdapter
from adapters.console.runner import serve as serve_console
from adapters.memory import Chat
from bot.app import build_bot, shutdown
from bot.clock import OffsetClock
from bot.config import Config, Secret, secret_values
from bot.context import Context
from bot.logs import LIBRARY_LEVELS, Redact, configure_logging

sys.path.insert(0, str(Path(__file__).parent / "slack"))
sys.path.insert(0, str(Path(__file__).parent / "discord"))

# An identity number (valid check digits) in a late request: the privacy guard never sees it.
IDENTITY_NUMBER = "01010012356"
TEXT = "tekstmerke7731"
NAME = "Navnemerke7731"
SLACK_USER = "UIDMERKE7731"
SECRETS = {
    "bot_token": "xoxb-777-botmerke7731",
    "signing_secret": "signmerke7731",
    "app_token": "xapp-1-appmerke7731",
    "client_secret": "klientmerke7731",
}


class Kept(logging.Handler):
    """Every record, formatted plainly: message, traceback and stack."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        # The fake Slack and Discord are aiohttp test servers, which log each request they get (a
        # users.info?user=... among them). samskap's own server keeps no access log (runner.py).
        if record.name != "aiohttp.access":
            self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def assert_free_of(self, *markers: str) -> None:
        for marker in markers:
            found = [line[:300] for line in self.lines if marker in line]
            assert not found, f"{marker!r} was logged: {found}"


@pytest.fixture
def debug_log() -> Iterator[Kept]:
    root, factory = logging.getLogger(), logging.getLogRecordFactory()
    saved = root.level, list(root.handlers), {name: logging.getLogger(name).level for name in LIBRARY_LEVELS}
    configure_logging("DEBUG")
    kept = Kept()
    root.addHandler(kept)
    try:
        yield kept
    finally:
        logging.setLogRecordFactory(factory)
        root.setLevel(saved[0])
        root.handlers = saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


def assert_something_was_logged(kept: Kept) -> None:
    """The capture works: the run logged at DEBUG (so a clean log is not an empty one)."""
    assert any(line.startswith("DEBUG samskap") for line in kept.lines), kept.lines[:20]


# -- console ---------------------------------------------------------------------------------------


async def test_the_console_at_debug_logs_no_member_text_or_name(tmp_path: Path, debug_log: Kept) -> None:
    out = io.StringIO()
    bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'c.db'}"), clock=OffsetClock())
    lines = iter([f"{NAME}: /samskap bli-med Nordby skole\n", f"{NAME}: /ide {TEXT} i friminuttet\n",
                  f"{NAME}: /ide {IDENTITY_NUMBER}\n", f"{NAME}: {TEXT} i kanalen\n"])  # fmt: skip

    async def readline() -> str:
        return next(lines, "")

    try:
        await serve_console(bot, {"console_adapter": ConsoleAdapter(out=out), "readline": readline,
                                  "interactive": False})  # fmt: skip
    finally:
        await shutdown(bot)
    assert TEXT in out.getvalue()  # the bot heard it
    assert_something_was_logged(debug_log)
    debug_log.assert_free_of(TEXT, NAME, NAME.lower(), IDENTITY_NUMBER)


# -- a failed database write -------------------------------------------------------------------------


async def test_a_failed_database_write_logs_neither_the_text_nor_the_statements_values(
    any_database_url: str, debug_log: Kept
) -> None:
    chat = await Chat.start(any_database_url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby skole")

        @chat.bot.router.on_message()
        async def save_badly(ctx: Context) -> None:
            async with ctx.bot.db.session() as s:  # a row without its required columns
                await s.execute(text("INSERT INTO networks (name) VALUES (:name)"), {"name": ctx.event.text})

        replies = await chat.say("kari", f"{TEXT} og {IDENTITY_NUMBER[:5]}")
        assert any("referanse" in r.text or "reference" in r.text for r in replies)
    finally:
        await chat.close()
    assert "IntegrityError" in debug_log.text  # the error itself is there, for whoever runs the bot
    debug_log.assert_free_of(TEXT)


async def test_a_value_asyncpg_quotes_in_its_error_is_not_logged(postgres_url: str, debug_log: Kept) -> None:
    chat = await Chat.start(postgres_url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby skole")

        @chat.bot.router.on_message()
        async def count_badly(ctx: Context) -> None:  # text where a number belongs
            async with ctx.bot.db.session() as s:
                await s.execute(text("SELECT CAST(:n AS integer)"), {"n": ctx.event.text})

        replies = await chat.say("kari", f"{TEXT} (5A)")
        assert any("referanse" in r.text or "reference" in r.text for r in replies)
    finally:
        await chat.close()
    assert "query argument $1: ***" in debug_log.text
    debug_log.assert_free_of(TEXT, "5A")


# -- Slack over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def named_member(monkeypatch: pytest.MonkeyPatch) -> None:
    import fake_slack

    monkeypatch.setitem(fake_slack.NAMES, SLACK_USER, f"{NAME} Nordmann")


async def test_slack_over_http_at_debug_logs_no_text_name_id_or_secret(
    tmp_path: Path, debug_log: Kept, named_member: None
) -> None:
    from fake_slack import FakeSlack, command_body, event_body, sign
    from slack_harness import start_harness

    fake = await FakeSlack().start()
    slack = await start_harness(
        tmp_path, fake, bot_token=Secret(SECRETS["bot_token"]), signing_secret=Secret(SECRETS["signing_secret"])
    )
    form = "application/x-www-form-urlencoded"
    try:
        body = command_body("/samskap", f"bli-med {TEXT} skole", user=SLACK_USER, response_url=fake.hook_url())
        await slack.post(body, form, secret=SECRETS["signing_secret"])
        await fake.wait_for_hooks()
        message = {"type": "message", "channel": "C1", "channel_type": "channel", "user": SLACK_USER,
                   "text": f"{TEXT} <https://example.org/x>", "ts": "1700000500.000500"}  # fmt: skip
        await slack.post(json.dumps(event_body(message)), "application/json", secret=SECRETS["signing_secret"])
        fake.fail("chat.postMessage", error="invalid_auth")
        await slack.post(command_body("/ide", TEXT, user=SLACK_USER, response_url=fake.hook_url("h2")), form,
                         secret=SECRETS["signing_secret"])  # fmt: skip
        await fake.wait_for_hook("h2")

        # A genuine request that arrives late, with an identity number: refused, and not logged.
        late = command_body("/ide", f"{TEXT} {IDENTITY_NUMBER}", user=SLACK_USER)
        stale = await slack.post(late, form, secret=SECRETS["signing_secret"], timestamp=int(time.time()) - 600)
        assert stale.status == 401
        # Unsigned megabyte posts: refused, and their bodies are never logged.
        junk = urlencode({"text": TEXT * (1000_000 // len(TEXT) - 10)})
        started = time.monotonic()
        for _ in range(5):
            assert (await slack.post(junk, form, headers={"Content-Type": form})).status == 401
        assert time.monotonic() - started < 10
        # A wrong signature in a header of the right shape.
        wrong = {"Content-Type": form, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": sign("x", 1, late)}
        assert (await slack.post(late, form, headers=wrong)).status == 401
        await asyncio.sleep(0.2)
    finally:
        await slack.close()
        await fake.close()
    assert_something_was_logged(debug_log)
    assert len(debug_log.text) < 100_000
    assert "refused 1 request(s)" in debug_log.text  # the operator hears of refusals, once a minute
    debug_log.assert_free_of(TEXT, NAME, SLACK_USER, IDENTITY_NUMBER, *SECRETS.values())


async def test_bolt_itself_never_logs_the_body_of_a_request_it_refuses(tmp_path: Path, debug_log: Kept) -> None:
    """Should a badly signed request reach slack-bolt (it is checked before), bolt's words are kept
    and the body is dropped."""
    from fake_slack import FakeSlack, command_body
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_harness import start_harness

    fake = await FakeSlack().start()
    slack = await start_harness(tmp_path, fake, signing_secret=Secret(SECRETS["signing_secret"]))
    try:
        late = command_body("/ide", f"{TEXT} {IDENTITY_NUMBER}", user=SLACK_USER)
        headers = {
            "content-type": ["application/x-www-form-urlencoded"],
            "x-slack-request-timestamp": [str(int(time.time()) - 600)],
            "x-slack-signature": ["v0=00"],
        }
        response = await slack.app.bolt.async_dispatch(AsyncBoltRequest(body=late, headers=headers))
        assert response.status == 401
    finally:
        await slack.close()
        await fake.close()
    assert "Invalid request signature detected" in debug_log.text
    debug_log.assert_free_of(TEXT, IDENTITY_NUMBER, SLACK_USER)


async def test_an_oauth_install_at_debug_never_logs_the_bot_token(tmp_path: Path, debug_log: Kept) -> None:
    from fake_slack import FakeSlack
    from slack_harness import start_harness

    fake = await FakeSlack().start()
    key = Fernet.generate_key().decode()
    slack = await start_harness(
        tmp_path, fake, bot_token=Secret(""), client_id="111.222", client_secret=Secret(SECRETS["client_secret"]),
        signing_secret=Secret(SECRETS["signing_secret"]), secret_key=Secret(key),
    )  # fmt: skip
    try:
        async with slack.http.get(str(slack.server.make_url("/slack/install")), allow_redirects=False) as page:
            found = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', await page.text())
            cookie = page.headers.get("Set-Cookie", "").split(";")[0]
        assert found is not None
        state = parse_qs(urlparse(found.group(1).replace("&amp;", "&")).query)["state"][0]
        redirect = str(slack.server.make_url(f"/slack/oauth_redirect?code=c0de&state={state}"))
        async with slack.http.get(redirect, headers={"Cookie": cookie}, allow_redirects=False) as done:
            assert done.status == 200
        assert await slack.app.installations.bot_token("T2") == "xoxb-installed"  # type: ignore[union-attr]
    finally:
        await slack.close()
        await fake.close()
    debug_log.assert_free_of("xoxb-installed", SECRETS["client_secret"], SECRETS["signing_secret"], key)


# -- Slack over Socket Mode ------------------------------------------------------------------------


async def test_slack_socket_mode_at_debug_logs_no_text_name_id_or_secret(
    tmp_path: Path, debug_log: Kept, named_member: None
) -> None:
    from fake_slack import FakeSlack, command_body, event_body
    from slack_harness import start_harness

    from adapters.slack.runner import start_socket_mode

    fake = await FakeSlack().start()
    slack = await start_harness(tmp_path, fake, bot_token=Secret(SECRETS["bot_token"]),
                                app_token=Secret(SECRETS["app_token"]), signing_secret=Secret(""))  # fmt: skip
    handler = await start_socket_mode(slack.app)
    try:
        payload = {k: v[0] for k, v in parse_qs(
            command_body("/samskap", f"bli-med {TEXT} skole", user=SLACK_USER, response_url=fake.hook_url()),
            keep_blank_values=True).items()}  # fmt: skip
        await fake.send_envelope({"envelope_id": "e1", "type": "slash_commands", "accepts_response_payload": True,
                                  "payload": payload})  # fmt: skip
        await fake.wait_for_ack("e1")
        await fake.wait_for_hooks()
        message = {"type": "message", "channel": "C1", "channel_type": "channel", "user": SLACK_USER,
                   "text": f"{TEXT} {IDENTITY_NUMBER}", "ts": "1700000500.000500"}  # fmt: skip
        await fake.send_envelope({"envelope_id": "e2", "type": "events_api", "accepts_response_payload": False,
                                  "payload": event_body(message)})  # fmt: skip
        await fake.wait_for_ack("e2")
        await asyncio.sleep(0.2)
    finally:
        await handler.close_async()
        await slack.close()
        await fake.close()
    assert_something_was_logged(debug_log)
    debug_log.assert_free_of(TEXT, NAME, SLACK_USER, IDENTITY_NUMBER, SECRETS["bot_token"], SECRETS["app_token"])


# -- Discord ---------------------------------------------------------------------------------------


@pytest.fixture
async def discord_harness(tmp_path: Path, debug_log: Kept) -> AsyncIterator[object]:
    import discord
    from discord_harness import Harness
    from fake_discord import FakeDiscord

    from bot.clock import FakeClock

    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    fake = await FakeDiscord().start()
    harness = await Harness(fake, f"sqlite:///{tmp_path / 'discord.db'}", FakeClock()).start()
    try:
        yield harness
    finally:
        await harness.close()
        await fake.close()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


async def test_discord_at_debug_logs_no_text_name_id_or_token(discord_harness: object, debug_log: Kept) -> None:
    from discord_harness import Harness, user_id

    harness: Harness = discord_harness  # type: ignore[assignment]
    await harness.slash(NAME, "samskap", "bli-med", f"{TEXT} skole")
    answers = await harness.slash(NAME, "ide", None, f"{TEXT} {IDENTITY_NUMBER}")
    assert answers
    assert_something_was_logged(debug_log)
    debug_log.assert_free_of(TEXT, NAME, user_id(NAME), IDENTITY_NUMBER, "fake-token")


# -- the safety net ----------------------------------------------------------------------------------


def test_the_formatter_blanks_secrets_tokens_identity_numbers_and_quoted_arguments() -> None:
    key = Fernet.generate_key().decode()
    env = {"SLACK_SIGNING_SECRET": "signmerke7731", "SAMSKAP_SECRET_KEY": f"{key},{key[::-1]}",
           "SAMSKAP_DATABASE_URL": "postgresql://samskap:pgpassord7731@db/samskap"}  # fmt: skip
    formatter = Redact(secret_values(env))
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1,
        "secret %s, key %s, url %s, bolt xoxb-1-2-abc, app xapp-1-A-b, fnr %s, hook /webhooks/123/%s",
        ("signmerke7731", key, env["SAMSKAP_DATABASE_URL"], IDENTITY_NUMBER, "t" * 40), None,
    )  # fmt: skip
    try:
        raise ValueError("invalid input for query argument $2: 'tekstmerke7731 (5A)' (an integer is required)")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    for leaked in ("signmerke7731", key, "pgpassord7731", "xoxb-1", "xapp-1", IDENTITY_NUMBER, "t" * 40, TEXT):
        assert leaked not in line, leaked
    assert "query argument $2: ***" in line and "5A" not in line and "/webhooks/123/***" in line
