"""A samskap bot behind the Agents SDK's CloudAdapter, posting to the fake Bot Connector, and a
driver that posts activities to `/api/messages` as Teams does."""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp
from aiohttp import web
from fake_connector import BOT_ID, CHANNEL, TEAM, TENANT, FakeConnector, aad_id, personal_chat_id

from adapters.ops_http import serve_http
from adapters.teams.auth import TokenSource
from adapters.teams.client import TeamsAdapter
from adapters.teams.options import TeamsOptions
from adapters.teams.render import ACTION_KEY
from adapters.teams.runner import attach, web_app
from bot.app import build_bot
from bot.clock import FakeClock
from bot.config import Config
from bot.core import Bot


class TeamsHarness:
    def __init__(
        self, fake: FakeConnector, database_url: str, clock: FakeClock, *,
        options: TeamsOptions | None = None, tokens: TokenSource | None = None, config: Config | None = None,
    ) -> None:  # fmt: skip
        self.fake = fake
        self.database_url = database_url
        self.clock = clock
        self.options = options or TeamsOptions()
        self.tokens = tokens
        self.config = config or Config()
        self.bot: Bot
        self.adapter: TeamsAdapter
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self.url = ""

    async def start(self) -> TeamsHarness:
        self.config.database_url = self.database_url
        self.bot = await build_bot(self.config, clock=self.clock)
        self.adapter = attach(self.bot, self.options, self.tokens)
        self._runner = await serve_http(web_app(self.bot, self.adapter, self.options), "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.adapter.close()
        await self.bot.db.dispose()

    async def restart(self) -> TeamsHarness:
        await self.close()
        return await self.start()

    # -- posting activities as Teams does ------------------------------------------------------------
    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        assert self._session is not None
        async with self._session.post(f"{self.url}/api/messages", json=activity, headers=headers or {}) as response:
            await response.read()
            return response.status

    def activity(self, user: str, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
        activity_id = f"in-{next(self._ids)}"
        return {
            "type": "message", "id": activity_id, "channelId": "msteams", "serviceUrl": self.fake.service_url,
            "timestamp": "2026-11-30T08:00:00.000Z", "locale": "nb-NO",
            "from": {"id": teams_id(user), "name": user.capitalize(), "aadObjectId": aad_id(teams_id(user))},
            "recipient": {"id": BOT_ID, "name": "samskap"},
            "conversation": conversation,
            "channelData": {"tenant": {"id": TENANT}},
            **fields,
        }  # fmt: skip

    def in_channel(self, root: str | None = None, channel: str = CHANNEL) -> dict[str, Any]:
        return {"id": f"{channel};messageid={root}" if root else channel, "conversationType": "channel",
                "tenantId": TENANT, "isGroup": True}  # fmt: skip

    def in_personal_chat(self, user: str) -> dict[str, Any]:
        return {"id": personal_chat_id(teams_id(user)), "conversationType": "personal", "tenantId": TENANT}

    async def say_in_channel(self, user: str, text: str, *, mention: bool = True, root: str | None = None) -> int:
        """`user` posts `text` in the channel, @mentioning the bot first (a new post, or a reply in `root`'s chain)."""
        activity = self.activity(user, {})
        activity["conversation"] = self.in_channel(root or activity["id"])
        activity["channelData"] |= {"team": {"id": TEAM}, "channel": {"id": CHANNEL}}
        if mention:
            activity["text"] = f"<at>samskap</at> {text}"
            activity["entities"] = [{"type": "mention", "text": "<at>samskap</at>",
                                     "mentioned": {"id": BOT_ID, "name": "samskap"}}]  # fmt: skip
        else:
            activity["text"] = text
        return await self.post(activity)

    async def say_with_mention(self, user: str, before: str, who: str, after: str) -> int:
        """`user` writes `@samskap {before} @{who} {after}` in the channel, both as Teams mentions."""
        activity = self.activity(user, {})
        activity["conversation"] = self.in_channel(activity["id"])
        name = who.capitalize()
        activity["text"] = f"<at>samskap</at> {before} <at>{name}</at> {after}"
        activity["entities"] = [
            {"type": "mention", "text": "<at>samskap</at>", "mentioned": {"id": BOT_ID, "name": "samskap"}},
            {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": teams_id(who), "name": name}},
        ]
        return await self.post(activity)

    async def say_in_personal_chat(self, user: str, text: str) -> int:
        return await self.post(self.activity(user, self.in_personal_chat(user), text=text))

    async def click(self, user: str, card: dict[str, Any], title: str, where: dict[str, Any]) -> int:
        """`user` presses the card's button `title` (an Action.Submit) in the conversation `where`."""
        data = buttons_of(card)[title]
        return await self.post(self.activity(user, where, value=data, replyToId=card["id"]))

    async def submit(
        self, user: str, card: dict[str, Any], values: dict[str, Any], where: dict[str, Any],
        submit: dict[str, Any] | None = None,
    ) -> int:  # fmt: skip
        """`user` fills in a form card's inputs and sends it (`submit`: the button's data as it was)."""
        data = {**(submit or form_submit_of(card)), **values}
        return await self.post(self.activity(user, where, value=data, replyToId=card["id"]))

    async def accept_file(self, user: str, offer: dict[str, Any], *, accept: bool = True) -> int:
        """`user` presses Allow (or Decline) on a file offer in their 1:1 chat: Teams sends an invoke."""
        consent = offer["attachments"][0]
        value = {"type": "fileUpload", "action": "accept" if accept else "decline",
                 "context": consent["content"]["acceptContext"]}  # fmt: skip
        if accept:
            value["uploadInfo"] = self.fake.upload_info(consent["name"])
        activity = self.activity(user, self.in_personal_chat(user), type="invoke", name="fileConsent/invoke",
                                 value=value, replyToId=offer["id"])  # fmt: skip
        return await self.post(activity)

    async def install(self, user: str, channel: str = CHANNEL) -> int:
        """`user` adds the app to the team: Teams says the bot joined the General channel."""
        activity = self.activity(user, {"id": channel, "conversationType": "channel", "tenantId": TENANT},
                                 type="conversationUpdate", membersAdded=[{"id": BOT_ID}])  # fmt: skip
        activity["channelData"] |= {"team": {"id": TEAM}, "eventType": "teamMemberAdded"}
        return await self.post(activity)

    def dms_to(self, user: str) -> list[dict[str, Any]]:
        """What the bot sent `user` in their 1:1 chat, oldest first."""
        return self.fake.messages.get(personal_chat_id(teams_id(user)), [])


def teams_id(name: str) -> str:
    return f"29:{name}"


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return dict(attachment["content"])
    return {}


def _walk(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for element in elements:
        found.append(element)
        found += _walk(element.get("actions", []) + element.get("items", []))
    return found


def text_of(activity: dict[str, Any]) -> str:
    """The visible text of an activity: its text, its card's texts, facts and button titles."""
    card = card_of(activity)
    parts = [activity.get("text") or ""]
    for element in _walk(card.get("body", []) + card.get("actions", [])):
        parts += [element.get("text", ""), element.get("title", ""), element.get("label", "")]
        parts += [f"{f['title']} {f['value']}" for f in element.get("facts", [])]
    return "\n".join(p for p in parts if p)


def buttons_of(activity: dict[str, Any]) -> dict[str, dict[str, Any]]:
    card = card_of(activity)
    elements = _walk(card.get("body", []) + card.get("actions", []))
    return {e["title"]: e["data"] for e in elements
            if e.get("type") == "Action.Submit" and ACTION_KEY in e.get("data", {})}  # fmt: skip


def inputs_of(activity: dict[str, Any]) -> list[str]:
    return [e["id"] for e in _walk(card_of(activity).get("body", [])) if str(e.get("type", "")).startswith("Input.")]


def form_submit_of(activity: dict[str, Any]) -> dict[str, Any]:
    actions = card_of(activity).get("actions", [])
    return dict(actions[0]["data"])
