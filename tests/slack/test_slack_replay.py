"""Over real signed HTTP: replays and Slack's retries are handled once, on any worker; slow or idle
connections are closed; the install page writes nothing; the server does not name its software."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fake_slack import FakeSlack, block_actions, command_body, event_body, interactive_body, signed_headers
from slack_harness import SECRET, SlackHarness, start_harness
from sqlalchemy import func, select

from adapters.slack.once import HandledRequests
from bot.clock import FakeClock
from bot.config import Secret
from bot.context import Context
from storage.db import Database
from storage.models.ideas import PracticeIdea
from storage.repositories.slack import SlackOAuthStates
from tests.support import eventually

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


async def idea_count(slack: SlackHarness) -> int:
    async with slack.bot.db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(PracticeIdea)) or 0)


async def ideas_are(slack: SlackHarness, count: int) -> bool:
    return await idea_count(slack) == count


async def quiet() -> None:
    """Give a wrongly handled repeat the time to show up."""
    await asyncio.sleep(0.3)


async def test_a_replayed_signed_command_creates_one_idea(slack: SlackHarness) -> None:
    await slack.command("/samskap", "bli-med Nordby skole", user="UKARI")
    await slack.fake.wait_for_hooks(1)
    body = command_body("/ide", "Vennskapsbenk i friminuttet", user="UKARI", response_url=slack.fake.hook_url())
    captured = signed_headers(SECRET, body, FORM)

    first = await slack.post(body, FORM, headers=captured)
    await eventually(lambda: ideas_are(slack, 1), what="the first idea stored")
    again = await slack.post(body, FORM, headers=captured)
    await quiet()

    assert (first.status, again.status) == (200, 200)
    assert await idea_count(slack) == 1


async def test_a_command_is_acknowledged_while_the_database_is_busy_writing(slack: SlackHarness) -> None:
    """The check for a repeat writes to the database after the acknowledgement, not before: under
    load, an acknowledgement that waited for its turn to write came too late for Slack."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_writer() -> None:
        async with slack.bot.db.session():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_writer())
    await holding.wait()
    try:
        response = await asyncio.wait_for(slack.command("/samskap"), 3.0)
        assert response.status == 200
        await quiet()
        assert slack.fake.hooks == []  # the work after the acknowledgement waits for the database
    finally:
        release.set()
        await holder
    await slack.fake.wait_for_hooks(1)
    await quiet()
    assert len(slack.fake.hooks) == 1


async def test_requests_that_come_together_are_recorded_together_and_each_only_once(
    tmp_path: Path, any_database_url: str
) -> None:
    db = Database(any_database_url)
    await db.migrate()
    units = 0
    unit_of_work = db.session

    @asynccontextmanager
    async def counted() -> AsyncIterator[object]:
        nonlocal units
        units += 1
        async with unit_of_work() as session:
            yield session

    db.session = counted  # type: ignore[method-assign]
    handled = HandledRequests(db, FakeClock())
    try:
        keys = [f"request-{n}" for n in range(100)]
        first = await asyncio.gather(*(handled.first_time(key) for key in [*keys, "request-7"]))
        assert first == [True] * 100 + [False]  # the same request twice at once: handled once
        assert units <= 3, f"{units} units of work for 100 requests"
        assert await asyncio.gather(*(handled.first_time(key) for key in keys[:10])) == [False] * 10
        assert await handled.first_time("request-new")
    finally:
        await db.dispose()


async def test_slacks_retries_of_an_event_are_acknowledged_and_handled_once(slack: SlackHarness) -> None:
    event = event_body({"type": "app_home_opened", "user": "UOLA", "channel": "DUOLA", "tab": "home"})
    body = json.dumps(event)

    await slack.post(body, JSON)
    await slack.fake.wait_for("views.publish")
    for retry in (1, 2):  # Slack signs each retry afresh and says which it is
        headers = signed_headers(SECRET, body, JSON, int(time.time()) + retry)
        response = await slack.post(body, JSON, headers={**headers, "X-Slack-Retry-Num": str(retry),
                                                         "X-Slack-Retry-Reason": "http_timeout"})  # fmt: skip
        assert response.status == 200
    await quiet()
    assert len(slack.fake.requests_to("views.publish")) == 1

    await slack.event(event_body({"type": "app_home_opened", "user": "UOLA", "channel": "DUOLA", "tab": "home"}))
    await eventually(lambda: len(slack.fake.requests_to("views.publish")) == 2, what="a new event handled again")


async def test_a_replayed_click_is_handled_once(slack: SlackHarness) -> None:
    clicked: list[str] = []

    @slack.bot.router.action("test.once", access="anyone")
    async def once(ctx: Context) -> None:
        clicked.append(ctx.event.value)  # type: ignore[attr-defined]

    body = interactive_body(block_actions("test.once", "7", response_url=slack.fake.hook_url()))
    captured = signed_headers(SECRET, body, FORM)
    await slack.post(body, FORM, headers=captured)
    await eventually(lambda: clicked == ["7"], what="the click handled")
    await slack.post(body, FORM, headers=captured)
    await quiet()
    assert clicked == ["7"]


async def test_a_payload_listing_many_clicks_is_one_click(slack: SlackHarness) -> None:
    clicked: list[str] = []

    @slack.bot.router.action("test.many", access="anyone")
    async def many(ctx: Context) -> None:
        clicked.append(ctx.event.value)  # type: ignore[attr-defined]

    payload = block_actions("test.many", "1", response_url=slack.fake.hook_url())
    payload["actions"] = [{**payload["actions"][0], "value": str(i)} for i in range(1, 51)]
    assert (await slack.interact(payload)).status == 200
    await eventually(lambda: clicked == ["1"], what="the first click handled")
    await quiet()
    assert clicked == ["1"]


async def test_a_repeat_that_reaches_another_worker_is_not_handled_again(
    tmp_path: Path, fake_slack: FakeSlack, any_database_url: str
) -> None:
    first = await start_harness(tmp_path, fake_slack, database_url=any_database_url)
    second = await start_harness(tmp_path, fake_slack, database_url=any_database_url)
    try:
        body = json.dumps(event_body({"type": "app_home_opened", "user": "UOLA", "channel": "DUOLA", "tab": "home"}))
        captured = signed_headers(SECRET, body, JSON)
        await first.post(body, JSON, headers=captured)
        await fake_slack.wait_for("views.publish")
        assert (await second.post(body, JSON, headers=captured)).status == 200
        await quiet()
        assert len(fake_slack.requests_to("views.publish")) == 1
    finally:
        await first.close()
        await second.close()


async def test_loading_the_install_page_again_and_again_writes_nothing(tmp_path: Path, fake_slack: FakeSlack) -> None:
    slack = await start_harness(
        tmp_path, fake_slack, bot_token=Secret(""), client_id="111.222", client_secret=Secret("client-secret")
    )
    try:
        for _ in range(50):
            async with slack.http.get(str(slack.server.make_url("/slack/install")), allow_redirects=False) as page:
                assert page.status in (200, 302)
        async with slack.bot.db.read() as s:
            assert await SlackOAuthStates(s).count() == 0
    finally:
        await slack.close()


async def test_the_server_does_not_name_its_software_or_version(slack: SlackHarness) -> None:
    async with slack.http.get(str(slack.server.make_url("/healthz"))) as health:
        assert health.headers["Server"] == "samskap"
    refused = await slack.post(command_body("/samskap"), FORM, secret="wrong")
    assert refused.status == 401 and refused.headers["Server"] == "samskap"
    async with slack.http.get(str(slack.server.make_url("/nothing-here"))) as missing:
        assert missing.status == 404 and missing.headers["Server"] == "samskap"
    reader, writer = await asyncio.open_connection("127.0.0.1", slack.server.port)
    writer.write(b"NOT HTTP\x00\r\n\r\n")
    malformed = await closed_by_server(reader, 5.0)
    writer.close()
    assert malformed.startswith(b"HTTP/1.0 400") and b"\r\nServer: samskap\r\n" in malformed
    assert b"aiohttp" not in malformed and b"Python" not in malformed


# -- slow and idle connections ----------------------------------------------------------------------


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bytes:
    """Everything the server sent before it closed the connection (fails if it keeps it open)."""
    received = b""
    async with asyncio.timeout(within):
        while chunk := await reader.read(1024):
            received += chunk
    return received


async def test_idle_and_trickling_connections_are_closed(tmp_path: Path, fake_slack: FakeSlack) -> None:
    slack = await start_harness(tmp_path, fake_slack, idle_timeout=0.5, body_timeout=0.5)
    host, port = "127.0.0.1", slack.server.port
    assert port is not None
    trickles: list[asyncio.Task[None]] = []

    async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)

    try:
        _idle_reader, idle_writer = await asyncio.open_connection(host, port)

        header_reader, header_writer = await asyncio.open_connection(host, port)
        headers = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + b"X-Pad: a\r\n" * 50
        trickles.append(asyncio.create_task(trickle(header_writer, headers)))

        body_reader, body_writer = await asyncio.open_connection(host, port)
        body_writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 400\r\n\r\n")  # fmt: skip
        trickles.append(asyncio.create_task(trickle(body_writer, b"{" + b" " * 399)))

        assert await closed_by_server(_idle_reader, 5.0) == b""
        assert await closed_by_server(header_reader, 5.0) == b""
        assert (await closed_by_server(body_reader, 5.0)).startswith(b"HTTP/1.1 408")

        # A request that arrives whole is answered as always.
        async with slack.http.get(str(slack.server.make_url("/healthz"))) as health:
            assert health.status == 200
        for writer in (idle_writer, header_writer, body_writer):
            writer.close()
    finally:
        for task in trickles:
            task.cancel()
        await slack.close()
