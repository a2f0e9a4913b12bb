"""The one place that wires config → storage → scheduler → features → adapters."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import timedelta

from bot.adapter import Adapter
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.core import Bot
from bot.features import setup_features
from bot.metrics import Metrics
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from storage.db import Database

log = logging.getLogger("samskap")


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
    # One set of counters for the worker: events (the core), deliveries (the outbox), jobs (the scheduler).
    metrics = Metrics()
    metrics.watch_lookups(lambda: (db.lookups.hits, db.lookups.misses))
    job_lease = timedelta(seconds=config.job_lease_seconds)
    outbox_lease = timedelta(seconds=config.outbox_lease_seconds)
    scheduler = Scheduler(db, clock, tick_seconds=config.scheduler_tick_seconds, lease=job_lease, metrics=metrics)
    adapter_map: dict[str, Adapter] = {}
    outbox = Outbox(db, clock, adapter_map, lease=outbox_lease, metrics=metrics)
    bot = Bot(
        config=config, db=db, clock=clock, scheduler=scheduler, outbox=outbox, adapters=adapter_map, metrics=metrics
    )
    outbox.on_failed = bot.tell_about_failed_delivery
    for adapter in adapters:
        bot.add_adapter(adapter)
    setup_features(bot)
    return bot


# Objects allocated (less those freed) between two passes of the garbage collector over the youngest
# objects. Python's 700 suits short scripts: with a few hundred commands in flight, each holding
# their coroutines and rows, a pass came every few commands, found all of them alive and moved them
# on to older generations to be scanned again: a fifth of the CPU a command cost. What samskap
# frees, reference counting frees at once (a test keeps its events free of reference cycles), so
# passes are needed only for the odd cycle, and their rarity costs a few MB at most.
YOUNG_GENERATION_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Keep what start-up built (modules, mappers, compiled statements) out of the garbage
    collector's full passes (scanning it all stalled every conversation for up to ~100 ms), and
    pass over young objects less often (`YOUNG_GENERATION_THRESHOLD`)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


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


async def stop_gracefully(bot: Bot, grace_seconds: float | None = None) -> None:
    """Finish the work under way, for at most `grace_seconds` (8 s), and hand back the rest.

    Call once the adapter takes no new events, while it can still send. New deliveries (the rest of
    a fan-out) are stored for other workers; handlers and sends under way finish; what is still
    running after the grace is stopped, and its leases are handed back so that another worker
    takes it over at once instead of when the lease runs out."""
    grace = bot.config.shutdown_grace_seconds if grace_seconds is None else grace_seconds
    bot.stopping = True
    bot.outbox.stop_sending()
    await asyncio.gather(bot.finish_handling(grace), bot.scheduler.stop(grace))
    await bot.outbox.drain()
    handed_back = await bot.outbox.hand_back() + await bot.scheduler.hand_back()
    if handed_back:
        log.info("handed back %d delivery or job lease(s) to the other workers", handed_back)


async def shutdown(bot: Bot) -> None:
    await stop_gracefully(bot)
    await bot.db.dispose()
