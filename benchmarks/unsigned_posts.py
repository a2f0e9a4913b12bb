"""How much an attacker's unsigned posts to /slack/events write to the log, and how fast they are refused.

    .venv/bin/python -m benchmarks.unsigned_posts                 # 20 posts of 1 MB, log at INFO
    .venv/bin/python -m benchmarks.unsigned_posts --posts 100 --level DEBUG

The Slack HTTP app (`adapters.slack.runner.web_app`) is served on 127.0.0.1 with a fake Slack behind
it, logging set up as `samskap run` does; `--posts` unsigned bodies of `--size` bytes are posted one
after the other. Printed: bytes written to the log, the time to refuse them all, and whether the
log holds any of the bodies' text.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "slack"))

MARKER = "unsignedmarker"


async def measure(posts: int, size: int, level: str) -> None:
    from fake_slack import FakeSlack  # type: ignore[import-not-found]
    from slack_harness import slack_options  # type: ignore[import-not-found]

    from adapters.slack.app import SlackApp
    from adapters.slack.runner import web_app
    from bot.app import build_bot
    from bot.clock import FakeClock
    from bot.config import Config
    from bot.logs import configure_logging

    configure_logging(level)
    stream = io.StringIO()
    counted = logging.StreamHandler(stream)
    logging.getLogger().addHandler(counted)
    fake = await FakeSlack().start()
    with tempfile.TemporaryDirectory() as folder:
        bot = await build_bot(Config(database_url=f"sqlite:///{folder}/b.db"), clock=FakeClock())
        app = SlackApp(bot, slack_options(fake))
        server = TestServer(web_app(app), host="127.0.0.1")
        await server.start_server()
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # the test server's, not samskap's
        body = urlencode({"text": MARKER * (size // len(MARKER) - 1)})
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        stream.seek(0), stream.truncate()
        started = time.perf_counter()
        async with aiohttp.ClientSession() as http:
            for _ in range(posts):
                async with http.post(str(server.make_url("/slack/events")), data=body, headers=form) as response:
                    assert response.status == 401, response.status
        elapsed = time.perf_counter() - started
        logged = stream.getvalue()
        await server.close()
        await app.close()
        await bot.db.dispose()
    await fake.close()
    leaked = "yes" if MARKER in logged else "no"
    print(f"{posts} unsigned posts of {len(body):,} bytes at {level}: refused in {elapsed:.2f} s; "
          f"{len(logged.encode()):,} bytes logged; bodies in the log: {leaked}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--level", default="INFO")
    args = parser.parse_args()
    asyncio.run(measure(args.posts, args.size, args.level))


if __name__ == "__main__":
    main()
