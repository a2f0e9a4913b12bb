"""The Discord REST calls the adapter makes, through discord.py's HTTP client.

discord.py's client keeps the per-route rate-limit buckets and the global limit, and retries 429s
and some 5xx itself; what it finally gives up on surfaces here as a `DeliveryError`. Payloads are
the renderer's JSON, sent as they are.
"""

from __future__ import annotations

import json
from typing import Any

import discord
from discord.http import Route

from adapters.discord.errors import delivering
from adapters.discord.render import Payload

# Interaction callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
MODAL = 9
PRIVATE_THREAD = 12
WEEK_IN_MINUTES = 10080


def _message_kwargs(payload: Payload, body: dict[str, Any]) -> dict[str, Any]:
    """JSON for a plain message; multipart with `payload_json` when there are files."""
    if not payload.files:
        return {"json": body}
    form: list[dict[str, Any]] = [{"name": "payload_json", "value": json.dumps(body)}]
    for index, attachment in enumerate(payload.files):
        form.append({
            "name": f"files[{index}]",
            "value": attachment.content.encode("utf-8"),
            "filename": attachment.filename,
            "content_type": attachment.mime_type,
        })  # fmt: skip
    return {"form": form}


class Rest:
    def __init__(self, http: discord.http.HTTPClient) -> None:
        self.http = http

    async def _call(self, route: Route, **kwargs: Any) -> Any:
        async with delivering():
            return await self.http.request(route, **kwargs)

    # -- channels, DMs and threads ------------------------------------------------------------
    async def post(self, channel_id: str, payload: Payload, *, nonce: str = "") -> dict[str, Any]:
        body = payload.body()
        if nonce:  # Discord returns the first message for a repeated nonce instead of posting again
            body.update(nonce=nonce, enforce_nonce=True)
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        return await self._call(route, **_message_kwargs(payload, body))

    async def edit(self, channel_id: str, message_id: str, payload: Payload) -> dict[str, Any]:
        route = Route(
            "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel_id, message_id=message_id
        )
        return await self._call(route, **_message_kwargs(payload, payload.body()))

    async def delete(self, channel_id: str, message_id: str) -> None:
        route = Route(
            "DELETE", "/channels/{channel_id}/messages/{message_id}", channel_id=channel_id, message_id=message_id
        )
        await self._call(route)

    async def channel(self, channel_id: str) -> dict[str, Any]:
        return await self._call(Route("GET", "/channels/{channel_id}", channel_id=channel_id))

    async def message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        route = Route(
            "GET", "/channels/{channel_id}/messages/{message_id}", channel_id=channel_id, message_id=message_id
        )
        return await self._call(route)

    async def open_dm(self, user_id: str) -> str:
        data = await self._call(Route("POST", "/users/@me/channels"), json={"recipient_id": user_id})
        return str(data["id"])

    async def thread_from_message(self, channel_id: str, message_id: str, name: str) -> str:
        route = Route(
            "POST", "/channels/{channel_id}/messages/{message_id}/threads", channel_id=channel_id, message_id=message_id
        )
        data = await self._call(route, json={"name": name, "auto_archive_duration": WEEK_IN_MINUTES})
        return str(data["id"])

    async def private_thread(self, channel_id: str, name: str) -> str:
        route = Route("POST", "/channels/{channel_id}/threads", channel_id=channel_id)
        body = {"name": name, "type": PRIVATE_THREAD, "invitable": False, "auto_archive_duration": WEEK_IN_MINUTES}
        data = await self._call(route, json=body)
        return str(data["id"])

    async def add_thread_member(self, thread_id: str, user_id: str) -> None:
        route = Route("PUT", "/channels/{channel_id}/thread-members/{user_id}", channel_id=thread_id, user_id=user_id)
        await self._call(route)

    # -- interactions -------------------------------------------------------------------------
    async def callback(
        self, interaction_id: int, token: str, kind: int, data: dict[str, Any] | None = None,
        payload: Payload | None = None,
    ) -> dict[str, Any] | None:  # fmt: skip
        route = Route(
            "POST", "/interactions/{interaction_id}/{interaction_token}/callback",
            interaction_id=interaction_id, interaction_token=token,
        )  # fmt: skip
        body: dict[str, Any] = {"type": kind}
        if data is not None:
            body["data"] = data
        kwargs = _message_kwargs(payload, body) if payload is not None and payload.files else {"json": body}
        return await self._call(route, params={"with_response": "true"}, **kwargs)

    async def follow_up(self, application_id: int, token: str, payload: Payload, *, ephemeral: bool) -> dict[str, Any]:
        route = Route("POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=application_id, webhook_token=token)
        return await self._call(
            route, params={"wait": "true"}, **_message_kwargs(payload, payload.body(ephemeral=ephemeral))
        )

    async def edit_interaction_message(
        self, application_id: int, token: str, payload: Payload, message_id: str = "@original"
    ) -> dict[str, Any]:
        route = Route(
            "PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
            webhook_id=application_id, webhook_token=token, message_id=message_id,
        )  # fmt: skip
        return await self._call(route, **_message_kwargs(payload, payload.body()))

    async def delete_original(self, application_id: int, token: str) -> None:
        route = Route(
            "DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
            webhook_id=application_id, webhook_token=token,
        )  # fmt: skip
        await self._call(route)

    # -- application commands ----------------------------------------------------------------
    async def overwrite_commands(
        self, application_id: int, commands: list[dict[str, Any]], guild_id: str | None = None
    ) -> list[dict[str, Any]]:
        if guild_id:
            route = Route(
                "PUT", "/applications/{application_id}/guilds/{guild_id}/commands",
                application_id=application_id, guild_id=guild_id,
            )  # fmt: skip
        else:
            route = Route("PUT", "/applications/{application_id}/commands", application_id=application_id)
        return await self._call(route, json=commands)
