"""discord.py's gateway client: the connection to Discord, handing what arrives to the inbound side."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from adapters.discord.options import DiscordOptions

if TYPE_CHECKING:
    from adapters.discord.inbound import Inbound

log = logging.getLogger(__name__)


class GatewayClient(discord.Client):
    """discord.py's client, handing every interaction, message and member join to `Inbound`."""

    def __init__(self, inbound: Inbound, options: DiscordOptions) -> None:
        # samskap never joins a voice channel: discord.py's warnings that its voice libraries are
        # missing would be two lines of noise at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=options.intents(),
            max_ratelimit_timeout=options.max_ratelimit_timeout,
            guild_ready_timeout=options.guild_ready_timeout,
        )
        self.inbound = inbound

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.inbound.handle_interaction(interaction)

    async def on_message(self, message: discord.Message) -> None:
        await self.inbound.handle_message(message)

    async def on_member_join(self, member: discord.Member) -> None:
        await self.inbound.handle_member_join(member)
