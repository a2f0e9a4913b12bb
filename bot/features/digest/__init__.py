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

from typing import TYPE_CHECKING, Any

from bot.features.digest.compose import period_of
from bot.features.digest.handlers import register
from bot.features.digest.service import DigestService

if TYPE_CHECKING:
    from bot.core import Bot


def setup(bot: Bot) -> None:
    service = DigestService(bot)
    bot.services["digest"] = service
    register(bot, service)
    bot.data_exporters["digest"] = service.export
    bot.data_erasers.append(service.erase)
    bot.home_providers.append(service.home)

    @bot.scheduler.handler("digest.weekly")
    async def weekly(payload: dict[str, Any]) -> None:
        from storage.repositories.core import Networks

        async with bot.db.session() as s:
            network = await Networks(s).get(int(payload["network_id"]))
        if network is None:
            return
        await service.fetch_pending(limit=1000)  # pages whose fetch job was lost still get a title
        await service.publish(network.id, period_of(bot.clock.now(), network.timezone))

    @bot.scheduler.handler("digest.redeliver")
    async def redeliver(payload: dict[str, Any]) -> None:
        await service.publish(int(payload["network_id"]), str(payload["period"]), redeliver_only=True)

    @bot.scheduler.handler("digest.fetch")
    async def fetch(payload: dict[str, Any]) -> None:
        await service.fetch_pending()

    @bot.scheduler.handler("digest.poll_feed")
    async def poll_feed(payload: dict[str, Any]) -> None:
        await service.poll_feed(int(payload["feed_id"]))
