"""Exactly once under SIGKILL: three workers on one PostgreSQL database, a fan-out, kills mid-send.

    .venv/bin/python -m benchmarks.exactly_once                          # Slack and Discord, 5 rounds
    .venv/bin/python -m benchmarks.exactly_once --platform slack --rounds 10 --destinations 900
    .venv/bin/python -m benchmarks.exactly_once --kill-at random         # kills at any moment
    .venv/bin/python -m benchmarks.exactly_once --workers-from ../old-checkout  # an older checkout's workers

Each round stores one message for each of `--destinations` channels and lets `--workers` real
`samskap run` processes send them to a fake Slack or Discord on 127.0.0.1 (the fakes of the tests,
which keep message metadata and enforce nonces as the platforms document). `--kills` times per
round a worker is killed with SIGKILL and replaced: with `--kill-at post`, the moment after the
platform kept one of its messages and before the worker heard back (the worst moment: sent, not
yet marked sent); with `--kill-at random`, at a random moment while it sends. Missing messages
and duplicates are counted on the fake platform, per channel. Needs PostgreSQL
(SAMSKAP_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from worker_processes import Worker, all_sent, start_worker, store_fan_out  # noqa: E402

from bot.adapter import Destination  # noqa: E402
from bot.events import Conversation  # noqa: E402
from storage.scratch import throwaway_postgres  # noqa: E402

POSTGRES_URL = os.environ.get("SAMSKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Round:
    missing: int = 0
    duplicates: int = 0
    kills: int = 0
    seconds: float = 0.0


@dataclass
class Team:
    """The workers of one round, and the killing."""

    platform: str
    fake: Any
    database_url: str
    folder: Path
    args: argparse.Namespace
    kills_left: int = 0
    workers: dict[str, Worker] = field(default_factory=dict)
    posts: dict[str, int] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    number: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def add(self) -> None:
        self.number += 1
        token = f"worker-{self.number}"
        posts_each = self.args.destinations // self.args.workers
        self.limits[token] = random.randint(posts_each // 10 + 1, posts_each // 2 + 1)
        if self.platform == "slack":
            env = {"SLACK_BOT_TOKEN": f"xoxb-{token}", "SLACK_APP_TOKEN": "xapp-x", "SLACK_API_URL": self.fake.api_url}
        else:
            env = {"DISCORD_BOT_TOKEN": token, "SAMSKAP_DISCORD_API_URL": self.fake.api_url,
                   "SAMSKAP_DISCORD_GATEWAY_URL": self.fake.gateway_url}  # fmt: skip
        settings: dict[str, Any] = {"scheduler_tick_seconds": 0.1}
        if self.args.own_code:  # an older checkout has its lease fixed at 2 minutes
            settings["outbox_lease_seconds"] = self.args.lease
        self.workers[token] = await start_worker(
            token, self.platform, self.folder, database_url=self.database_url, env=env, settings=settings,
            code=Path(self.args.workers_from),
        )  # fmt: skip

    def kill(self, token: str) -> None:
        self.kills_left -= 1
        self.workers[token].signal(signal.SIGKILL)
        task = asyncio.create_task(self.add())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def posted(self, token: str) -> None:
        self.posts[token] = self.posts.get(token, 0) + 1
        if self.args.kill_at != "post" or self.kills_left <= 0 or token not in self.workers:
            return
        if self.posts[token] == self.limits[token]:
            self.kill(token)

    async def kill_at_random(self, total: int) -> None:
        """Kill a worker that is sending, at random moments through the fan-out."""
        while self.kills_left > 0:
            await asyncio.sleep(random.uniform(0.2, 1.5))
            sent = sum(self.posts.values())
            busy = [t for t, w in self.workers.items() if self.posts.get(t) and w.process.returncode is None]
            if busy and sent < total * 0.9:
                self.kill(random.choice(busy))

    async def close(self) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.gather(*(w.close() for w in self.workers.values()))


async def fake_platform(platform: str) -> Any:
    if platform == "slack":
        from fake_slack import FakeSlack

        return await FakeSlack().start()
    from fake_discord import FakeDiscord

    return await FakeDiscord().start()


async def one_round(platform: str, args: argparse.Namespace, folder: Path) -> Round:
    fake = await fake_platform(platform)
    channels = [str(230000000000000000 + i) if platform == "discord" else f"C{i:05d}" for i in range(args.destinations)]
    workspace = "100000000000000001" if platform == "discord" else "T1"
    result = Round()
    async with throwaway_postgres(POSTGRES_URL, prefix="samskap_bench") as url:
        await store_fan_out(url, [Destination.channel(Conversation(platform, workspace, c)) for c in channels])
        team = Team(platform, fake, url, folder, args, kills_left=args.kills)

        async def posted(call: Any, answer: Any) -> None:
            await team.posted(str(call.token).removeprefix("xoxb-"))

        fake.on_post = posted
        started = time.monotonic()
        try:
            await asyncio.gather(*(team.add() for _ in range(args.workers)))
            killer = asyncio.create_task(team.kill_at_random(args.destinations)) if args.kill_at == "random" else None
            with contextlib.suppress(AssertionError):
                await all_sent(url, args.destinations, within=args.timeout)
            result.seconds = time.monotonic() - started
            if killer is not None:
                killer.cancel()
            await asyncio.sleep(1.0)  # a worker's last posts after the table says sent are counted too
        finally:
            await team.close()
            await fake.close()
        counts = [len(fake.messages.get(c, [])) for c in channels]
        result.missing = sum(1 for n in counts if n == 0)
        result.duplicates = sum(n - 1 for n in counts if n > 1)
        result.kills = args.kills - team.kills_left
    return result


async def main(args: argparse.Namespace) -> None:
    platforms = ["slack", "discord"] if args.platform == "both" else [args.platform]
    with tempfile.TemporaryDirectory(prefix="samskap-exactly-once-") as tmp:
        for platform in platforms:
            rounds = []
            for number in range(1, args.rounds + 1):
                folder = Path(tmp) / f"{platform}-{number}"
                folder.mkdir()
                found = await one_round(platform, args, folder)
                rounds.append(found)
                print(f"{platform} round {number}: {args.destinations} destinations, {found.kills} kills, "
                      f"{found.missing} missing, {found.duplicates} duplicates, {found.seconds:.1f} s")  # fmt: skip
            kills = sum(r.kills for r in rounds)
            print(f"{platform}: {args.rounds} rounds × {args.destinations} destinations, {args.workers} workers, "
                  f"{kills} SIGKILLs ({args.kill_at}): {sum(r.missing for r in rounds)} missing, "
                  f"{sum(r.duplicates for r in rounds)} duplicates", flush=True)  # fmt: skip


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", choices=["slack", "discord", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--destinations", type=int, default=900)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs per round")
    parser.add_argument("--kill-at", choices=["post", "random"], default="post")
    parser.add_argument("--lease", type=float, default=5.0, help="outbox_lease_seconds of the workers")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a round may take")
    parser.add_argument("--workers-from", default=str(ROOT), help="the checkout whose workers run")
    args = parser.parse_args(argv)
    args.own_code = Path(args.workers_from).resolve() == ROOT
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
