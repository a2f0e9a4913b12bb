"""A small fake Discord on 127.0.0.1: the REST API under /api/v10 and a websocket gateway.

It keeps what a test needs to assert on: every request, the messages in each channel, the
interaction responses and follow-ups, threads and DMs. Failures are scripted per route with
`fail(...)`. The gateway speaks enough of the protocol for discord.py: HELLO, IDENTIFY → READY and
GUILD_CREATE, heartbeats, RESUME → RESUMED, RECONNECT, and dispatching events.

A message posted with `nonce` and `enforce_nonce` is answered, as Discord documents it, with the
message already posted under that nonce by the same bot within the last few minutes
(`nonce_seconds`), instead of a new one. `on_post` runs after a message is kept and before the
answer goes out: a test can stop the sender there.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support import Failure, FakeServer, Recorded, recorded, take_failure

APP_ID = "900000000000000001"
BOT_ID = APP_ID
GUILD_ID = "100000000000000001"
CHANNEL_ID = "200000000000000001"
OTHER_CHANNEL_ID = "200000000000000002"
MANAGE_GUILD = 1 << 5
TIMESTAMP = "2026-11-27T08:00:00.000000+00:00"


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": user_id, "username": name, "global_name": name, "discriminator": "0", "avatar": None, "bot": bot}


def thread_payload(thread_id: str, parent_id: str, name: str, kind: int = 11) -> dict[str, Any]:
    return {
        "id": thread_id, "type": kind, "parent_id": parent_id, "guild_id": GUILD_ID, "name": name,
        "owner_id": BOT_ID, "message_count": 0, "member_count": 0,
        "thread_metadata": {"archived": False, "auto_archive_duration": 10080, "archive_timestamp": TIMESTAMP,
                            "locked": False},
    }  # fmt: skip


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py parses JSON only when the Content-Type is exactly `application/json`."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class FakeDiscord(FakeServer[Recorded]):
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    thread_members: dict[str, list[str]] = field(default_factory=dict)
    dm_channels: dict[str, str] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    gateway_ops: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(300000000000000001))
    _seq: int = 0
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _session_id: str = "session-1"
    _identified: asyncio.Event = field(default_factory=asyncio.Event)
    _nonces: dict[tuple[str, str], tuple[float, dict[str, Any]]] = field(default_factory=dict)
    nonce_seconds: float = 300.0  # "a few minutes"
    on_post: Callable[[Recorded, dict[str, Any]], Awaitable[None]] | None = None

    # -- life cycle ------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await super().close()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    def snowflake(self) -> str:
        return str(next(self._ids))

    def fail(self, method: str, path: str, status: int, body: dict[str, Any] | None = None, *,
             headers: dict[str, str] | None = None, times: int = 1) -> None:  # fmt: skip
        """Answer the next `times` requests matching `method` and the `path` regex with `status`."""
        self.failures.append(Failure(method, path, status, body or {}, headers or {}, times))

    def requests_to(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    # -- gateway ---------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            self.gateway_ops.append(data)
            if data["op"] == 1:
                await ws.send_json({"op": 11})
            elif data["op"] == 2:
                await self._send(ws, "READY", self._ready())
                await self._send(ws, "GUILD_CREATE", self._guild())
                self._identified.set()
            elif data["op"] == 6:
                await self._send(ws, "RESUMED", {})
                self._identified.set()
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await self._identified.wait()
        await self._send(self._sockets[-1], event, data)

    async def ask_to_reconnect(self) -> None:
        """Send RECONNECT (op 7): the client must come back and RESUME."""
        self._identified.clear()
        ws = self._sockets[-1]
        await ws.send_json({"op": 7, "d": None})
        await self._identified.wait()

    def _ready(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": user_payload(BOT_ID, "samskap", bot=True),
            "guilds": [{"id": GUILD_ID, "unavailable": True}],
            "session_id": self._session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": APP_ID, "flags": 0},
        }

    def _guild(self) -> dict[str, Any]:
        return {
            "id": GUILD_ID, "name": "Nettverket", "owner_id": "1", "member_count": 3, "features": [],
            "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                       "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
            "channels": [
                {"id": CHANNEL_ID, "type": 0, "name": "nettverk", "position": 0, "permission_overwrites": []},
                {"id": OTHER_CHANNEL_ID, "type": 0, "name": "annet", "position": 1, "permission_overwrites": []},
            ],
            "threads": [], "members": [], "emojis": [], "stickers": [], "voice_states": [], "presences": [],
        }  # fmt: skip

    # -- REST ------------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            body = await self._multipart(request)
        request_kept = recorded(request, body, path=path)
        self.requests.append(request_kept)
        if failure := take_failure(self.failures, request.method, path):
            return json_response(failure.body, failure.status, failure.headers)
        handled = await self._route(request.method, path, body or {})
        if handled is None:
            return web.Response(status=204)
        status, payload = handled
        if self.on_post is not None and request.method == "POST" and re.fullmatch(r"/channels/\d+/messages", path):
            await self.on_post(request_kept, payload)
        return json_response(payload, status)

    async def _multipart(self, request: web.Request) -> dict[str, Any]:
        reader = await request.multipart()
        body: dict[str, Any] = {"files": {}}
        async for part in reader:
            if part.name == "payload_json":
                body.update(json.loads(await part.text()))
            else:
                body["files"][part.filename] = (await part.read()).decode()  # type: ignore[union-attr]
        return body

    async def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        if method == "GET" and path == "/users/@me":
            return 200, user_payload(BOT_ID, "samskap", bot=True)
        if method == "GET" and path == "/oauth2/applications/@me":
            return 200, {
                "id": APP_ID, "name": "samskap", "description": "", "icon": None, "bot_public": True,
                "bot_require_code_grant": False, "verify_key": "0" * 64, "owner": user_payload("1", "eier"),
                "flags": 0,
            }  # fmt: skip
        if match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(match.group(1), match.group(2), body)
        if match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)", path):
            message = self._message(f"webhook:{match.group(2)}", body)
            self.followups.append({"token": match.group(2), "message": message})
            return 200, message
        if match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", path):
            if method == "DELETE":
                return None
            message = self._message(f"webhook:{match.group(2)}", body)
            self.followups.append({"token": match.group(2), "edit": match.group(3), "message": message})
            return 200, message
        if method == "POST" and path == "/users/@me/channels":
            user_id = body["recipient_id"]
            channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
            return 200, {"id": channel_id, "type": 1, "recipients": [user_payload(user_id, user_id)]}
        if method == "GET" and (match := re.fullmatch(r"/channels/(\d+)", path)):
            if match.group(1) in self.threads:
                return 200, self.threads[match.group(1)]
            return 200, {"id": match.group(1), "type": 0, "guild_id": GUILD_ID, "name": "kanal", "position": 0}
        if match := re.fullmatch(r"/channels/(\d+)/messages", path):
            if self._is_message(match.group(1)) and match.group(1) not in self.threads:
                return 404, {"code": 10003, "message": "Unknown Channel"}  # a message id without a thread
            return 200, self._post_message(match.group(1), body)
        if match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path):
            for message in self.messages.get(match.group(1), []):
                if message["id"] == match.group(2):
                    if method == "DELETE":
                        self.messages[match.group(1)].remove(message)
                        return None
                    if method == "PATCH":
                        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
                    return 200, message
            return 404, {"code": 10008, "message": "Unknown Message"}
        if match := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path):
            return 201, self._thread(match.group(1), match.group(2), body, 11)
        if match := re.fullmatch(r"/channels/(\d+)/threads", path):
            return 201, self._thread(match.group(1), self.snowflake(), body, body.get("type", 12))
        if match := re.fullmatch(r"/channels/(\d+)/thread-members/(\d+)", path):
            self.thread_members.setdefault(match.group(1), []).append(match.group(2))
            return None
        if re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path) and method == "PUT":
            self.commands = [{**c, "id": self.snowflake(), "application_id": APP_ID, "version": "1"} for c in body]
            return 200, self.commands
        return 404, {"code": 0, "message": f"fake Discord has no {method} {path}"}

    def _is_message(self, some_id: str) -> bool:
        return any(m["id"] == some_id for messages in self.messages.values() for m in messages)

    def _message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.snowflake(), "channel_id": channel_id, "type": 0, "content": body.get("content", ""),
            "embeds": body.get("embeds", []), "components": body.get("components", []),
            "flags": body.get("flags", 0), "files": body.get("files", {}),
            "author": user_payload(BOT_ID, "samskap", bot=True),
            "attachments": [], "mentions": [], "mention_roles": [], "pinned": False, "tts": False,
            "mention_everyone": False, "timestamp": TIMESTAMP, "edited_timestamp": None,
        }  # fmt: skip

    def _post_message(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        nonce = body.get("nonce")
        earlier = self._nonces.get((channel_id, nonce)) if nonce else None
        if earlier and body.get("enforce_nonce") and time.monotonic() - earlier[0] < self.nonce_seconds:
            return earlier[1]
        message = self._message(channel_id, body)
        if nonce:
            message["nonce"] = nonce
            self._nonces[(channel_id, nonce)] = (time.monotonic(), message)
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def _thread(self, channel_id: str, thread_id: str, body: dict[str, Any], kind: int) -> dict[str, Any]:
        thread = thread_payload(thread_id, channel_id, body["name"], kind)
        self.threads[thread_id] = thread
        return thread

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        record = {"interaction_id": interaction_id, "token": token, **body}
        self.callbacks.append(record)
        response: dict[str, Any] = {"interaction": {"id": interaction_id, "type": 2}}
        if body["type"] == 4:
            channel = self._interaction_channels.get(token, "")
            message = self._message(channel, body.get("data") or {})
            if not (body.get("data") or {}).get("flags", 0) & 64:
                self.messages.setdefault(channel, []).append(message)
            record["message"] = message
            response["resource"] = {"type": 4, "message": message}
        return 200, response

    # -- interactions and messages from users -------------------------------------------------------
    _interaction_channels: dict[str, str] = field(default_factory=dict)

    def member(self, user_id: str, name: str, *, admin: bool = False) -> dict[str, Any]:
        return {
            "user": user_payload(user_id, name), "roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False,
            "flags": 0, "permissions": str(MANAGE_GUILD if admin else 0),
        }  # fmt: skip

    def interaction(
        self, kind: int, data: dict[str, Any], user_id: str, name: str, *, channel_id: str = CHANNEL_ID,
        dm: bool = False, admin: bool = False, message: dict[str, Any] | None = None, locale: str = "no",
        guild_id: str = GUILD_ID,
    ) -> dict[str, Any]:  # fmt: skip
        token = f"token-{self.snowflake()}"
        payload: dict[str, Any] = {
            "id": self.snowflake(), "application_id": APP_ID, "type": kind, "data": data, "token": token,
            "version": 1, "locale": locale, "attachment_size_limit": 8 * 1024 * 1024, "app_permissions": "0",
            "entitlements": [],
        }  # fmt: skip
        if dm:
            channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
            payload.update(channel_id=channel_id, channel={"id": channel_id, "type": 1},
                           user=user_payload(user_id, name), context=1)  # fmt: skip
        else:
            channel = {"id": channel_id, "type": 0, "guild_id": guild_id, "name": "nettverk", "position": 0,
                       "permission_overwrites": [], "nsfw": False, "flags": 0}  # fmt: skip
            if channel_id in self.threads:
                thread = self.threads[channel_id]
                channel = thread_payload(channel_id, thread["parent_id"], thread["name"], thread["type"])
            payload.update(guild_id=guild_id, channel_id=channel_id, channel=channel, guild_locale="no",
                           member=self.member(user_id, name, admin=admin), context=0,
                           guild={"id": guild_id, "locale": "no", "features": []})  # fmt: skip
        if message is not None:
            payload["message"] = message
        self._interaction_channels[token] = channel_id
        return payload

    def user_message(self, user_id: str, name: str, content: str, *, channel_id: str = CHANNEL_ID) -> dict[str, Any]:
        return {
            "id": self.snowflake(), "channel_id": channel_id, "guild_id": GUILD_ID, "type": 0, "content": content,
            "author": user_payload(user_id, name), "member": {k: v for k, v in self.member(user_id, name).items()
                                                              if k != "user"},
            "attachments": [], "embeds": [], "mentions": [], "mention_roles": [], "pinned": False, "tts": False,
            "mention_everyone": False, "timestamp": TIMESTAMP, "edited_timestamp": None, "components": [],
        }  # fmt: skip
