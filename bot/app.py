"""The one place that wires config → storage → scheduler → features → adapters."""

from __future__ import annotations

import gc

from bot.adapter import Adapter
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.core import Bot
from bot.features import setup_features
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from storage.db import Database


async def build_bot(
    config: Config,
    *,
    clock: Clock | None = None,
    adapters: list[Adapter] = (),  # type: ignore[assignment]
    migrate: bool = True,
) -> Bot:
    """Build a ready bot: schema migrated, features set up, adapters attached (not started)."""
    clock = clock or SystemClock()
    db = Database(config.database_url)
    if migrate:
        await db.migrate()
    scheduler = Scheduler(db, clock, tick_seconds=config.scheduler_tick_seconds)
    adapter_map: dict[str, Adapter] = {}
    outbox = Outbox(db, clock, adapter_map)
    bot = Bot(config=config, db=db, clock=clock, scheduler=scheduler, outbox=outbox, adapters=adapter_map)
    for adapter in adapters:
        bot.add_adapter(adapter)
    setup_features(bot)
    return bot


def freeze_startup_objects() -> None:
    """Keep what start-up built (modules, mappers, compiled statements) out of the garbage
    collector's full passes: scanning it all stalls every conversation for up to ~100 ms."""
    gc.collect()
    gc.freeze()


async def tick(bot: Bot) -> None:
    """One round of background work: due jobs, then deliveries waiting for a retry."""
    await bot.scheduler.run_due()
    await bot.outbox.retry_due()


def start_background(bot: Bot) -> None:
    # A coroutine function, not a lambda: APScheduler awaits only those (it would run a lambda in
    # a thread and drop the coroutine it returns, so nothing would ever be retried or scheduled).
    async def background_tick() -> None:
        await tick(bot)

    bot.scheduler.start(background_tick)


async def shutdown(bot: Bot) -> None:
    await bot.scheduler.stop()
    await bot.outbox.drain()
    await bot.db.dispose()
