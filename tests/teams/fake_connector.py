"""A small fake Bot Connector on 127.0.0.1: the conversations API Teams bots post to.

It keeps what a test asserts on: every request (with its Authorization header), the activities
in each conversation (a reply chain is the channel's id with `;messageid=`), updates, deletions
and the 1:1 chats it created. Failures are scripted per method and path with `fail(...)`: 429s
with `Retry-After`, 5xx, 403 and so on.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support import Failure, FakeServer, Recorded, recorded, take_failure

TENANT = "11111111-2222-3333-4444-555555555555"
BOT_ID = "28:00000000-aaaa-bbbb-cccc-000000000001"
TEAM = "19:team0000000000000000000000000000@thread.tacv2"
CHANNEL = TEAM  # a team's General channel has the team's id
OTHER_CHANNEL = "19:other000000000000000000000000000@thread.tacv2"
BASE_PATH = "/emea/"


def personal_chat_id(teams_id: str) -> str:
    return f"a:personal-{teams_id.removeprefix('29:')}"


@dataclass
class FakeConnector(FakeServer[Recorded]):
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    updates: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    deleted: list[tuple[str, str]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1764000000001))

    @property
    def service_url(self) -> str:
        return f"{self.url}{BASE_PATH}"

    def routes(self, app: web.Application) -> None:
        app.middlewares.append(self._record_and_fail)
        base = BASE_PATH + "v3/conversations"
        app.router.add_post(base, self._create)
        app.router.add_post(base + "/{cid}/activities", self._send)
        app.router.add_post(base + "/{cid}/activities/{aid}", self._reply)
        app.router.add_put(base + "/{cid}/activities/{aid}", self._update)
        app.router.add_delete(base + "/{cid}/activities/{aid}", self._delete)
        app.router.add_get(base + "/{cid}/members/{uid}", self._member)
        app.router.add_put("/onedrive/{name}", self._upload)

    def fail(
        self, method: str, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        """The next `times` requests matching `method` and the `path` pattern get `status`."""
        self.failures.append(Failure(method, path, status, headers=headers or {}, times=times))

    def requests_to(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    def new_id(self) -> str:
        return str(next(self._ids))

    @web.middleware
    async def _record_and_fail(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body and request.content_type == "application/json" else None
        path = request.path.removeprefix(BASE_PATH)
        self.requests.append(recorded(request, body, path=path))
        if failure := take_failure(self.failures, request.method, path):
            error = {"error": {"code": "Throttled" if failure.status == 429 else "Failed", "message": "scripted"}}
            return web.json_response(error, status=failure.status, headers=failure.headers)
        return await handler(request)

    def _store(self, conversation_id: str, activity: dict[str, Any]) -> dict[str, Any]:
        stored = {**activity, "id": self.new_id()}
        self.messages.setdefault(conversation_id, []).append(stored)
        return stored

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.created.append(body)
        member = body["members"][0]["id"]
        return web.json_response({"id": personal_chat_id(member)}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        stored = self._store(request.match_info["cid"], await request.json())
        return web.json_response({"id": stored["id"]}, status=201)

    async def _reply(self, request: web.Request) -> web.Response:
        body = {**await request.json(), "replyToId": request.match_info["aid"]}
        stored = self._store(request.match_info["cid"], body)
        return web.json_response({"id": stored["id"]}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        cid, aid = request.match_info["cid"], request.match_info["aid"]
        body = await request.json()
        self.updates.append((cid, aid, body))
        for stored in self.messages.get(cid, []):
            if stored["id"] == aid:
                stored.clear()
                stored.update({**body, "id": aid})
        return web.json_response({"id": aid})

    async def _delete(self, request: web.Request) -> web.Response:
        self.deleted.append((request.match_info["cid"], request.match_info["aid"]))
        return web.Response(status=200)

    async def _member(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        return web.json_response({"id": uid, "name": self.names.get(uid, ""), "aadObjectId": aad_id(uid)})

    async def _upload(self, request: web.Request) -> web.Response:
        """A OneDrive upload URL, as Teams hands one out when someone accepts a file."""
        self.uploads[request.match_info["name"]] = await request.read()
        return web.json_response({"id": request.match_info["name"]}, status=201)

    def upload_info(self, name: str) -> dict[str, str]:
        return {"name": name, "uploadUrl": f"{self.url}/onedrive/{name}",
                "contentUrl": f"https://nordby-my.sharepoint.com/personal/{name}", "uniqueId": f"id-{name}",
                "fileType": name.rpartition(".")[2]}  # fmt: skip

    def in_chain(self, root_id: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
        return self.messages.get(f"{channel};messageid={root_id}", [])


def aad_id(teams_id: str) -> str:
    """A stable Entra object id per simulated Teams user."""
    digits = hashlib.sha256(teams_id.encode()).hexdigest()[:12]
    return f"00000000-0000-4000-8000-{digits}"
