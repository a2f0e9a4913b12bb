"""Slow and idle clients against the Slack HTTP server: how many connections does it still hold?

    .venv/bin/python -m benchmarks.slack_slow_clients                   # 210 clients, 20 s
    .venv/bin/python -m benchmarks.slack_slow_clients --clients 300 --seconds 30

Starts the real server (`adapters.slack.runner.start_http`, its production timeouts) on
127.0.0.1 and opens `--clients` connections, a third each: idle (connect, send nothing), header
trickle (one byte of headers every 0.5 s, slowloris) and body trickle (whole headers, then one
byte of a 4 kB body every 0.5 s). After `--seconds` it counts the connections the server has not
closed, and checks that a normal request is still answered. Nothing leaves the machine: the bot
token points at an address that is never called.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp

from adapters.ops_http import BODY_TIMEOUT, IDLE_TIMEOUT
from adapters.slack.app import SlackApp
from adapters.slack.options import SlackOptions
from adapters.slack.runner import start_http
from bot.app import build_bot, shutdown
from bot.clock import FakeClock
from bot.config import Config, Secret

HEADERS = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"


async def slow_client(port: int, kind: str, closed: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if kind == "header":
        data = HEADERS + b"X-Pad: a\r\n" * 400
    elif kind == "body":
        writer.write(HEADERS + b"Content-Length: 4096\r\n\r\n")
        data = b" " * 4096
    else:
        data = b""

    async def trickle() -> None:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.5)

    sending = asyncio.create_task(trickle())
    try:
        while await reader.read(1024):
            pass
        closed[kind] += 1
    except (ConnectionError, OSError):
        closed[kind] += 1
    finally:
        sending.cancel()
        writer.close()


async def run(clients: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bot = await build_bot(Config(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"), clock=FakeClock())
        options = SlackOptions(bot_token=Secret("xoxb-bench"), signing_secret=Secret("bench"),
                               api_url="http://127.0.0.1:9/api/", host="127.0.0.1", port=0)  # fmt: skip
        slack = SlackApp(bot, options)
        runner = await start_http(slack, "127.0.0.1", 0)
        port = runner.addresses[0][1]
        kinds = ("idle", "header", "body")
        closed = dict.fromkeys(kinds, 0)
        started = time.monotonic()
        tasks = [asyncio.create_task(slow_client(port, kinds[i % 3], closed)) for i in range(clients)]
        await asyncio.sleep(seconds)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as health:
            answered = health.status
        still_open = clients - sum(closed.values())
        print(f"timeouts: idle/headers {IDLE_TIMEOUT:.0f} s, body {BODY_TIMEOUT:.0f} s")
        print(f"{clients} slow clients, after {time.monotonic() - started:.0f} s: {still_open} still open "
              f"(closed: {closed}); /healthz answered {answered}")  # fmt: skip
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()
        await slack.close()
        await shutdown(bot)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=210)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(run(args.clients, args.seconds))


if __name__ == "__main__":
    main()
