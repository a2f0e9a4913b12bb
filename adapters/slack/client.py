"""The Slack adapter: the core's `Adapter` protocol over the Web API (send, update, forms, groups,
threads, and finding an interrupted delivery again), and who is who in a workspace.

The Web API client with its retries and error mapping is in `web_api.py`; pacing posts into a
channel in `pacing.py`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.posted_parts import PostedParts, fingerprint
from adapters.slack.options import SlackOptions
from adapters.slack.pacing import ChannelPacer
from adapters.slack.render import Rendered, render_form, render_message, render_update
from adapters.slack.web_api import backoff, delivery_error, retry_handlers, web_client
from bot.adapter import CLOCK_MARGIN, DeliveryError, Destination, SentMessage
from bot.clock import Clock
from bot.events import Conversation, Event, User
from bot.i18n import Translator
from bot.messages import Attachment, Form, Message
from bot.router import CommandGroup

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Message metadata that marks what the outbox posted, so a worker that takes over an interrupted
# delivery can find it in the conversation's history instead of posting it again.
DELIVERY_EVENT = "samskap_delivery"
HISTORY_PAGES = 5  # at 200 messages each: far more than a channel gets within one lease


@dataclass(frozen=True)
class SlackRef:
    """What an answer to one Slack interaction needs (carried in `Event.platform_ref`)."""

    trigger_id: str = ""
    response_url: str = ""
    from_home: bool = False


def delivery_tag(key: str) -> str:
    """What marks a delivery on Slack: a digest of its key, which may hold member ids."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def delivery_metadata(tag: str, part: int) -> dict[str, Any]:
    return {"event_type": DELIVERY_EVENT, "event_payload": {"delivery": tag, "part": part}}


# -- who is who -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    display_name: str
    is_admin: bool
    is_bot: bool


TokenLookup = Callable[[str], Awaitable[str | None]]


class SlackAdapter:
    """The `Adapter` for Slack. One instance serves every installed workspace."""

    platform = PLATFORM
    auto_setup = True  # a workspace becomes a network on first use, each channel used joins it

    def __init__(
        self, options: SlackOptions, tokens: TokenLookup, clock: Clock, translator: Translator,
        session: aiohttp.ClientSession | None = None,
    ) -> None:  # fmt: skip
        self.options = options
        # One connection pool for every call (without it, each call opens a new connection).
        self.session = session
        self.tokens = tokens
        self.clock = clock
        self.translator = translator  # labels the adapter adds itself (modal buttons)
        self.pacer = ChannelPacer(options.pace_seconds)
        self._clients: dict[str, AsyncWebClient] = {}
        self._dm_channels: dict[tuple[str, str], str] = {}
        self._progress = PostedParts()  # parts of split messages, for a retry to continue
        self._profiles: dict[tuple[str, str], tuple[datetime, Profile]] = {}

    # -- plumbing ---------------------------------------------------------------------------
    async def client_for(self, team_id: str) -> AsyncWebClient:
        token = await self.tokens(team_id)
        if not token:
            raise DeliveryError("invalid_auth", retryable=False, detail=f"no installation for workspace {team_id}")
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = web_client(self.options, token, self.session)
        return client

    def forget_workspace(self) -> None:
        """After an uninstall: drop cached clients so a revoked token is not used again."""
        self._clients.clear()

    async def call(self, team_id: str, method: str, **params: Any) -> dict[str, Any]:
        client = await self.client_for(team_id)
        try:
            response = await getattr(client, method.replace(".", "_"))(**params)
        except Exception as exc:
            error = delivery_error(exc, method)
            log.warning(
                "slack %s failed in workspace %s, channel %s: %s",
                method, team_id, params.get("channel", "-"), error,
            )  # fmt: skip
            raise error from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def _post(self, conv: Conversation, tag: str, part: int, **params: Any) -> dict[str, Any]:
        """Post one part, marked with `tag`; never twice: a post that failed in a way that may have
        come after Slack kept it is looked for in the conversation before it is posted again."""
        since = datetime.fromtimestamp(time.time(), UTC) - CLOCK_MARGIN  # Slack's clock, not the bot's
        params = {"channel": conv.id, "metadata": delivery_metadata(tag, part), **params}
        if conv.thread_id:
            params["thread_ts"] = conv.thread_id
        joined = False
        for attempt in itertools.count():
            async with self.pacer.slot(f"{conv.workspace_id}:{conv.id}"):
                try:
                    return await self.call(conv.workspace_id, "chat.postMessage", **params)
                except DeliveryError as error:
                    if error.code == "not_in_channel" and not joined:
                        joined = await self._join(conv.workspace_id, conv.id)
                        if joined:
                            continue
                    if not (error.retryable and error.may_have_posted) or attempt >= self.options.server_error_retries:
                        raise
                    failure = error
            try:
                found = await self._marked_parts(conv, tag, since)
            except DeliveryError:
                raise failure from None  # the outbox looks again later; an answer is not posted blind
            if part in found:
                return {"ts": found[part]}
            await asyncio.sleep(backoff(self.options).calculate_sleep_duration(attempt))
        raise AssertionError("unreachable")

    async def _join(self, team_id: str, channel: str) -> bool:
        """A public channel the bot was not invited to: join it (what the user who asked wanted)."""
        try:
            await self.call(team_id, "conversations.join", channel=channel)
        except DeliveryError:
            return False
        log.info("joined channel %s in workspace %s to post there", channel, team_id)
        return True

    async def dm_channel(self, user: User) -> str:
        key = (user.workspace_id, user.id)
        if key not in self._dm_channels:
            data = await self.call(user.workspace_id, "conversations.open", users=user.id)
            self._dm_channels[key] = str(data["channel"]["id"])
        return self._dm_channels[key]

    async def profile(self, team_id: str, user_id: str, fallback_name: str = "") -> Profile:
        """Name and admin flag from `users.info`, kept briefly (names change rarely)."""
        key = (team_id, user_id)
        now = self.clock.now()
        cached = self._profiles.get(key)
        if cached and cached[0] > now:
            return cached[1]
        try:
            data = await self.call(team_id, "users.info", user=user_id)
        except DeliveryError:
            return Profile(fallback_name or user_id, False, False)
        info = data.get("user") or {}
        profile_data = info.get("profile") or {}
        name = (
            profile_data.get("display_name") or profile_data.get("real_name") or info.get("real_name")
            or info.get("name") or fallback_name or user_id
        )  # fmt: skip
        profile = Profile(str(name), bool(info.get("is_admin") or info.get("is_owner")), bool(info.get("is_bot")))
        if len(self._profiles) > 5000:
            self._profiles.clear()
        self._profiles[key] = (now + timedelta(seconds=self.options.user_cache_seconds), profile)
        return profile

    # -- Adapter protocol -------------------------------------------------------------------
    def default_subcommand(self, group: CommandGroup) -> str | None:
        return None  # a command with subcommands runs on its own too: `/ide`

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        rendered = render_message(message)
        if destination.kind == "ephemeral":
            # Slack gives an ephemeral message no id: nothing can be updated later.
            await self._send_ephemeral(destination, rendered)
            return None
        if destination.kind == "dm":
            assert destination.user is not None
            user = destination.user
            conv = Conversation(PLATFORM, user.workspace_id, await self.dm_channel(user), is_direct=True)
        else:
            assert destination.conversation is not None
            conv = destination.conversation
        # A retry of the same message (the outbox) continues where an earlier attempt failed.
        with self._progress.resume(fingerprint(destination, message)) as sent_ids:
            await self._send_parts(conv, rendered, sent_ids, key)
        parts = len(rendered.payloads)
        return SentMessage(conv, sent_ids[0], tuple(sent_ids[1:parts])) if parts else None

    async def _send_parts(self, conv: Conversation, rendered: Rendered, done: list[str], key: str) -> None:
        """Post the parts not in `done` yet, adding each one's id to it as it goes. Each part carries
        a mark in its metadata: the outbox's `key`'s, so that a later attempt finds it, or else one
        of its own, so that a failed attempt can be looked for before posting again."""
        tag = delivery_tag(key) if key else secrets.token_hex(16)
        for index, payload in enumerate(rendered.payloads):
            if index < len(done):
                continue
            data = await self._post(conv, tag, index, unfurl_links=False, **payload)
            done.append(str(data.get("ts", "")))
        for index, attachment in enumerate(rendered.files, start=len(rendered.payloads)):
            if index < len(done):
                continue
            await self._upload(conv.workspace_id, conv.id, conv.thread_id, attachment)
            done.append("")

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        """Look for the delivery's metadata in the conversation (or thread) since `since`.

        Found only when every part of the message is there; an ephemeral message leaves no trace."""
        if destination.kind == "ephemeral":
            return None
        if destination.kind == "dm":
            assert destination.user is not None
            user = destination.user
            conv = Conversation(PLATFORM, user.workspace_id, await self.dm_channel(user), is_direct=True)
        else:
            assert destination.conversation is not None
            conv = destination.conversation
        parts = await self._marked_parts(conv, delivery_tag(key), since)
        count = len(render_message(message).payloads)
        if count == 0 or any(index not in parts for index in range(count)):
            return None
        return SentMessage(conv, parts[0], tuple(parts[index] for index in range(1, count)))

    async def _marked_parts(self, conv: Conversation, tag: str, since: datetime) -> dict[int, str]:
        """The timestamps of the parts posted with this delivery tag, by part number."""
        method = "conversations.replies" if conv.thread_id else "conversations.history"
        params: dict[str, Any] = {"channel": conv.id, "oldest": f"{since.timestamp():.6f}",
                                  "include_all_metadata": True, "limit": 200}  # fmt: skip
        if conv.thread_id:
            params["ts"] = conv.thread_id
        found: dict[int, str] = {}
        for _ in range(HISTORY_PAGES):
            data = await self.call(conv.workspace_id, method, **params)
            for item in data.get("messages") or []:
                metadata = item.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == DELIVERY_EVENT and payload.get("delivery") == tag:
                    found.setdefault(int(payload.get("part", 0)), str(item.get("ts", "")))
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
            params["cursor"] = cursor
        return found

    async def _send_ephemeral(self, destination: Destination, rendered: Rendered) -> None:
        conv, user = destination.conversation, destination.user
        assert conv is not None and user is not None
        for payload in rendered.payloads:
            extra = {"thread_ts": conv.thread_id} if conv.thread_id else {}
            async with self.pacer.slot(f"{conv.workspace_id}:{conv.id}"):
                await self.call(conv.workspace_id, "chat.postEphemeral", channel=conv.id, user=user.id,
                                **payload, **extra)  # fmt: skip
        if rendered.files:
            # A file cannot be ephemeral: it goes to the person's direct messages instead.
            dm = await self.dm_channel(user)
            for attachment in rendered.files:
                await self._upload(conv.workspace_id, dm, None, attachment)

    async def _upload(self, team_id: str, channel: str, thread_id: str | None, attachment: Attachment) -> None:
        extra = {"thread_ts": thread_id} if thread_id else {}
        await self.call(
            team_id, "files_upload_v2", channel=channel, filename=attachment.filename,
            content=attachment.content.encode("utf-8"), title=attachment.filename, **extra,
        )  # fmt: skip

    async def respond(self, response_url: str, message: Message, *, ephemeral: bool = True) -> None:
        """Answer through an interaction's `response_url` (works where the bot is not invited)."""
        rendered = render_message(message)
        hook = AsyncWebhookClient(response_url, retry_handlers=retry_handlers(self.options), session=self.session)
        for payload in rendered.payloads:
            body = {"response_type": "ephemeral" if ephemeral else "in_channel", "replace_original": False, **payload}
            try:
                response = await hook.send_dict(body)
            except Exception as exc:
                raise delivery_error(exc, "response_url") from None
            if response.status_code != 200:
                code = "server_error" if response.status_code >= 500 or response.status_code == 429 else "gone"
                raise DeliveryError(code, retryable=code == "server_error",
                                    detail=f"response_url HTTP {response.status_code}")  # fmt: skip
        if rendered.files:
            raise DeliveryError("unknown", retryable=False, detail="files cannot go through response_url")

    async def update(self, sent: SentMessage, message: Message) -> None:
        conv = sent.conversation
        timestamps = [sent.message_id, *sent.more_ids]
        payloads = render_update(message, len(timestamps))
        for ts, payload in zip(timestamps, payloads, strict=False):
            await self.call(conv.workspace_id, "chat.update", channel=conv.id, ts=ts, **payload)
        for ts in timestamps[len(payloads) :]:  # the new content needs fewer messages
            try:
                await self.call(conv.workspace_id, "chat.delete", channel=conv.id, ts=ts)
            except DeliveryError as error:
                if error.code != "gone":
                    raise

    async def open_form(self, event: Event, form: Form) -> None:
        ref = event.platform_ref
        trigger_id = ref.trigger_id if isinstance(ref, SlackRef) else ""
        if not trigger_id:
            raise DeliveryError("unknown", retryable=False, detail=f"form {form.form_id} needs a click or command")
        conv = event.conversation
        view = render_form(
            form,
            conversation=None if isinstance(ref, SlackRef) and ref.from_home else conv,
            submit_label=self.translator.t("Send"),
            close_label=self.translator.t("Cancel"),
        )
        await self.call(conv.workspace_id, "views.open", trigger_id=trigger_id, view=view)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        if not users:
            raise ValueError("a group needs at least one person")
        team_id = users[0].workspace_id
        if len(users) == 1:
            return Conversation(PLATFORM, team_id, await self.dm_channel(users[0]), is_direct=True)
        data = await self.call(team_id, "conversations.open", users=",".join(u.id for u in users))
        return Conversation(PLATFORM, team_id, str(data["channel"]["id"]), is_direct=True)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        return sent.conversation.in_thread(sent.message_id)

    async def publish_home(self, team_id: str, user_id: str, view: dict[str, Any]) -> None:
        await self.call(team_id, "views.publish", user_id=user_id, view=view)
