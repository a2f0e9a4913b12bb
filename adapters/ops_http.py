"""The operator's HTTP routes, served on `--port`/`PORT` in every mode but the plain console.

- `GET /healthz`: the process is alive and its event loop answers (200).
- `GET /readyz`: 200 when the database answers and the platform connection is up; 503 with the
  reason otherwise (and while the worker shuts down), so a load balancer sends work elsewhere.
- `GET /metrics`: Prometheus's text format (see bot/metrics.py).

Slack over HTTP adds its own routes to the same application, so one port serves everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web, web_response
from sqlalchemy import text

from bot.core import Bot
from bot.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)

# Why the platform connection is down, or None when it is up.
PlatformCheck = Callable[[], str | None]
DATABASE_TIMEOUT = 2.0
# Requests here (Slack's, a load balancer's, Prometheus's) arrive whole, at once. A connection that
# sends nothing, or trickles its headers (slowloris) or its body, only holds a socket: it is
# closed after these many seconds.
IDLE_TIMEOUT = 15.0  # from connecting (or the last answer) to a request's complete headers
BODY_TIMEOUT = 10.0  # to read a request's body
LINGER = 2.0  # after answering a too slow body, what still trickles in is read this long at most
SERVER_NAME = "samskap"  # instead of aiohttp's name and version

# The answers aiohttp gives before any application sees the request (a malformed request line or
# header) skip `on_response_prepare` and take this default, which names aiohttp and its version.
web_response.SERVER_SOFTWARE = SERVER_NAME


def ops_routes(app: web.Application, bot: Bot, platform_down: PlatformCheck) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        reason = await not_ready(bot, platform_down)
        if reason is not None:
            return web.json_response({"ready": False, "reason": reason}, status=503)
        return web.json_response({"ready": True})

    async def metrics(_request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(bot.metrics.refresh(bot.db, bot.clock.now()), DATABASE_TIMEOUT)
        except Exception:  # the counters are still worth having without the database's figures
            log.warning("metrics: could not read the outbox and job figures from the database")
        body = bot.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


async def not_ready(bot: Bot, platform_down: PlatformCheck) -> str | None:
    if bot.stopping:
        return "shutting down"
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT), bot.db.read() as s:
            await s.execute(text("SELECT 1"))
    except Exception:
        return "database unreachable"
    return platform_down()


def application(*, client_max_size: int = 1024**2, body_timeout: float = BODY_TIMEOUT) -> web.Application:
    """An aiohttp application that does not name its server software to whoever asks, and does not
    wait more than `body_timeout` seconds for a request's body."""

    async def plain_server_header(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = SERVER_NAME

    app = web.Application(client_max_size=client_max_size, middlewares=[read_body_within(body_timeout)])
    app.on_response_prepare.append(plain_server_header)
    return app


def read_body_within(seconds: float) -> Any:
    @web.middleware
    async def read_in_time(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.can_read_body:
            try:
                async with asyncio.timeout(seconds):
                    await request.read()  # kept by the request for the handler
            except TimeoutError:
                response = web.Response(status=408, text="Request body too slow.")
                response.force_close()
                return response
        return await handler(request)

    return read_in_time


def runner_options(
    idle_timeout: float = IDLE_TIMEOUT, linger: float = LINGER, shutdown_timeout: float = 5.0
) -> dict[str, Any]:
    """For `web.AppRunner`: aiohttp's keep-alive timer also runs from connecting until a request's
    headers are complete, so it closes idle and slowloris connections alike."""
    return {"access_log": None, "shutdown_timeout": shutdown_timeout, "keepalive_timeout": idle_timeout,
            "lingering_time": linger}  # fmt: skip


async def serve_http_or_exit(app: web.Application, host: str, port: int) -> web.AppRunner:
    """`serve_http`, or a stop that says in words why the port cannot be used (taken, not allowed)."""
    try:
        return await serve_http(app, host, port)
    except OSError as error:
        raise SystemExit(f"Cannot listen on {host}:{port}: {error.strerror or error}.") from None


async def serve_http(app: web.Application, host: str, port: int, *, shutdown_timeout: float = 5.0) -> web.AppRunner:
    runner = web.AppRunner(app, **runner_options(shutdown_timeout=shutdown_timeout))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening on http://%s:%d (/healthz, /readyz, /metrics)", host, port)
    return runner
