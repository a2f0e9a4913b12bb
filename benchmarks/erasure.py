"""How long `/samskap slett-meg` takes with a large outbox (it reads every message of the workspace).

    .venv/bin/python -m benchmarks.erasure                      # SQLite and PostgreSQL, 100,000 messages
    .venv/bin/python -m benchmarks.erasure --db sqlite --deliveries 20000

A network of 50 members gets `--deliveries` outbox rows (direct messages to each member, and
channel messages naming them, one in ten quoting the ideas of the member who leaves); then that
member is erased while another member keeps changing a setting. Printed: the time of the erasure, how
many rows it deleted and emptied, and the slowest of the other member's writes meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from adapters.memory import Chat
from bot.adapter import Destination
from bot.features.membership.service import MembershipService
from bot.messages import Message
from storage.models.runtime import Delivery
from storage.repositories.core import Members
from storage.scratch import throwaway_postgres

MEMBERS = 50
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


async def fill(chat: Chat, deliveries: int) -> None:
    for n in range(MEMBERS):
        await chat.say(f"laerer{n}", f"/samskap bli-med Skole {n % 7}")
    for n in range(5):
        await chat.say("laerer7", f"/ide Laerer sju sin idé nummer {n} om klassemøter og elevråd")
    now = chat.clock.now()
    rows = []
    for n in range(deliveries):
        member = f"laerer{n % MEMBERS}"
        if n % 2:
            destination = Destination.dm(chat.adapter.user(member))
            text = f"Hei {member}, hvordan gikk det med idé nummer {n}?"
        else:
            destination = Destination.channel(chat.adapter.channel())
            # One channel message in ten quotes the leaving member's ideas.
            quoted = f"Laerer sju sin idé nummer {n % 5} om klassemøter og elevråd" if n % 20 == 0 else "Noe annet"
            text = f"{member} fra Skole {n % 7}: {quoted} ({n})"
        rows.append({
            "key": f"bench:{n}", "platform": "memory", "destination": destination.to_dict(),
            "message": Message.text(text).to_dict(), "status": "sent", "attempts": 1, "next_attempt_at": now,
            "created_at": now - timedelta(seconds=n),
        })  # fmt: skip
    async with chat.bot.db.session() as s:
        for start in range(0, len(rows), 5000):
            await s.execute(insert(Delivery), rows[start : start + 5000])


async def others_write_meanwhile(chat: Chat, erasing: asyncio.Future[None]) -> float:
    """Another member changes a setting again and again while the erasure runs: the slowest one
    shows how long the erasure held the database's write lock."""
    slowest, value = 0.0, "på"
    while not erasing.done():
        value = "av" if value == "på" else "på"  # a change each time, so each one writes
        started = time.perf_counter()
        await chat.say("laerer3", f"/samskap innstillinger nettverksbrev {value}")
        slowest = max(slowest, time.perf_counter() - started)
        await asyncio.sleep(0.01)
    await erasing
    return slowest


async def run(url: str, deliveries: int) -> None:
    chat = await Chat.start(url)
    try:
        await fill(chat, deliveries)
        async with chat.bot.db.read() as s:
            member = await Members(s).by_user(1, chat.adapter.user("laerer7"))
            before = int(await s.scalar(select(func.count()).select_from(Delivery)) or 0)
        assert member is not None
        started = time.perf_counter()
        erasing = asyncio.ensure_future(chat.bot.services.get(MembershipService).erase(member))
        slowest = await others_write_meanwhile(chat, erasing)
        elapsed = time.perf_counter() - started
        async with chat.bot.db.read() as s:
            after = int(await s.scalar(select(func.count()).select_from(Delivery)) or 0)
            emptied = sum(1 for m in (await s.scalars(select(Delivery.message))).all() if not m["parts"])
        kind = url.split(":")[0]
        print(f"{kind}: erased one member among {before} outbox rows in {elapsed * 1000:.0f} ms "
              f"({before - after} messages to them deleted, {emptied} naming them emptied); another member's "
              f"write meanwhile took at most {slowest * 1000:.0f} ms")  # fmt: skip
    finally:
        await chat.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--deliveries", type=int, default=100_000)
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.deliveries)
    if args.db in ("postgres", "both"):
        async with throwaway_postgres(POSTGRES) as url:
            await run(url, args.deliveries)


if __name__ == "__main__":
    asyncio.run(main())
