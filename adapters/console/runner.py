"""`samskap run` on the console: a demo network, simulated members, and a movable clock."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.console.adapter import ConsoleAdapter
from adapters.http_pages import samskap_pages
from adapters.ops_http import application, serve_http
from bot.app import start_background, tick
from bot.clock import OffsetClock
from bot.core import Bot
from bot.features.membership.service import MembershipService
from bot.i18n import N_
from storage.backup import BackupError, sqlite_path

CLOCK_STEP = re.compile(r"^\+?(\d{1,4})\s*([mhdwtu])$", re.IGNORECASE)
UNITS = {"m": "minutes", "h": "hours", "t": "hours", "d": "days", "w": "weeks", "u": "weeks"}

INTRO = N_(
    "samskap — the console. Write a command, e.g. /samskap, or «kari: /samskap join Nordby School» to "
    "speak as a simulated member. Numbers press buttons. /clock +14d moves the clock on. Ctrl-D ends."
)


def parse_clock_step(text: str) -> timedelta | None:
    match = CLOCK_STEP.match(text.strip())
    if not match:
        return None
    return timedelta(**{UNITS[match.group(2).lower()]: int(match.group(1))})


def beside_database(bot: Bot, suffix: str) -> Path | None:
    """A file or folder next to the SQLite database ("samskap.db" → "samskap-vedlegg"), or None."""
    try:
        database = sqlite_path(bot.config.database_url)
    except BackupError:
        return None
    return database.with_name(database.stem + suffix)


async def serve(bot: Bot, options: dict[str, Any]) -> None:
    adapter: ConsoleAdapter = options.get("console_adapter") or ConsoleAdapter(
        attachments=beside_database(bot, "-vedlegg")
    )
    adapter.t = bot.translator_for()  # the configured language
    bot.add_adapter(adapter)
    restore_clock(bot)
    await ensure_demo_network(bot, adapter)
    if options.get("interactive", sys.stdin.isatty()):
        adapter.write(adapter.t.t(INTRO))
    start_background(bot)
    http = await start_http(bot, int(options["port"])) if options.get("http") else None
    if http is not None:
        pages = N_("(the web pages answer at http://127.0.0.1:{port}; /samskap leder oversikt gives the link)")
        adapter.write(adapter.t.t(pages, port=options["port"]))
    try:
        reader = options.get("readline") or stdin_reader()
        stop: asyncio.Event = options.get("stop") or asyncio.Event()
        while True:
            line = await next_line(reader, stop)
            if line is None:  # asked to stop: the command line lets the work under way finish
                return
            if line == "":
                break
            await handle_line(bot, adapter, line)
        # End of input: what is due still goes out, here. The background tick finishes first, so that
        # it is not cut short by the stop that follows (which leaves unsent work to other workers).
        await bot.scheduler.stop()
        await tick(bot)
    finally:
        if http is not None:
            await http.cleanup()


async def start_http(bot: Bot, port: int) -> web.AppRunner:
    """The leaders' page and the operator's routes, on this machine only: the console is a demo."""
    app = application()
    samskap_pages(app, bot, lambda: None, {"local_url": f"http://127.0.0.1:{port}"})
    return await serve_http(app, "127.0.0.1", port)


async def next_line(reader: Callable[[], Awaitable[str]], stop: asyncio.Event) -> str | None:
    """The next line typed, or None once `stop` is set."""
    reading = asyncio.ensure_future(reader())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if reading.done():
        return reading.result()
    reading.cancel()
    return None


async def handle_line(bot: Bot, adapter: ConsoleAdapter, line: str) -> None:
    stripped = line.strip()
    speaker_free = stripped.split(":", 1)[1].strip() if re.match(r"^\w+:", stripped) else stripped
    if speaker_free.lower().startswith(("/klokke", "/clock")):
        await move_clock(bot, adapter, speaker_free.split(maxsplit=1)[1] if " " in speaker_free else "")
        return
    parsed = adapter.parse_line(line)
    if parsed is None:
        return
    if isinstance(parsed, str):
        adapter.write(parsed)
        return
    await bot.dispatch(parsed, adapter)


async def move_clock(bot: Bot, adapter: ConsoleAdapter, arg: str) -> None:
    clock = bot.clock
    if arg:
        step = parse_clock_step(arg)
        if step is None or not isinstance(clock, OffsetClock):
            adapter.write(adapter.t.t("(use /clock +14d, +3h, +30m or +2w)"))
            return
        clock.advance(step)
        keep_clock(bot)
    now = clock.now().astimezone(ZoneInfo(bot.config.timezone))
    moment = f"{now:%Y-%m-%d %H:%M} {now.tzname()}"
    adapter.write(adapter.t.t("(the time is now {time})", time=moment))
    await tick(bot)


def restore_clock(bot: Bot) -> None:
    """The clock as /klokke left it: a restarted demo neither sends again nor skips what is due."""
    path = beside_database(bot, ".klokke")
    if isinstance(bot.clock, OffsetClock) and path is not None and path.exists():
        try:
            bot.clock.offset = timedelta(seconds=float(path.read_text().strip()))
        except ValueError:
            return


def keep_clock(bot: Bot) -> None:
    path = beside_database(bot, ".klokke")
    if isinstance(bot.clock, OffsetClock) and path is not None:
        path.write_text(f"{bot.clock.offset.total_seconds()}\n")


async def ensure_demo_network(bot: Bot, adapter: ConsoleAdapter) -> None:
    membership = bot.services.get(MembershipService)
    _, created = await membership.setup_network(adapter.user(adapter.default_member), adapter.channel(), "")
    if created:
        adapter.write(
            adapter.t.t(
                "(made the demo network «{name}» with the channel #{channel})",
                name=bot.config.network_name,
                channel=adapter.channel().id,
            )
        )


def stdin_reader() -> Callable[[], Awaitable[str]]:
    """Lines from standard input without blocking the event loop.

    A daemon thread reads, so Ctrl-C ends the program at once (a thread of the default executor
    blocked in `readline` would keep it waiting for one more line)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        while True:
            line = sys.stdin.readline()
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if line == "":
                return

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return lines.get
