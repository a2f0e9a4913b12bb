"""The Bot Connector, through the SDK's `TeamsConnectorClient`: post, update, delete, create chats.

One client per service URL, made again when the token changes. Sends are paced to Teams' limits
per conversation and per bot (pacing.py). Failures become `DeliveryError`
(errors.py). A 429 with a short `Retry-After` is waited out here a few times (nothing was
posted, so trying again cannot post twice); longer waits and other failures go back to the
caller, and the outbox retries them later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from adapters.teams.auth import TokenSource
from adapters.teams.errors import delivering
from adapters.teams.pacing import BOT_LIMITS, CONVERSATION_LIMITS, Pacer

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
RATE_LIMIT_RETRIES = 3


class Connector:
    def __init__(self, tokens: TokenSource, *, max_wait: float = 5.0) -> None:
        self.tokens = tokens
        self.max_wait = max_wait
        self._clients: dict[str, tuple[str, TeamsConnectorClient]] = {}
        self.conversations = Pacer(CONVERSATION_LIMITS)
        self.bot = Pacer(BOT_LIMITS)

    async def _paced(self, service_url: str, conversation_id: str | None) -> None:
        if conversation_id is not None:  # a reply chain counts with its channel
            await self.conversations.wait(conversation_id.split(";", 1)[0])
        await self.bot.wait(service_url)

    async def _client(self, service_url: str) -> TeamsConnectorClient:
        token = await self.tokens.token()
        cached = self._clients.get(service_url)
        if cached is not None and cached[0] == token:
            return cached[1]
        if cached is not None:
            await cached[1].close()
        endpoint = service_url if service_url.endswith("/") else service_url + "/"
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        session = aiohttp.ClientSession(base_url=endpoint, headers=headers, timeout=REQUEST_TIMEOUT)
        client = TeamsConnectorClient(endpoint, token, session=session)
        self._clients[service_url] = (token, client)
        return client

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """Post `activity` into a conversation (a reply chain's id posts into that chain); its id."""
        body = Activity.model_validate(activity)

        async def post() -> str:
            await self._paced(service_url, conversation_id)
            client = await self._client(service_url)
            response = await client.conversations.send_to_conversation(conversation_id, body)
            return str(response.id or "")

        return await self._patiently(post)

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]) -> None:
        body = Activity.model_validate({**activity, "id": activity_id})

        async def put() -> None:
            await self._paced(service_url, conversation_id)
            client = await self._client(service_url)
            await client.conversations.update_activity(conversation_id, activity_id, body)

        await self._patiently(put)

    async def delete(self, service_url: str, conversation_id: str, activity_id: str) -> None:
        async def remove() -> None:
            await self._paced(service_url, conversation_id)
            client = await self._client(service_url)
            await client.conversations.delete_activity(conversation_id, activity_id)

        await self._patiently(remove)

    async def personal_chat(self, service_url: str, tenant_id: str, bot_id: str, user_id: str) -> str:
        """Create (or find: Teams returns the existing one) the 1:1 chat between the bot and a user."""
        parameters = ConversationParameters(
            is_group=False,
            agent=ChannelAccount(id=bot_id),
            members=[ChannelAccount(id=user_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )

        async def create() -> str:
            await self._paced(service_url, None)
            client = await self._client(service_url)
            response = await client.conversations.create_conversation(parameters)
            return str(response.id or "")

        return await self._patiently(create)

    async def member_name(self, service_url: str, conversation_id: str, user_id: str) -> str:
        """A member's display name (Teams leaves it out of membership events)."""
        client = await self._client(service_url)
        async with delivering():
            member = await client.get_conversation_member(conversation_id, user_id)
        return str(member.name or "")

    async def _patiently(self, call: Any) -> Any:
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                async with delivering():
                    return await call()
            except Exception as error:
                wait = getattr(error, "retry_after", None)
                if getattr(error, "code", "") != "rate_limited" or attempt == RATE_LIMIT_RETRIES:
                    raise
                if wait is None or wait > self.max_wait:
                    raise
                log.info("teams: rate limited; trying again in %.1f s", wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        for _, client in self._clients.values():
            await client.close()
        self._clients.clear()
