"""Slack over HTTP: signed slash commands through the real slack-bolt app, as Slack sends them.

    .venv/bin/python -m benchmarks.slack                       # 200 members × 10 commands
    .venv/bin/python -m benchmarks.slack --members 50 --commands 5

The bot (slack-bolt app, core, SQLite) runs in a process of its own; this process is Slack: it
signs and sends the commands and runs the fake Web API that the bot answers through, so the
client never shares the bot's event loop. Each member joins (`/samskap bli-med`, a write), then
sends `/samskap innstillinger` `--commands` times, each waiting for the previous answer. An
answer is noticed the moment its `response_url` post arrives (no polling). The fake Web API has
no rate limits, and needs none here: the answers go through `response_url`, which no method's
tier limits, and the bot's only Web API calls are one `users.info` a member (kept for 5 minutes)
and one `auth.test`.

Measured: time to the HTTP acknowledgement (Slack gives up after 3 s), and time to the answer.
Checked: every command acknowledged with 200 and answered, no error logged by the bot, every
member stored; it exits non-zero on any failure. Targets (reported as met or missed, since a busy
machine moves them): ack p99 ≤ 100 ms, answer p99 ≤ 1 s. Also printed: the CPU time the bot's
process spends a command, which a busy machine does not inflate as it does the latencies, and how
long that process waited for a free CPU (what a busy machine adds to the latencies).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "slack"))

from fake_slack import FakeSlack, command_body, signed_headers
from slack_harness import SECRET, slack_options

ACK_P99_MS = 100.0
ANSWER_P99_MS = 1000.0
ANSWER_TIMEOUT = 30.0


class AnsweringFakeSlack(FakeSlack):
    """The fake Slack, telling a waiting member the moment their answer arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, asyncio.Future[None]] = {}

    def expect(self, hook: str) -> asyncio.Future[None]:
        future = self.waiting[hook] = asyncio.get_running_loop().create_future()
        return future

    async def _hook(self, request: web.Request) -> web.Response:
        response = await super()._hook(request)
        future = self.waiting.pop(request.match_info["hook"], None)
        if future is not None and not future.done():
            future.set_result(None)
        self.hooks.clear()  # a long run would keep every answer
        return response


# -- the bot's process ----------------------------------------------------------------------------
def serve_bot(api_url: str, database: str, ports: Any, stop: Any, results: Any) -> None:
    asyncio.run(_serve_bot(api_url, database, ports, stop, results))


async def _serve_bot(api_url: str, database: str, ports: Any, stop: Any, results: Any) -> None:
    from adapters.slack.app import SlackApp
    from adapters.slack.runner import web_app
    from bot.app import build_bot, tune_garbage_collector
    from bot.config import Config
    from storage.models.core import Member

    errors = _ErrorCount()
    logging.getLogger().addHandler(errors)
    bot = await build_bot(Config(database_url=f"sqlite:///{database}"))
    app = SlackApp(bot, slack_options(SimpleNamespace(api_url=api_url)))  # type: ignore[arg-type]
    bot.add_adapter(app.adapter)
    runner = web.AppRunner(web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    tune_garbage_collector()
    ports.put(runner.addresses[0][1])
    cpu_started, waited_before = time.process_time(), waited_for_cpu()
    await asyncio.to_thread(stop.wait)
    cpu, waited = time.process_time() - cpu_started, waited_for_cpu() - waited_before
    from sqlalchemy import func, select

    async with bot.db.read() as s:
        members = await s.scalar(select(func.count()).select_from(Member))
    await runner.cleanup()
    await app.close()
    await bot.db.dispose()
    results.put({"errors": errors.count, "members": members, "cpu": cpu, "waited": waited})


def waited_for_cpu() -> float:
    """Seconds this process's main thread was ready to run but waited for a CPU (Linux; else 0)."""
    try:
        with open("/proc/self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class _ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


# -- Slack's side ---------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def run(members: int, commands: int) -> int:
    fake = await AnsweringFakeSlack().start()
    context = multiprocessing.get_context("spawn")
    ports, results, stop = context.Queue(), context.Queue(), context.Event()
    with tempfile.TemporaryDirectory() as tmp:
        bot = context.Process(target=serve_bot, args=(fake.api_url, str(Path(tmp) / "s.db"), ports, stop, results))
        bot.start()
        port = await asyncio.to_thread(ports.get, True, 60)
        url = f"http://127.0.0.1:{port}/slack/events"
        connector = aiohttp.TCPConnector(limit=members + 10)
        problems: list[str] = []
        # By kind: the joins (all members at once, each a write) and the commands after them.
        ack_ms: dict[str, list[float]] = {"join": [], "command": []}
        answer_ms: dict[str, list[float]] = {"join": [], "command": []}
        async with aiohttp.ClientSession(connector=connector) as http:

            async def command(user: str, text: str, hook: str, kind: str = "command") -> None:
                body = command_body("/samskap", text, user=user, response_url=fake.hook_url(hook))
                answered = fake.expect(hook)
                started = time.perf_counter()
                headers = signed_headers(SECRET, body, "application/x-www-form-urlencoded")
                async with http.post(url, data=body.encode(), headers=headers) as response:
                    await response.read()
                    status = response.status
                ack_ms[kind].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    problems.append(f"HTTP {status} for a command")
                    return
                try:
                    await asyncio.wait_for(answered, ANSWER_TIMEOUT)
                except TimeoutError:
                    problems.append("a command was not answered")
                    return
                answer_ms[kind].append((time.perf_counter() - started) * 1000)

            async def member(index: int) -> None:
                user = f"U{index:04d}"
                await command(user, f"bli-med Skole {index % 12}", f"{user}-join", "join")
                for n in range(commands):
                    await command(user, "innstillinger", f"{user}-{n}")

            # The first use sets the workspace up as a network; the rest then come at once.
            await command("U9999", "", "first", "join")
            started = time.perf_counter()
            await asyncio.gather(*(member(i) for i in range(members)))
            elapsed = time.perf_counter() - started
        stop.set()
        outcome = await asyncio.to_thread(results.get, True, 60)
        await asyncio.to_thread(bot.join, 30)
    await fake.close()

    acks, answers = ack_ms["join"] + ack_ms["command"], answer_ms["join"] + answer_ms["command"]
    total = len(acks)
    print(f"{members} members × (join + {commands} commands) = {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
    print(f"ack:    p50 {statistics.median(acks):.1f} ms, p99 {percentile(acks, 0.99):.1f} ms, "
          f"max {max(acks):.1f} ms  ({verdict(acks, ACK_P99_MS)})")  # fmt: skip
    if answers:
        print(f"answer: p50 {statistics.median(answers):.1f} ms, p99 {percentile(answers, 0.99):.1f} ms  "
              f"({verdict(answers, ANSWER_P99_MS)})")  # fmt: skip
    for kind, label in (("join", "the joins, all at once"), ("command", "the commands after them")):
        if ack_ms[kind] and answer_ms[kind]:
            print(f"        {label}: ack p50 {statistics.median(ack_ms[kind]):.1f} / p99 "
                  f"{percentile(ack_ms[kind], 0.99):.1f} ms, answer p50 {statistics.median(answer_ms[kind]):.1f} / "
                  f"p99 {percentile(answer_ms[kind], 0.99):.1f} ms")  # fmt: skip
    print(f"bot:    {outcome['cpu']:.2f} s CPU, {1000 * outcome['cpu'] / total:.2f} ms a command; "
          f"it waited {outcome['waited']:.1f} s for a free CPU")  # fmt: skip
    if outcome["errors"]:
        problems.append(f"{outcome['errors']} errors logged by the bot")
    if outcome["members"] != members:
        problems.append(f"{outcome['members']} members stored, {members} joined")
    for problem in sorted(set(problems)):
        print(f"  FAILED: {problem} (×{problems.count(problem)})")
    print("FAILED" if problems else "OK: every command acknowledged and answered, no errors, every member stored")
    return 1 if problems else 0


def verdict(values: list[float], target_ms: float) -> str:
    met = percentile(values, 0.99) <= target_ms
    return f"target p99 ≤ {target_ms:g} ms: {'met' if met else 'missed'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--commands", type=int, default=10)
    args = parser.parse_args()
    return asyncio.run(run(args.members, args.commands))


if __name__ == "__main__":
    sys.exit(main())
