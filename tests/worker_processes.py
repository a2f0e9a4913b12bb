"""Real `samskap run` worker processes against the fake platforms and a shared database.

For the tests (and the benchmark) that stop workers as an orchestrator does (SIGTERM) or as a
crash does (SIGKILL), and then count on the fake platform's side what arrived. A fan-out is
stored the way a stopping worker stores one (`Outbox.stop_sending`): pending, for the workers to
claim and send.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import ctypes.util
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from adapters.slack.client import delivery_tag
from bot.adapter import Destination
from bot.app import build_bot
from bot.clock import SystemClock
from bot.config import Config
from bot.events import Conversation, User
from bot.features.digest.common import DEFAULT_CRON
from bot.features.digest.issues import weekly_key
from bot.features.ideas.service import FOLLOW_UP_JOB, IdeasService
from bot.messages import Message
from bot.outbox import Outbox
from storage.db import Database
from storage.models.core import Role
from storage.models.runtime import Delivery, ScheduledJob
from storage.repositories.core import Members, Networks
from tests.support import eventually, free_port

ROOT = Path(__file__).resolve().parents[1]
# The fakes live beside their adapters' tests (tests/slack, tests/discord).
for _folder in ("slack", "discord"):
    if str(ROOT / "tests" / _folder) not in sys.path:
        sys.path.insert(0, str(ROOT / "tests" / _folder))

PLATFORM_ENV = ("SLACK_", "DISCORD_", "SAMSKAP_")


# Loaded here, not in the child: between fork and exec the child may only call what is loaded already.
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True) if sys.platform == "linux" else None
PR_SET_PDEATHSIG = 1


def _die_with_the_tests() -> None:
    """In the worker, before it starts: Linux kills it when the process that started it dies, so that
    a killed test run (a CI timeout, Ctrl-C twice) leaves no workers behind."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@functools.cache
def can_run_as_pid1() -> bool:
    """Whether a worker can start as PID 1 of its own PID namespace, as in a container (root, `unshare`)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True, timeout=10, check=False)
    return probe.returncode == 0


@dataclass
class Worker:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    as_pid1: bool

    @property
    def pid(self) -> int:
        """The worker's own process (inside the namespace when it runs as PID 1 there)."""
        if not self.as_pid1:
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for _ in range(500):
            found = children.read_text().split() if children.exists() else []
            if found:
                return int(found[0])
            time.sleep(0.01)
        raise RuntimeError(f"worker {self.name} has no process inside its namespace")

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    async def exit_code(self, within: float) -> int:
        return await asyncio.wait_for(self.process.wait(), within)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def start_worker(
    name: str, adapter: str, folder: Path, *, database_url: str, env: dict[str, str],
    settings: dict[str, Any] | None = None, port: int | None = None, as_pid1: bool = False, code: Path = ROOT,
) -> Worker:  # fmt: skip
    """`samskap run --adapter ADAPTER` in its own process; its output goes to `folder/NAME.log`.

    `code` is the checkout whose samskap runs (another one, to measure how it behaved before)."""
    config = folder / f"{name}.toml"
    values = {"database_url": database_url, "log_level": "WARNING", **(settings or {})}
    lines = [f"{key} = {value!r}".replace("'", '"') for key, value in values.items()]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "adapters.cli", "--config", str(config), "run", "--adapter", adapter]
    if port is None and adapter != "console":  # every mode but the console serves HTTP: one port each
        port = free_port()
    if port is not None:
        command += ["--port", str(port)]
    if as_pid1:
        command = ["unshare", "--pid", "--fork", "--kill-child", *command]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_ENV)}
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=code, env={**clean, "PYTHONUNBUFFERED": "1", **env},
            stdin=asyncio.subprocess.PIPE, stdout=out, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_the_tests,
        )  # fmt: skip
    return Worker(name, process, log, as_pid1)


async def store_fan_out(database_url: str, destinations: list[Destination], prefix: str = "fanout") -> list[str]:
    """One message per destination, stored for the workers to send ("Melding 0", "Melding 1", …)."""
    db = Database(database_url)
    await db.migrate()
    outbox = Outbox(db, SystemClock(), {})
    outbox.stop_sending()  # stored, not sent: a worker claims each one
    keys = [f"{prefix}:{index}" for index in range(len(destinations))]
    for start in range(0, len(keys), 5):  # a few at a time, within the pool and the server's connections
        await asyncio.gather(*(
            outbox.deliver(keys[index], destinations[index], Message.text(f"Melding {index}"))
            for index in range(start, min(start + 5, len(keys)))
        ))  # fmt: skip
    await db.dispose()
    return keys


async def delivery_statuses(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        async with db.read() as s:
            rows = (await s.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all()
    finally:
        await db.dispose()
    return {status: count for status, count in rows}


async def all_sent(database_url: str, count: int, within: float) -> None:
    async def done() -> bool:
        try:
            return (await delivery_statuses(database_url)).get("sent", 0) >= count
        except DBAPIError:  # a shared server briefly out of connections: look again
            return False

    await eventually(done, within=within, every=0.1, what=f"{count} deliveries sent")


def terminate_all(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.process.returncode is None:
            worker.signal(signal.SIGTERM)


# -- scale-out: a digest fan-out and follow-ups falling due, the busiest worker killed ---------------
SLACK_TEAM = "T1"  # the fake Slack's workspace
SIGNING_SECRET = "scale-out-signing-secret"
# Short leases, so a killed worker's deliveries and jobs are taken over within seconds.
SCALE_OUT_SETTINGS: dict[str, Any] = {
    "scheduler_tick_seconds": 0.1, "outbox_lease_seconds": 3.0, "job_lease_seconds": 3.0,
}  # fmt: skip
IDEA = "Uteskole hver fredag #ute"


@dataclass(frozen=True)
class DueWork:
    """What the workers owe: one digest in each channel, one "how did it go?" to each member trying an idea."""

    channels: list[str]
    followed_up: list[str]  # Slack user ids; the fake Slack's direct-message channel of U… is DU…

    @property
    def dm_channels(self) -> list[str]:
        return [f"D{user}" for user in self.followed_up]

    @property
    def messages(self) -> int:
        return len(self.channels) + len(self.followed_up)


async def store_digests_and_follow_ups(database_url: str, *, networks: int, channels: int, follow_ups: int) -> DueWork:
    """`networks` Slack networks sharing `channels` channels, each with a leader's idea this week (so its
    digest has something in it) and its weekly digest job; `follow_ups` members each trying their
    network's idea, with the follow-up job that asks how it went. Every job waits, an hour away,
    until `make_due` brings it forward."""
    bot = await build_bot(Config(database_url=database_url))
    ideas = bot.services.get(IdeasService)
    now = bot.clock.now()
    channel_ids = [f"C{index:05d}" for index in range(channels)]
    users = [f"U{index:05d}" for index in range(follow_ups)]
    try:
        async with bot.db.session() as s:
            made = [
                await Networks(s).create(name=f"Nettverk {n}", language="nb", timezone="Europe/Oslo",
                                         workspace_key=None, now=now)
                for n in range(networks)
            ]  # fmt: skip
            for index, channel in enumerate(channel_ids):
                await Networks(s).link_channel(
                    made[index % networks], Conversation("slack", SLACK_TEAM, channel), "", now
                )
            leaders = [
                await Members(s).add(network, User("slack", SLACK_TEAM, f"ULEADER{n}", "Leder"), "Nordby skole",
                                     Role.NETWORK_LEADER, now)
                for n, network in enumerate(made)
            ]  # fmt: skip
            triers = [
                await Members(s).add(made[index % networks], User("slack", SLACK_TEAM, user, "Lærer"), "Sørby skole",
                                     Role.PARTICIPANT, now)
                for index, user in enumerate(users)
            ]  # fmt: skip
        posted = [await ideas.post(network, leader, IDEA) for network, leader in zip(made, leaders, strict=True)]
        for index, member in enumerate(triers):
            await ideas.adopt(made[index % networks], member, posted[index % networks].idea.id)
        for network in made:
            await bot.scheduler.start_every("digest.weekly", DEFAULT_CRON, network.timezone,
                                            {"network_id": network.id}, key=weekly_key(network.id))  # fmt: skip
        later = now + timedelta(hours=1)
        async with bot.db.session() as s:
            await s.execute(update(ScheduledJob).values(run_at=later, planned_at=later))
    finally:
        await bot.db.dispose()
    return DueWork(channel_ids, users)


async def make_due(database_url: str, *, follow_ups_over: float) -> None:
    """The digests due now; the follow-ups falling due one after another over the next `follow_ups_over` s."""
    db = Database(database_url)
    now = SystemClock().now()
    try:
        async with db.session() as s:
            await s.execute(update(ScheduledJob).where(ScheduledJob.kind == "digest.weekly")
                            .values(run_at=now, planned_at=now))  # fmt: skip
            ids = (await s.scalars(select(ScheduledJob.id).where(ScheduledJob.kind == FOLLOW_UP_JOB)
                                   .order_by(ScheduledJob.id))).all()  # fmt: skip
            for index, job_id in enumerate(ids):
                due = now + timedelta(seconds=follow_ups_over * index / max(1, len(ids)))
                await s.execute(
                    update(ScheduledJob).where(ScheduledJob.id == job_id).values(run_at=due, planned_at=due)
                )
    finally:
        await db.dispose()


@dataclass
class Held:
    """The deliveries and jobs claimed (leased) at the kill: when each was first seen changed (a worker
    that is alive claimed it again, or finished it), and when first seen done."""

    deliveries: dict[int, str]  # id → key
    jobs: dict[int, str]
    at_kill: dict[str, tuple[str, int]] = field(default_factory=dict)  # key → (status, attempts)
    changed_at: dict[str, float] = field(default_factory=dict)  # key → time.monotonic()
    done_at: dict[str, float] = field(default_factory=dict)

    @property
    def keys(self) -> set[str]:
        return set(self.deliveries.values()) | set(self.jobs.values())


_DELIVERY_STATE = select(Delivery.id, Delivery.key, Delivery.status, Delivery.attempts)
_JOB_STATE = select(ScheduledJob.id, ScheduledJob.key, ScheduledJob.status, ScheduledJob.attempts)


async def held_now(db: Database) -> Held:
    async with db.read() as s:
        deliveries = (await s.execute(_DELIVERY_STATE.where(Delivery.status == "sending"))).all()
        jobs = (await s.execute(_JOB_STATE.where(ScheduledJob.status == "running"))).all()
    held = Held({row.id: row.key for row in deliveries}, {row.id: row.key for row in jobs})
    held.at_kill = {row.key: (row.status, row.attempts) for row in [*deliveries, *jobs]}
    return held


async def note_progress(db: Database, held: Held) -> None:
    """Note when each held delivery or job was first seen claimed again or done (sent; no longer running)."""
    now = time.monotonic()
    async with db.read() as s:
        deliveries = (await s.execute(_DELIVERY_STATE.where(Delivery.id.in_(held.deliveries)))).all()
        jobs = (await s.execute(_JOB_STATE.where(ScheduledJob.id.in_(held.jobs)))).all()
    for row in [*deliveries, *jobs]:
        if (row.status, row.attempts) != held.at_kill[row.key]:
            held.changed_at.setdefault(row.key, now)
        if row.status not in ("sending", "running"):
            held.done_at.setdefault(row.key, now)


async def work_left(db: Database, work: DueWork) -> list[str]:
    """What is not done yet, in words: empty once every message is recorded sent and every job has run."""
    now = SystemClock().now()
    unfinished = (ScheduledJob.status == "running") | (
        (ScheduledJob.status == "pending") & (ScheduledJob.run_at <= now)
    )
    unfinished |= (ScheduledJob.kind == FOLLOW_UP_JOB) & (ScheduledJob.status != "done")
    async with db.read() as s:
        statuses = dict((await s.execute(select(Delivery.status, func.count()).group_by(Delivery.status))).all())
        jobs = dict(
            (
                await s.execute(select(ScheduledJob.kind, func.count()).where(unfinished).group_by(ScheduledJob.kind))
            ).all()
        )
    left = [f"{count} {kind} job(s) not done" for kind, count in sorted(jobs.items())]
    if statuses.get("sent", 0) < work.messages:
        left.append(f"{statuses.get('sent', 0)} of {work.messages} messages sent")
    left += [f"{count} deliveries {status}" for status, count in sorted(statuses.items()) if status != "sent"]
    return left


@dataclass
class TakeOver:
    """One run: who was killed, what it held, and how soon the others had done it all."""

    work: DueWork
    killed: str = ""
    posts_at_kill: dict[str, int] = field(default_factory=dict)  # messages each worker had posted by then
    in_flight: str = ""  # the delivery the killed worker had posted and not heard back about
    killed_job: str = ""  # the job it was running (a worker runs one job at a time)
    seconds_to_kill: float = 0.0  # from the moment the work fell due until the kill
    held: Held = field(default_factory=lambda: Held({}, {}))  # claimed by any worker at the kill
    taken_over: list[str] = field(default_factory=list)  # deliveries claimed again after their lease ran out
    first_taken_seconds: float = 0.0  # kill → the first of the killed worker's job and deliveries claimed again
    take_over_seconds: float = 0.0  # kill → the killed worker's job and deliveries done by the others
    finish_seconds: float = 0.0  # kill → every message sent and every job run
    arrived: dict[str, int] = field(default_factory=dict)  # messages on the fake Slack, by channel


def job_of(delivery_key: str) -> str:
    """The job that sends a delivery: a network's weekly digest, or the follow-up (same key)."""
    if delivery_key.startswith("digest:"):
        return weekly_key(int(delivery_key.split(":")[1]))
    return delivery_key


@dataclass
class _Killer:
    """Kills the busiest worker during its next post once `after` digest messages have arrived in all."""

    workers: dict[str, Worker]
    after: int
    result: TakeOver
    posts: collections.Counter[str] = field(default_factory=collections.Counter)
    digest_posts: int = 0
    killed_at: float = 0.0
    in_flight_tag: str = ""
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def posted(self, call: Any, answer: dict[str, Any]) -> None:
        """The fake Slack kept a message and has not answered yet."""
        name = str(call.token).removeprefix("xoxb-")
        self.posts[name] += 1
        self.digest_posts += str(call.params.get("channel", "")).startswith("C")
        if self.done.is_set() or self.digest_posts < self.after:
            return
        if name != max(self.workers, key=lambda worker: self.posts[worker]):
            return
        self.workers[name].signal(signal.SIGKILL)
        self.killed_at = time.monotonic()
        metadata = call.params.get("metadata") or {}
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.in_flight_tag = str((metadata.get("event_payload") or {}).get("delivery", ""))
        self.result.killed, self.result.posts_at_kill = name, {worker: self.posts[worker] for worker in self.workers}
        self.done.set()


async def wait_ready(ports: list[int], within: float) -> None:
    async with aiohttp.ClientSession() as http:

        async def ready() -> bool:
            for port in ports:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status != 200:
                            return False
                except aiohttp.ClientError:
                    return False
            return True

        await eventually(ready, within=within, every=0.1, what="every worker's /readyz to answer 200")


async def scale_out_with_a_kill(
    database_url: str, folder: Path, *, workers: int = 3, networks: int = 2, channels: int = 500,
    follow_ups: int = 30, follow_ups_over: float = 8.0, kill_share: float = 0.5, within: float = 15.0,
    settings: dict[str, Any] | None = None,
) -> TakeOver:  # fmt: skip
    """`workers` Slack workers (over HTTP, a port each) on one PostgreSQL database; the digests of
    `networks` networks fan out to `channels` channels while `follow_ups` follow-ups fall due over
    `follow_ups_over` seconds. Once `kill_share` of the digests have arrived, the worker that has
    posted most is killed with SIGKILL in the middle of a post (the platform kept the message; the
    worker never heard back). Waits `within` seconds from the kill for the others to finish it all
    (AssertionError naming what is left, if they do not); returns what happened, counted on the
    fake Slack and in the database."""
    from fake_slack import FakeSlack

    work = await store_digests_and_follow_ups(database_url, networks=networks, channels=channels, follow_ups=follow_ups)
    result = TakeOver(work)
    fake = await FakeSlack().start()
    team: dict[str, Worker] = {}
    watcher = Database(database_url, pool_size=2)
    killer = _Killer(team, int(channels * kill_share), result)
    fake.on_post = killer.posted
    try:
        ports = [free_port() for _ in range(workers)]

        async def start(number: int) -> None:
            name = f"worker-{number + 1}"
            env = {"SLACK_BOT_TOKEN": f"xoxb-{name}", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                   "SLACK_API_URL": fake.api_url}  # fmt: skip
            team[name] = await start_worker(name, "slack", folder, database_url=database_url, env=env,
                                            settings=settings or SCALE_OUT_SETTINGS, port=ports[number])  # fmt: skip

        await asyncio.gather(*(start(number) for number in range(workers)))
        await wait_ready(ports, within=60)
        await make_due(database_url, follow_ups_over=follow_ups_over)
        due = time.monotonic()
        await asyncio.wait_for(killer.done.wait(), 120)
        result.seconds_to_kill = killer.killed_at - due
        result.held = held = await held_now(watcher)
        result.in_flight = next(
            (key for key in held.deliveries.values() if delivery_tag(key) == killer.in_flight_tag), ""
        )
        result.killed_job = job_of(result.in_flight) if result.in_flight else ""
        left = ["everything"]
        while time.monotonic() < killer.killed_at + within:
            left = await work_left(watcher, work)
            await note_progress(watcher, held)  # after: what was done when nothing was left is noted done now
            if not left:
                result.finish_seconds = time.monotonic() - killer.killed_at
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"{within:g} s after {result.killed} was killed, not done: {', '.join(left)}")
        await asyncio.sleep(0.5)  # a post that came after all was recorded sent would be counted too
        result.arrived = {channel: len(messages) for channel, messages in fake.messages.items()}
        async with watcher.read() as s:
            result.taken_over = list((await s.scalars(select(Delivery.key).where(Delivery.attempts > 1))).all())
        killed_held = [key for key in [*result.taken_over, result.killed_job] if key in held.keys]
        if killed_held:
            end = time.monotonic()
            taken = [held.changed_at.get(key, end) - killer.killed_at for key in killed_held]
            result.first_taken_seconds = min(taken)
            result.take_over_seconds = max(held.done_at.get(key, end) - killer.killed_at for key in killed_held)
    finally:
        await asyncio.gather(*(worker.close() for worker in team.values()))
        await watcher.dispose()
        await fake.close()
    return result
