"""A fake Slack on 127.0.0.1: the Web API at /api/{method}, response_url hooks, file uploads,
and a Socket Mode websocket reached through `apps.connections.open`.

Every call is kept in `requests` (method, params, token, when), so tests assert on what the real
slack_sdk sent. Failures are scripted per method: a status with headers, or a Slack error.
Posted messages are kept per channel in `messages` with their metadata, and `conversations.history` and
`conversations.replies` return them as Slack does (newest first, after `oldest`, metadata only
with `include_all_metadata`, a cursor for the next page). `on_post` runs after a message is kept
and before the answer goes out: a test can stop the sender there, or keep the answer waiting;
`on_hook` does the same for a post to a response_url.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from tests.support import FakeServer, eventually


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str
    at: float  # time.monotonic()
    failed: bool = False  # answered with a scripted failure


@dataclass
class Failure:
    status: int = 200
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


NAMES = {"UKARI": "Kari Nordmann", "UOLA": "Ola Hansen", "UPER": "Per Olsen"}
# Slack gives every command and interaction its own trigger id.
TRIGGERS = itertools.count(1)


@dataclass
class FakeSlack(FakeServer[Call]):
    team_id = "T1"
    bot_user_id = "UBOT"

    hooks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    socket_received: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel → messages, oldest first
    on_post: Callable[[Call, dict[str, Any]], Awaitable[None]] | None = None
    on_hook: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _socket_ready: asyncio.Event = field(default_factory=asyncio.Event)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/hooks/{hook}", self._hook)
        app.router.add_post("/upload/{file}", self._upload)
        app.router.add_get("/socket", self._socket)

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        await super().close()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def hook_url(self, name: str = "h1") -> str:
        return f"{self.url}/hooks/{name}"

    # -- scripting --------------------------------------------------------------------------
    def fail(self, method: str, *, status: int = 200, error: str = "", headers: dict[str, str] | None = None,
             times: int = 1) -> None:  # fmt: skip
        self.failures.setdefault(method, []).append(Failure(status, error, headers or {}, times))

    # -- reading ----------------------------------------------------------------------------
    def requests_to(self, method: str) -> list[Call]:
        return [c for c in self.requests if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """The calls to `method`, once `count` of them arrived (the work runs after the ack)."""

        def arrived() -> list[Call]:
            found = self.requests_to(method)
            return found if len(found) >= count else []

        return await eventually(arrived, within=within, what=lambda: (
            f"{count} call(s) to {method}; got {[c.method for c in self.requests]}"))  # fmt: skip

    async def wait_for_hooks(self, count: int = 1, within: float = 5.0) -> list[dict[str, Any]]:
        """The bodies posted to response_urls, once there are `count` of them."""
        await eventually(lambda: len(self.hooks) >= count, within=within,
                         what=lambda: f"{count} response_url post(s); got {len(self.hooks)}")  # fmt: skip
        return [body for _, body in self.hooks]

    async def wait_for_hook(self, name: str, within: float = 10.0) -> dict[str, Any]:
        """The first post to the response_url named `name`."""

        def posted() -> list[dict[str, Any]]:
            return [body for hook, body in self.hooks if hook == name]

        return (await eventually(posted, within=within, every=0.001, what=f"a post to response_url {name}"))[0]

    # -- the Web API ------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.method == "GET":
            pass
        elif request.content_type == "application/json":
            params.update(await request.json())
        else:
            params.update(await request.post())
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        call = Call(method, params, token, time.monotonic())
        self.requests.append(call)
        scripted = self.failures.get(method)
        if scripted:
            call.failed = True
            failure = scripted[0]
            failure.times -= 1
            if failure.times <= 0:
                scripted.pop(0)
            if failure.status != 200:
                return web.json_response({"ok": False, "error": failure.error or "http_error"},
                                         status=failure.status, headers=failure.headers)  # fmt: skip
            return web.json_response({"ok": False, "error": failure.error}, headers=failure.headers)
        answer = self._answer(method, params)
        if method == "chat.postMessage" and self.on_post is not None:
            await self.on_post(call, answer)
        return web.json_response(answer)

    def _keep(self, params: dict[str, Any]) -> dict[str, Any]:
        # Slack's timestamps are the time of posting, unique in the channel.
        message = {"type": "message", "user": self.bot_user_id, "text": params.get("text", ""),
                   "ts": f"{int(time.time())}.{next(self._ts):06d}"}  # fmt: skip
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        self.messages.setdefault(str(params.get("channel")), []).append(message)
        return message

    def _history(self, params: dict[str, Any], thread: bool) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [
            m for m in reversed(self.messages.get(str(params.get("channel")), []))
            if float(m["ts"]) > oldest
            and (m.get("thread_ts") == params.get("ts") if thread else "thread_ts" not in m)
        ]  # fmt: skip
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                for m in found[start : start + limit]]  # fmt: skip
        more = start + limit < len(found)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}  # fmt: skip

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        match method:
            case "auth.test":
                return {**ok, "team_id": self.team_id, "team": "Nordby kommune", "user_id": self.bot_user_id,
                        "bot_id": "BBOT", "url": "https://nordby.slack.com/"}  # fmt: skip
            case "users.info":
                user = str(params.get("user"))
                name = NAMES.get(user, user)
                profile = {"display_name": name.split()[0]}
                info = {"id": user, "name": user.lower(), "real_name": name, "profile": profile}
                return {**ok, "user": {**info, "is_admin": user in self.admins, "is_bot": user == self.bot_user_id}}
            case "conversations.open":
                users = str(params.get("users", "")).split(",")
                channel = f"D{users[0]}" if len(users) == 1 else "G" + "".join(sorted(users))
                return {**ok, "channel": {"id": channel}}
            case "chat.postMessage":
                return {**ok, "channel": params.get("channel"), "ts": self._keep(params)["ts"]}
            case "conversations.history":
                return self._history(params, thread=False)
            case "conversations.replies":
                return self._history(params, thread=True)
            case "chat.postEphemeral":
                return {**ok, "message_ts": f"1700000000.{next(self._ts):06d}"}
            case "views.open" | "views.publish":
                return {**ok, "view": {"id": "V1"}}
            case "apps.connections.open":
                return {**ok, "url": f"{self.url.replace('http', 'ws', 1)}/socket"}
            case "oauth.v2.access":
                return {**ok, "app_id": "A1", "access_token": "xoxb-installed", "token_type": "bot",
                        "scope": "commands,chat:write", "bot_user_id": "UBOT2",
                        "team": {"id": "T2", "name": "Sørby kommune"}, "enterprise": None,
                        "authed_user": {"id": "UINSTALLER"}, "is_enterprise_install": False}  # fmt: skip
            case "files.getUploadURLExternal":
                return {**ok, "upload_url": f"{self.url}/upload/F1", "file_id": "F1"}
            case "files.completeUploadExternal":
                return {**ok, "files": [{"id": "F1", "title": "file"}]}
        return ok

    async def _hook(self, request: web.Request) -> web.Response:
        hook, body = request.match_info["hook"], await request.json()
        self.hooks.append((hook, body))
        if self.on_hook is not None:
            await self.on_hook(hook, body)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads.append(await request.read())
        return web.Response(text="OK - 1", content_type="text/plain")

    # -- Socket Mode ------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._socket_ready.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_received.append(json.loads(message.data))
        return ws

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), 5)
        await self._sockets[-1].send_str(json.dumps(envelope))

    async def wait_for_ack(self, envelope_id: str, within: float = 5.0) -> dict[str, Any]:
        def ack() -> dict[str, Any] | None:
            return next((m for m in self.socket_received if m.get("envelope_id") == envelope_id), None)

        found: dict[str, Any] = await eventually(ack, within=within, what=f"the ack of envelope {envelope_id}")
        return found


# -- requests as Slack signs them ---------------------------------------------------------------
def sign(secret: str, timestamp: int, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: str, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(secret, timestamp, body),
    }


def command_body(command: str, text: str = "", *, user: str = "UKARI", channel: str = "C1", team: str = "T1",
                 response_url: str = "", channel_name: str = "laering") -> str:  # fmt: skip
    return urlencode({
        "token": "legacy", "team_id": team, "team_domain": "nordby", "channel_id": channel,
        "channel_name": channel_name, "user_id": user, "user_name": user.lower(), "command": command,
        "text": text, "api_app_id": "A1", "response_url": response_url,
        "trigger_id": f"trig-{command}-{next(TRIGGERS)}",
    })  # fmt: skip


def interactive_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions(action_id: str, value: str = "", *, user: str = "UOLA", channel: str = "C1",
                  response_url: str = "", team: str = "T1", home: bool = False) -> dict[str, Any]:  # fmt: skip
    container = (
        {"type": "view", "view_id": "V1"} if home
        else {"type": "message", "message_ts": "1700000000.000001", "channel_id": channel}
    )  # fmt: skip
    payload: dict[str, Any] = {
        "type": "block_actions", "team": {"id": team, "domain": "nordby"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A1", "trigger_id": f"trig-click-{next(TRIGGERS)}", "container": container,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "text": {"type": "plain_text", "text": "x"}, "action_ts": "1700000001.1"}],
    }  # fmt: skip
    if not home:
        payload["channel"] = {"id": channel, "name": "laering"}
        payload["message"] = {"ts": "1700000000.000001", "text": "x"}
        payload["response_url"] = response_url
    return payload


def event_body(event: dict[str, Any], team: str = "T1") -> dict[str, Any]:
    return {
        "token": "legacy", "team_id": team, "api_app_id": "A1", "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}", "event_time": int(time.time()),
        "event": event, "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }  # fmt: skip
