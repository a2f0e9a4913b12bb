"""Digests: links the network shares and leaders' feeds, gathered into a weekly digest.

Members: links posted in the network's channels are collected (network setting `lenkefangst`),
`/del <link> [comment]` shares one explicitly, `/digest` shows the latest digest, and the member
option `nettverksbrev` brings it as a direct message. Leaders: `/digest forhåndsvis`, `intro`,
`fjern`, `publiser`, `hopp-over`, `tid <weekday> <HH:MM>` and `kilde legg-til|liste|fjern`.

Links, feeds and every redirect are read only from public addresses on the usual web ports
(80, 443, 8080, 8443); see `fetch.AddressPolicy` and `urls.web_address`.

Configuration, section `[digest]` (all optional):

    allow_private_addresses = false  # true only for tests and benchmarks on 127.0.0.1 (any port, too)
    fetch_timeout = 10.0             # seconds for one page or feed, redirects included
    fetch_max_bytes = 524288         # bytes read from one page at most (a feed: eight times that)
    fetch_max_redirects = 5
    fetch_concurrency = 32           # pages read at once
    fanout_concurrency = 16          # destinations sent to at once
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.features.digest.compose import period_of
from bot.features.digest.handlers import register
from bot.features.digest.service import DigestService
from bot.scheduler import JobRun, Late

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = DigestService(bot)
    bot.services.add(service)
    register(bot, service)
    bot.data_exporters["digest"] = service.export
    bot.data_erasers.append(service.erase)
    bot.home_providers.append(service.home)

    # A digest two days late is still this week's; later, its week rolls into the next digest.
    @bot.scheduler.handler("digest.weekly", grace=timedelta(days=2), late=Late.SKIP)
    async def weekly(payload: dict[str, Any], run: JobRun) -> None:
        from storage.repositories.core import Networks

        async with bot.db.session() as s:
            network = await Networks(s).get(int(payload["network_id"]))
        if network is None:
            return
        await service.fetch_pending(limit=1000)  # pages whose fetch job was lost still get a title
        # The issue is the planned run's, so a late run (or a retry) never makes a second one.
        await service.publish(network.id, period_of(run.planned, network.timezone))

    # Sending what a crash left unsent, reading pages and polling feeds: all still right when late.
    @bot.scheduler.handler("digest.redeliver", grace=timedelta(hours=1), late=Late.RUN)
    async def redeliver(payload: dict[str, Any], run: JobRun) -> None:
        await service.publish(int(payload["network_id"]), str(payload["period"]), redeliver_only=True)

    @bot.scheduler.handler("digest.fetch", grace=timedelta(hours=1), late=Late.RUN)
    async def fetch(payload: dict[str, Any], run: JobRun) -> None:
        await service.fetch_pending()

    @bot.scheduler.handler("digest.poll_feed", grace=timedelta(hours=1), late=Late.RUN)
    async def poll_feed(payload: dict[str, Any], run: JobRun) -> None:
        await service.poll_feed(int(payload["feed_id"]))
