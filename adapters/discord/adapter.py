"""`DiscordAdapter`: the core's `Adapter` on Discord, what goes out.

What the core sends is rendered by `render.py` and posted with discord.py's HTTP client (`rest.py`,
its rate-limit buckets and pacing included; its errors become `DeliveryError`s in `errors.py`). A
reply to the interaction being handled goes through its `InteractionReply` (`interaction.py`),
everything else to a channel, thread or direct message. The adapter owns the other parts: the
gateway client (`client.py`), the inbound side (`inbound.py`), forms (`forms.py`) and the buttons
and forms kept between interactions (`form_store.py`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from adapters.discord.client import GatewayClient
from adapters.discord.commands import default_sub_name
from adapters.discord.errors import THREAD_EXISTS, UNKNOWN_CHANNEL
from adapters.discord.events import DM_SCOPE, PLATFORM, channel_id_of
from adapters.discord.form_store import FormStore
from adapters.discord.forms import Forms
from adapters.discord.inbound import Inbound
from adapters.discord.interaction import current
from adapters.discord.options import DiscordOptions
from adapters.discord.render import Payload, render_message
from adapters.discord.rest import Rest
from adapters.posted_parts import PostedParts, fingerprint
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.events import Conversation, Event, User
from bot.messages import Form, Message
from bot.router import CommandGroup
from storage.repositories.core import Networks

if TYPE_CHECKING:
    from bot.core import Bot

log = logging.getLogger(__name__)

THREAD_NAME_MAX = 100


class DiscordAdapter:
    platform = PLATFORM
    auto_setup = False  # a server admin runs /samskap oppsett; channels are linked one by one

    def __init__(self, bot: Bot, options: DiscordOptions) -> None:
        self.bot = bot
        self.options = options
        self.store = FormStore(bot.db, bot.clock)
        self.forms = Forms(bot, self, self.store)
        self.inbound = Inbound(bot, self, options, self.forms, self.store)
        self.client = GatewayClient(self.inbound, options)
        self._dm_channels: dict[str, str] = {}
        self._progress = PostedParts()  # parts of split messages, for a retry to continue

    @property
    def rest(self) -> Rest:
        return Rest(self.client.http)

    def default_subcommand(self, group: CommandGroup) -> str | None:
        """How help names a command's own use: Discord runs it through a subcommand (`/ide start`)."""
        return default_sub_name(group) if group.subcommands else None

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        payloads = render_message(message)
        await self.store.keep_buttons(payloads)
        reply = current.get()
        if reply is not None and reply.takes(destination):
            try:
                return await reply.send(destination, payloads)
            except DeliveryError as error:
                if reply.state != "expired":
                    raise
                log.info("a Discord interaction expired (%s); replying another way", error.code)
        if destination.kind == "ephemeral":
            # Only an interaction can answer privately in a channel; otherwise a DM is private.
            assert destination.user is not None
            destination = Destination.dm(destination.user)
        if destination.kind == "dm":
            assert destination.user is not None
            channel_id = await self._dm_channel(destination.user.id)
            conversation = Conversation(PLATFORM, DM_SCOPE, channel_id, is_direct=True)
        else:
            assert destination.conversation is not None
            conversation = destination.conversation
            channel_id = channel_id_of(conversation)
        identity = fingerprint(destination, message)
        # The outbox's key names the delivery, whichever worker sends it: Discord then refuses a
        # second worker's repeat of a message the first one posted before it stopped.
        nonce = hashlib.sha256(f"delivery:{key}".encode()).hexdigest() if key else ""
        try:
            message_ids = await self._post_all(channel_id, identity, payloads, nonce)
        except DeliveryError as error:
            if not (error.code == "gone" and error.detail == str(UNKNOWN_CHANNEL) and _under_message(conversation)):
                raise
            # The core addresses a message's thread by the message's id (as on Slack); on Discord
            # that thread exists only once it is created, and then has the message's id.
            await self._thread_under(conversation, message)
            message_ids = await self._post_all(channel_id, identity, payloads, nonce)
        return SentMessage(conversation, message_ids[0], tuple(message_ids[1:]))

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        """Nothing to look for: `send` with the same key gets Discord's first message back (its nonce)."""
        return None

    async def update(self, sent: SentMessage, message: Message) -> None:
        message_ids = [sent.message_id, *sent.more_ids]
        payloads = render_message(message)
        if len(payloads) > len(message_ids):  # an edit cannot add messages in between: say the rest is cut
            payloads = payloads[: len(message_ids)]
            payloads[-1].content = payloads[-1].content[:1990].rstrip() + " …"
        await self.store.keep_buttons(payloads)
        channel_id = channel_id_of(sent.conversation)
        reply = current.get()
        if reply is None or not await reply.update(sent, payloads[0]):
            await self.rest.edit(channel_id, sent.message_id, payloads[0])
        for message_id, payload in zip(message_ids[1:], payloads[1:], strict=False):
            await self.rest.edit(channel_id, message_id, payload)
        for message_id in message_ids[len(payloads) :]:  # the new content needs fewer messages
            try:
                await self.rest.delete(channel_id, message_id)
            except DeliveryError as error:
                if error.code != "gone":
                    raise

    async def open_form(self, event: Event, form: Form) -> None:
        await self.forms.open(event, form)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        conversation = sent.conversation
        if conversation.thread_id or conversation.is_direct:  # no threads in threads or DMs
            return conversation
        try:
            thread_id = await self.rest.thread_from_message(conversation.id, sent.message_id, _thread_name(name))
        except DeliveryError as error:
            cause = error.__cause__
            if isinstance(cause, discord.HTTPException) and cause.code == THREAD_EXISTS:
                return conversation.in_thread(sent.message_id)  # a message's thread has the message's id
            raise
        return conversation.in_thread(thread_id)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        """Discord has no group DMs for bots: a private thread in the network's channel instead."""
        channel = await self._shared_channel(users)
        if channel is None:
            raise DeliveryError("channel_not_found", retryable=False, detail="no channel linked to a shared network")
        guild_id, channel_id = channel
        thread_id = await self.rest.private_thread(channel_id, (topic or "samskap")[:THREAD_NAME_MAX])
        for user in users:
            await self.rest.add_thread_member(thread_id, user.id)
        return Conversation(PLATFORM, guild_id, channel_id, thread_id=thread_id)

    async def post_to_user(self, user_id: str, identity: str, payloads: list[Payload]) -> list[str]:
        """Post `payloads` in a direct message to `user_id` (`identity` names them for a retry)."""
        channel_id = await self._dm_channel(user_id)
        return await self._post_all(channel_id, hashlib.sha256(identity.encode()).hexdigest(), payloads)

    # -- helpers ----------------------------------------------------------------------------------
    async def _thread_under(self, conversation: Conversation, message: Message) -> None:
        assert conversation.thread_id is not None
        name = message.summary or message.plain_text()
        try:
            parent = await self.rest.message(conversation.id, conversation.thread_id)
            name = parent.get("content") or next((e.get("title", "") for e in parent.get("embeds", [])), "") or name
        except DeliveryError as error:
            if error.code != "gone":
                raise
        await self.start_thread(SentMessage(conversation.without_thread(), conversation.thread_id), _thread_name(name))

    async def _post_all(self, channel_id: str, identity: str, payloads: list[Payload], nonce: str = "") -> list[str]:
        """Post the parts of one message; a retry of the same message (`identity`, a hash of what
        and where) continues where it failed.

        The nonce (the delivery's, else the content's) makes Discord itself refuse a duplicate
        posted within a few minutes, should a response be lost after the message was created."""
        nonce = nonce or identity
        with self._progress.resume(identity, keep=_retryable) as done:
            for index, payload in enumerate(payloads):
                if index < len(done):
                    continue
                data = await self.rest.post(channel_id, payload, nonce=f"{nonce[:22]}{index:03d}")
                done.append(str(data["id"]))
        return done

    async def _dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            self._dm_channels[user_id] = await self.rest.open_dm(user_id)
        return self._dm_channels[user_id]

    async def _shared_channel(self, users: list[User]) -> tuple[str, str] | None:
        async with self.bot.db.read() as s:
            channels = await Networks(s).channels_shared_by(users, PLATFORM)
        return (channels[0].workspace_id, channels[0].channel_id) if channels else None
        return None


def _retryable(error: BaseException) -> bool:
    return isinstance(error, DeliveryError) and error.retryable


def _under_message(conversation: Conversation) -> bool:
    return bool(conversation.thread_id) and not conversation.is_direct


def _thread_name(text: str) -> str:
    """A thread name from a message: its first line without markdown, within Discord's 100 characters."""
    line = next((part for part in text.splitlines() if part.strip()), "samskap")
    line = line.replace("**", "").replace("*", "").replace("_", " ").strip(" #-") or "samskap"
    return line if len(line) <= THREAD_NAME_MAX else line[: THREAD_NAME_MAX - 1].rstrip() + "…"
