"""Memory over a long run: the resident size after many commands must not keep growing.

    .venv/bin/python -m benchmarks.memory                        # 10,000 then 100,000 commands, every adapter
    .venv/bin/python -m benchmarks.memory --first 2000 --total 20000 --adapter console
    .venv/bin/python -m benchmarks.memory --adapter slack        # or discord

Drives the five-command mix of `benchmarks.core_commands` through one adapter at a time on SQLite,
50 members taking turns, and prints the resident set size (RSS) after `--first` and after
`--total` commands. It exits non-zero when the second is more than `--limit-mib` (20) above the
first, or when any error was logged.

- `console`: the console adapter in this process; every sixth line presses a button printed a
  while ago (some long forgotten, so the console's bounded button list is exercised too).
- `memory`: `Bot.dispatch` on the in-memory adapter in this process.
- `slack`: the real slack-bolt app over HTTP in a process of its own, talking to the fake Slack
  of `tests/slack` (its Web API and `response_url`s), which runs here with the signed client.
- `discord`: the real discord.py client in a process of its own, connected to the fake Discord of
  `tests/discord` (its gateway and REST API), which runs here and sends the interactions.

For Slack and Discord the bot runs as `samskap run` has it (the system clock, the scheduler
ticking), and the RSS is the bot process's own (after a garbage collection there), so the fake
platform and the client are not counted. The 50 members each have one command in flight (on
Slack each in a channel of their own, so that a card posted in the channel is known to answer
that member's `/ide`), and a command counts as done when its answer reached the fake platform.
Those two runs also check that every command was answered and that every idea posted is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import logging
import multiprocessing
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "slack"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "discord"))

from fake_discord import FakeDiscord
from fake_slack import FakeSlack, command_body, signed_headers
from slack_harness import SECRET

from adapters.console.adapter import ConsoleAdapter
from adapters.console.runner import ensure_demo_network, handle_line
from adapters.discord.rest import DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE
from benchmarks.core_commands import CountingAdapter, ErrorCount, command_line
from bot.app import build_bot, tune_garbage_collector
from bot.clock import FakeClock
from bot.config import Config

MEMBERS = 50
ANSWER_TIMEOUT = 30.0  # seconds for one command's answer to reach the fake platform


@dataclass
class Measured:
    at_first: float
    at_total: float
    problems: list[str] = field(default_factory=list)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def mix_line(n: int) -> str:
    """Command number `n` of the run: members take turns, each going through the mix."""
    return command_line("mix", n // MEMBERS)


async def run_console(url: str, first: int, total: int) -> Measured:
    out = io.StringIO()
    adapter = ConsoleAdapter(out=out)
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[adapter])
    await ensure_demo_network(bot, adapter)
    names = [f"m{i}" for i in range(MEMBERS)]
    for i, name in enumerate(names):
        await handle_line(bot, adapter, f"{name}: /samskap bli-med Skole {i}")

    async def commands(start: int, end: int) -> None:
        for n in range(start, end):
            name = names[n % MEMBERS]
            # Every sixth line presses a button printed a while ago (some long forgotten).
            line = str(max(1, adapter._last_button - n % 1500)) if n % 6 == 5 else mix_line(n)
            await handle_line(bot, adapter, f"{name}: {line}")
            out.seek(0)
            out.truncate()

    try:
        return await measure(commands, first, total)
    finally:
        await bot.db.dispose()


async def run_memory(url: str, first: int, total: int) -> Measured:
    adapter = CountingAdapter()
    bot = await build_bot(Config(database_url=url), clock=FakeClock(), adapters=[adapter])
    names = [f"m{i}" for i in range(MEMBERS)]
    for i, name in enumerate(names):
        await bot.dispatch(adapter.command_event(name, f"/samskap bli-med Skole {i}"), adapter)

    async def commands(start: int, end: int) -> None:
        for n in range(start, end):
            await bot.dispatch(adapter.command_event(names[n % MEMBERS], mix_line(n)), adapter)

    try:
        return await measure(commands, first, total)
    finally:
        await bot.db.dispose()


async def measure(commands: Callable[[int, int], Awaitable[None]], first: int, total: int) -> Measured:
    tune_garbage_collector()
    await commands(0, first)
    gc.collect()
    at_first = rss_mib()
    await commands(first, total)
    gc.collect()
    return Measured(at_first, rss_mib())


# -- the bot's own process (Slack and Discord) ------------------------------------------------------
Stop = Callable[[], Awaitable[None]]


def serve_bot(platform: str, url: str, fake_url: str, control: Connection) -> None:
    asyncio.run(_serve_bot(platform, url, fake_url, control))


async def _serve_bot(platform: str, url: str, fake_url: str, control: Connection) -> None:
    """The bot as `samskap run` has it (system clock, background ticks), answering `control`:
    "rss" → its resident size after a garbage collection; "stop" → what it logged and stored."""
    from sqlalchemy import func, select

    from bot.app import start_background
    from storage.models.ideas import PracticeIdea

    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    bot = await build_bot(Config(database_url=url))
    start = _start_slack if platform == "slack" else _start_discord
    stop_platform, ready = await start(bot, fake_url)
    start_background(bot)
    tune_garbage_collector()  # as `samskap run` does
    control.send(ready)
    while await asyncio.to_thread(control.recv) == "rss":
        gc.collect()
        control.send(rss_mib())
    await bot.scheduler.stop(5)
    async with bot.db.read() as s:
        ideas = await s.scalar(select(func.count()).select_from(PracticeIdea))
    await stop_platform()
    await bot.db.dispose()
    control.send({"errors": errors.count, "kinds": errors.kinds, "ideas": ideas})


async def _start_slack(bot: Any, fake_url: str) -> tuple[Stop, dict[str, Any]]:
    """The slack-bolt app on an HTTP port of its own, calling the fake Slack's Web API."""
    from aiohttp import web
    from slack_harness import slack_options

    from adapters.slack.app import SlackApp
    from adapters.slack.runner import web_app

    app = SlackApp(bot, slack_options(SimpleNamespace(api_url=f"{fake_url}/api/")))  # type: ignore[arg-type]
    bot.add_adapter(app.adapter)
    runner = web.AppRunner(web_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()

    async def stop() -> None:
        await runner.cleanup()
        await app.close()

    return stop, {"port": int(runner.addresses[0][1])}


async def _start_discord(bot: Any, fake_url: str) -> tuple[Stop, dict[str, Any]]:
    """discord.py's client connected to the fake Discord's gateway; the slash commands' shape."""
    from adapters.discord.commands import default_sub_name
    from adapters.discord.options import DiscordOptions
    from adapters.discord.runner import attach
    from bot.config import Secret

    gateway = fake_url.replace("http://", "ws://") + "/gateway"
    options = DiscordOptions(token=Secret("fake-token"), api_url=f"{fake_url}/api/v10", gateway_url=gateway,
                             guild_ready_timeout=0.05)  # fmt: skip
    adapter = attach(bot, options)
    connection = asyncio.create_task(adapter.client.start("fake-token"))
    await asyncio.wait_for(adapter.client.wait_until_ready(), 30)

    async def stop() -> None:
        await adapter.client.close()
        await asyncio.gather(connection, return_exceptions=True)

    groups = {name: (sorted(g.subcommands), default_sub_name(g)) for name, g in bot.router.commands.items()}
    return stop, {"groups": groups}


# -- the platform's side: members sending commands and waiting for their answers --------------------
class Waiting:
    """Futures for answers not seen yet, by key; the fakes settle them as answers arrive."""

    def __init__(self) -> None:
        self.futures: dict[str, asyncio.Future[None]] = {}

    def expect(self, *keys: str) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        for key in keys:
            self.futures[key] = future
        return future

    def settle(self, key: str) -> None:
        future = self.futures.pop(key, None)
        if future is not None and not future.done():
            future.set_result(None)

    def forget(self, *keys: str) -> None:
        for key in keys:
            self.futures.pop(key, None)


async def answered(waiting: Waiting, keys: tuple[str, ...], send: Awaitable[str], problems: list[str]) -> None:
    """Send one command (`send` gives a problem, or ""), then wait for its answer."""
    future = waiting.expect(*keys)
    try:
        problem = await send
        if problem:
            problems.append(problem)
            return
        await asyncio.wait_for(future, ANSWER_TIMEOUT)
    except TimeoutError:
        problems.append("a command was not answered")
    finally:
        waiting.forget(*keys)


@dataclass
class AnsweringSlack(FakeSlack):
    """The fake Slack, keeping nothing (a long run would keep every call) and telling a waiting
    member when their answer arrives: at their `response_url`, or posted in their channel."""

    waiting: Waiting = field(default_factory=Waiting)

    async def _hook(self, request: web.Request) -> web.Response:
        response = await super()._hook(request)
        self.hooks.clear()
        self.waiting.settle(f"hook:{request.match_info['hook']}")
        return response

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        answer = super()._answer(method, params)
        if method == "chat.postMessage" and not params.get("thread_ts"):
            self.waiting.settle(f"channel:{params.get('channel')}")
        self.requests.clear()
        self.messages.clear()
        return answer


class SlackSide:
    """Slack: signed slash commands to the bot's HTTP port, each member in a channel of their own."""

    def __init__(self) -> None:
        self.fake = AnsweringSlack()
        self.waiting = self.fake.waiting
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=MEMBERS + 10))
        self.events_url = ""

    @property
    def url(self) -> str:
        return self.fake.url

    async def start(self) -> None:
        await self.fake.start()

    async def connect(self, ready: dict[str, Any]) -> None:
        self.events_url = f"http://127.0.0.1:{ready['port']}/slack/events"

    async def close(self) -> None:
        await self.http.close()
        await self.fake.close()

    async def command(self, index: int, line: str, hook: str, problems: list[str]) -> None:
        user, channel = f"U{index:04d}", f"C{index:04d}"
        name, _, text = line.partition(" ")
        body = command_body(name, text, user=user, channel=channel, response_url=self.fake.hook_url(hook))
        headers = signed_headers(SECRET, body, "application/x-www-form-urlencoded")

        async def send() -> str:
            async with self.http.post(self.events_url, data=body.encode(), headers=headers) as response:
                await response.read()
                return "" if response.status == 200 else f"HTTP {response.status} for a command"

        await answered(self.waiting, (f"hook:{hook}", f"channel:{channel}"), send(), problems)

    async def join_everyone(self, problems: list[str]) -> None:
        await self.command(9999, "/samskap", "first", problems)  # the first use sets the workspace up
        await asyncio.gather(*(self.command(i, f"/samskap bli-med Skole {i}", f"join-{i}", problems)
                               for i in range(MEMBERS)))  # fmt: skip

    async def commands(self, start: int, end: int, problems: list[str]) -> None:
        await take_turns(start, end, lambda i, n: self.command(i, mix_line(n), f"{i}-{n}", problems))


@dataclass
class AnsweringDiscord(FakeDiscord):
    """The fake Discord, keeping nothing and telling a waiting member when their interaction is
    answered: its initial response, or (after a deferral) its first follow-up."""

    waiting: Waiting = field(default_factory=Waiting)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        response = await super()._rest(request)
        self.requests.clear()
        self.messages.clear()
        self.followups.clear()
        if len(self._nonces) > 1000:
            self._nonces.clear()
        return response

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        result = super()._callback(interaction_id, token, body)
        self.callbacks.clear()
        self._interaction_channels.pop(token, None)
        if body["type"] not in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE):
            self.waiting.settle(token)
        return result

    async def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        result = await super()._route(method, path, body)
        if match := re.fullmatch(r"/webhooks/\d+/([^/]+)(/messages/[^/]+)?", path):
            self.waiting.settle(match.group(1))
        return result


class DiscordSide:
    """Discord: slash-command interactions through the gateway, answered through the REST API."""

    def __init__(self) -> None:
        self.fake = AnsweringDiscord()
        self.groups: dict[str, tuple[list[str], str]] = {}

    @property
    def url(self) -> str:
        return self.fake.url

    async def start(self) -> None:
        await self.fake.start()

    async def connect(self, ready: dict[str, Any]) -> None:
        self.groups = ready["groups"]
        await asyncio.wait_for(self.fake._identified.wait(), 30)

    async def close(self) -> None:
        await self.fake.close()

    async def command(self, index: int, line: str, problems: list[str], *, admin: bool = False) -> None:
        name = f"m{index}"
        payload = self.fake.interaction(2, slash_data(self.groups, line), str(510000000000000000 + index), name,
                                        admin=admin)  # fmt: skip

        async def send() -> str:
            await self.fake.dispatch("INTERACTION_CREATE", payload)
            return ""

        await answered(self.fake.waiting, (payload["token"],), send(), problems)

    async def join_everyone(self, problems: list[str]) -> None:
        await self.command(9999, "/samskap oppsett", problems, admin=True)  # a server admin sets the network up
        await asyncio.gather(*(self.command(i, f"/samskap bli-med Skole {i}", problems) for i in range(MEMBERS)))

    async def commands(self, start: int, end: int, problems: list[str]) -> None:
        await take_turns(start, end, lambda i, n: self.command(i, mix_line(n), problems))


def slash_data(groups: dict[str, tuple[list[str], str]], line: str) -> dict[str, Any]:
    """A typed command line as Discord sends it: the group, its subcommand, the free text."""
    name, _, rest = line.removeprefix("/").partition(" ")
    subs, default = groups[name]
    text: list[dict[str, Any]] = []
    if subs:
        first, _, after = rest.partition(" ")
        sub, rest = (first, after) if first in subs else (default, rest)
    if rest:
        text = [{"type": 3, "name": "tekst", "value": rest}]
    options = [{"type": 1, "name": sub, "options": text}] if subs else text
    return {"id": "1", "name": name, "type": 1, "options": options}


async def take_turns(start: int, end: int, command: Callable[[int, int], Awaitable[None]]) -> None:
    """Commands `start`..`end`: command n is member n % MEMBERS's, each member one at a time."""

    async def member(index: int) -> None:
        for n in range(start + (index - start) % MEMBERS, end, MEMBERS):
            await command(index, n)

    await asyncio.gather(*(member(i) for i in range(MEMBERS)))


async def run_platform(platform: str, url: str, first: int, total: int) -> Measured:
    """The fake platform here, the bot in a process of its own: drive, measure, check."""
    side: SlackSide | DiscordSide = SlackSide() if platform == "slack" else DiscordSide()
    await side.start()
    context = multiprocessing.get_context("spawn")
    control, bot_end = context.Pipe()
    bot = context.Process(target=serve_bot, args=(platform, url, side.url, bot_end), daemon=True)
    bot.start()
    problems: list[str] = []

    async def ask(request: str | None) -> Any:
        if request is not None:
            control.send(request)
        if not await asyncio.to_thread(control.poll, 300):
            raise RuntimeError("the bot's process did not answer")
        return control.recv()

    try:
        await side.connect(await ask(None))
        await side.join_everyone(problems)
        await side.commands(0, first, problems)
        at_first = await ask("rss")
        await side.commands(first, total, problems)
        at_total = await ask("rss")
        outcome = await ask("stop")
    finally:
        await side.close()
        await asyncio.to_thread(bot.join, 60)
        if bot.is_alive():
            bot.kill()
    if outcome["errors"]:
        problems.append(f"{outcome['errors']} errors logged by the bot ({'; '.join(outcome['kinds'])})")
    posted = sum(1 for n in range(total) if _posts_an_idea(mix_line(n)))
    if outcome["ideas"] != posted:
        problems.append(f"{outcome['ideas']} ideas stored, {posted} posted")
    return Measured(at_first, at_total, problems)


def _posts_an_idea(line: str) -> bool:
    return line.startswith("/ide ") and not line.startswith("/ide prøv")


async def run_slack(url: str, first: int, total: int) -> Measured:
    return await run_platform("slack", url, first, total)


async def run_discord(url: str, first: int, total: int) -> Measured:
    return await run_platform("discord", url, first, total)


RUNNERS = {"console": run_console, "memory": run_memory, "slack": run_slack, "discord": run_discord}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--adapter", choices=[*RUNNERS, "all"], default="all")
    parser.add_argument("--limit-mib", type=float, default=20.0)
    args = parser.parse_args()
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    failed = False
    for name in RUNNERS if args.adapter == "all" else [args.adapter]:
        with tempfile.TemporaryDirectory() as tmp:
            measured = asyncio.run(RUNNERS[name](f"sqlite:///{Path(tmp) / 'm.db'}", args.first, args.total))
        grown = measured.at_total - measured.at_first
        ok = grown <= args.limit_mib and not measured.problems
        failed |= not ok
        verdict = "" if grown <= args.limit_mib else f"  FAILED (limit {args.limit_mib:g} MiB)"
        print(f"{name:<8} RSS after {args.first:,} commands {measured.at_first:.1f} MiB, after {args.total:,} "
              f"{measured.at_total:.1f} MiB: {grown:+.1f} MiB{verdict}", flush=True)  # fmt: skip
        for problem in sorted(set(measured.problems)):
            print(f"  FAILED: {problem} (×{measured.problems.count(problem)})")
    if errors.count:
        print(f"FAILED: {errors.count} errors logged ({'; '.join(errors.kinds)})")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
