"""Real `samskap run` worker processes against the fake platforms and a shared database.

For the tests (and the benchmark) that stop workers as an orchestrator does (SIGTERM) or as a
crash does (SIGKILL), and then count on the fake platform's side what arrived. A fan-out is
stored the way a stopping worker stores one (`Outbox.stop_sending`): pending, for the workers to
claim and send.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from bot.adapter import Destination
from bot.clock import SystemClock
from bot.messages import Message
from bot.outbox import Outbox
from storage.db import Database
from storage.models.runtime import Delivery
from tests.support import eventually, free_port

ROOT = Path(__file__).resolve().parents[1]
# The fakes live beside their adapters' tests (tests/slack, tests/discord).
for _folder in ("slack", "discord"):
    if str(ROOT / "tests" / _folder) not in sys.path:
        sys.path.insert(0, str(ROOT / "tests" / _folder))

PLATFORM_ENV = ("SLACK_", "DISCORD_", "SAMSKAP_")


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
