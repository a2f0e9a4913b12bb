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

from bot.features.digest.cards import period_of
from bot.features.digest.common import CAPTURE_SETTING, DM_OPTION
from bot.features.digest.handlers import register
from bot.features.digest.service import DigestService
from bot.i18n import N_
from bot.scheduler import JobRun, Late
from bot.settings import SettingSpec, parse_bool
from storage.repositories.core import Networks

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = DigestService(bot)
    bot.services.add(service)
    capture = N_("Collect links posted in the network's channels for the digest (off: only links shared with /del)")
    bot.settings.declare_network(SettingSpec(CAPTURE_SETTING, True, parse_bool, capture))
    bot.settings.declare_member(
        SettingSpec(DM_OPTION, False, parse_bool, N_("Get the weekly digest as a direct message"))
    )
    # Every network gets its weekly job the first time the bot hears from it.
    bot.network_hooks.append(service.issues.ensure_schedule)
    jobs, handler = DigestJobs(service), bot.scheduler.handler
    # A digest two days late is still this week's; later, its week rolls into the next digest.
    handler("digest.weekly", grace=timedelta(days=2), late=Late.SKIP)(jobs.weekly)
    # Sending what a crash left unsent, reading pages and polling feeds: all still right when late.
    handler("digest.redeliver", grace=timedelta(hours=1), late=Late.RUN)(jobs.redeliver)
    handler("digest.fetch", grace=timedelta(hours=1), late=Late.RUN)(jobs.fetch)
    handler("digest.poll_feed", grace=timedelta(hours=1), late=Late.RUN)(jobs.poll_feed)
    register(bot, service)
    bot.data_exporters["digest"] = service.export
    bot.data_erasers.append(service.erase)
    bot.home_providers.append(service.home)


class DigestJobs:
    def __init__(self, service: DigestService) -> None:
        self.service = service

    async def weekly(self, payload: dict[str, Any], run: JobRun) -> None:
        async with self.service.bot.db.read() as s:
            network = await Networks(s).get(int(payload["network_id"]))
        if network is None:
            return
        await self.service.links.fetch_pending(limit=1000)  # pages whose fetch job was lost still get a title
        # The issue is the planned run's, so a late run (or a retry) never makes a second one.
        await self.service.issues.publish(network.id, period_of(run.planned, network.timezone))

    async def redeliver(self, payload: dict[str, Any], run: JobRun) -> None:
        await self.service.issues.publish(int(payload["network_id"]), str(payload["period"]), redeliver_only=True)

    async def fetch(self, payload: dict[str, Any], run: JobRun) -> None:
        await self.service.links.fetch_pending()

    async def poll_feed(self, payload: dict[str, Any], run: JobRun) -> None:
        await self.service.sources.poll_feed(int(payload["feed_id"]))
