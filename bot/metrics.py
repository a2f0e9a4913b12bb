"""What an operator counts, in the Prometheus text format (`GET /metrics`).

One `Metrics` per bot, with a registry of its own (no process-wide state that tests must reset).
Counters and histograms are updated where things happen; what is a state of the database (the
outbox's depth, jobs waiting) is read when Prometheus scrapes. Labels hold kinds, features,
platforms and outcomes only: never a member, a network, a channel or any text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from storage.models.runtime import Delivery, ScheduledJob

if TYPE_CHECKING:
    from storage.db import Database

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Handling an event takes milliseconds; a slow database or platform shows in the upper buckets.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.5, 1, 2, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86400)


def feature_of(handler: Callable[..., object]) -> str:
    """ "bot.features.ideas.handlers" → "ideas"; the core's own handlers are "core"."""
    parts = getattr(handler, "__module__", "").split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["bot", "features"] else "core"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Histogram(
            "samskap_events_handled_seconds",
            "Inbound events (commands, clicks, forms, messages) handled, by kind, feature and outcome",
            ["kind", "feature", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "samskap_deliveries_total",
            "Messages the outbox tried to deliver, by platform and outcome (sent, retry, rate_limited, failed)",
            ["platform", "outcome"],
            registry=r,
        )
        self.jobs = Counter(
            "samskap_jobs_total", "Scheduled jobs run, by kind and outcome", ["kind", "outcome"], registry=r
        )
        self.job_lag = Histogram(
            "samskap_scheduler_lag_seconds",
            "How long after its planned time a job started, by kind",
            ["kind"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.outbox_depth = Gauge("samskap_outbox_pending", "Deliveries not yet sent", registry=r)
        self.outbox_oldest = Gauge(
            "samskap_outbox_oldest_pending_seconds", "Age of the oldest delivery not yet sent", registry=r
        )
        self.jobs_pending = Gauge("samskap_jobs_pending", "Scheduled jobs waiting, by kind", ["kind"], registry=r)
        self.pool_in_use = Gauge("samskap_db_pool_connections_in_use", "Database connections checked out", registry=r)
        self.pool_size = Gauge("samskap_db_pool_size", "Database connections the pool keeps", registry=r)
        self._lookups: Callable[[], tuple[int, int]] | None = None
        r.register(_LookupsCollector(self))

    def event_handled(self, kind: str, feature: str, outcome: str, seconds: float) -> None:
        self.events.labels(kind, feature, outcome).observe(seconds)

    def delivery(self, platform: str, outcome: str) -> None:
        self.deliveries.labels(platform, outcome).inc()

    def job_ran(self, kind: str, outcome: str, planned: datetime, started: datetime) -> None:
        self.jobs.labels(kind, outcome).inc()
        self.job_lag.labels(kind).observe(max(0.0, (started - planned).total_seconds()))

    def watch_lookups(self, counts: Callable[[], tuple[int, int]]) -> None:
        """Where the worker's lookups count their hits and misses (storage keeps the counts)."""
        self._lookups = counts

    async def refresh(self, db: Database, now: datetime) -> None:
        """Read the states that live in the database, just before a scrape."""
        async with db.read() as s:
            pending = (await s.execute(select(func.count(), func.min(Delivery.created_at)).where(
                Delivery.status.in_(("pending", "sending"))))).one()  # fmt: skip
            jobs = (await s.execute(select(ScheduledJob.kind, func.count()).where(
                ScheduledJob.status.in_(("pending", "running"))).group_by(ScheduledJob.kind))).all()  # fmt: skip
        self.outbox_depth.set(pending[0])
        oldest = pending[1]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now.tzinfo)
        self.outbox_oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.jobs_pending.clear()
        for kind, count in jobs:
            self.jobs_pending.labels(kind).set(count)
        pool = db.engine.pool
        self.pool_in_use.set(getattr(pool, "checkedout", lambda: 0)())
        self.pool_size.set(getattr(pool, "size", lambda: 0)())

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _LookupsCollector(Collector):
    """Reads the lookups' own counts when scraped, so the hot path only adds to two integers."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "samskap_lookups", "Channel and member lookups, answered from memory (hit) or not", labels=["result"]
        )
        hits, misses = self.metrics._lookups() if self.metrics._lookups else (0, 0)
        family.add_metric(["hit"], hits)
        family.add_metric(["miss"], misses)
        yield family
