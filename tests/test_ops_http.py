"""/healthz, /readyz and /metrics as an operator and Prometheus see them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.memory import Chat
from adapters.ops_http import application, ops_routes, serve_http
from storage.db import Database
from tests.support import free_port


class Ops:
    def __init__(self, chat: Chat, port: int) -> None:
        self.chat, self.port, self.platform_down_reason = chat, port, None

    async def get(self, path: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}{path}") as response:
            return response.status, await response.text(), response.headers


@pytest.fixture
async def ops(chat: Chat) -> AsyncIterator[Ops]:
    port = free_port()
    served = Ops(chat, port)
    app = application()
    ops_routes(app, chat.bot, lambda: served.platform_down_reason)
    runner = await serve_http(app, "127.0.0.1", port)
    yield served
    await runner.cleanup()


async def test_healthz_and_readyz_answer_when_all_is_well(ops: Ops) -> None:
    assert (await ops.get("/healthz"))[0] == 200
    status, body, headers = await ops.get("/readyz")
    assert status == 200 and '"ready": true' in body
    assert headers["Server"] == "samskap"  # no software version for whoever asks


async def test_readyz_says_why_while_the_database_or_the_platform_is_down(ops: Ops) -> None:
    ops.platform_down_reason = "gateway not connected"
    status, body, _ = await ops.get("/readyz")
    assert status == 503 and "gateway not connected" in body
    ops.platform_down_reason = None
    live = ops.chat.bot.db
    ops.chat.bot.db = Database(f"postgresql://nobody@127.0.0.1:{free_port()}/none")  # nothing listens there
    try:
        status, body, _ = await ops.get("/readyz")
        assert status == 503 and "database unreachable" in body
        assert (await ops.get("/healthz"))[0] == 200  # alive all the same: do not restart it for this
    finally:
        await ops.chat.bot.db.dispose()
        ops.chat.bot.db = live
    ops.chat.bot.stopping = True
    status, body, _ = await ops.get("/readyz")
    assert status == 503 and "shutting down" in body


async def test_metrics_count_by_feature_and_hold_no_personal_data(ops: Ops) -> None:
    chat = ops.chat
    await chat.say("kari", "/samskap bli-med Markørskolen")
    await chat.say("kari", "/ide Markørtekst om vennskapsbenken")
    await chat.say("kari", "/ide prøv 99")  # a user error
    status, body, headers = await ops.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'samskap_events_handled_seconds_count{feature="ideas",kind="CommandEvent",outcome="ok"} 1.0' in body
    assert 'samskap_events_handled_seconds_count{feature="ideas",kind="CommandEvent",outcome="user_error"} 1.0' in body
    assert "samskap_outbox_pending" in body and "samskap_jobs_pending" in body
    assert "samskap_db_pool_connections_in_use" in body and "samskap_scheduler_lag_seconds" in body
    for personal in ("kari", "Markør", "vennskapsbenken", "general", "demo"):
        assert personal not in body


async def test_idle_and_slow_connections_are_closed_and_no_answer_names_the_software(chat: Chat) -> None:
    import asyncio

    from aiohttp import web

    from adapters.ops_http import runner_options

    app = application(body_timeout=0.5)
    ops_routes(app, chat.bot, lambda: None)
    runner = web.AppRunner(app, **runner_options(idle_timeout=0.5, linger=0.5))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    async def answer_then_close(first_bytes: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(first_bytes)
        received = b""
        async with asyncio.timeout(5):
            while chunk := await reader.read(1024):
                received += chunk
        writer.close()
        return received

    try:
        assert await answer_then_close(b"") == b""  # idle: closed
        assert await answer_then_close(b"GET /healthz HTTP/1.1\r\nHost: x\r\n") == b""  # headers never end
        slow_body = await answer_then_close(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert slow_body.startswith(b"HTTP/1.1 408")
        malformed = await answer_then_close(b"NOT HTTP\x00\r\n\r\n")
        assert b"\r\nServer: samskap\r\n" in malformed and b"aiohttp" not in malformed
    finally:
        await runner.cleanup()


async def test_metrics_count_deliveries_jobs_and_lookups(ops: Ops) -> None:
    """What the outbox sent, which jobs ran (and how late), and how lookups were answered."""
    from datetime import timedelta

    chat = ops.chat
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    await chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    await chat.click("ola", "Jeg prøver dette")
    await chat.advance(timedelta(days=14))  # the follow-up job runs and its DM goes through the outbox
    for _ in range(3):
        await chat.say("ola", "/ideer")
    _status, body, _headers = await ops.get("/metrics")
    assert 'samskap_deliveries_total{outcome="sent",platform="memory"}' in body
    assert 'samskap_jobs_total{kind="ideas.follow_up",outcome="ok"} 1.0' in body
    assert 'samskap_scheduler_lag_seconds_count{kind="ideas.follow_up"} 1.0' in body
    hits = next(line for line in body.splitlines() if line.startswith('samskap_lookups_total{result="hit"}'))
    assert float(hits.split()[-1]) > 0
