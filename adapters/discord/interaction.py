"""Answering one Discord interaction: within 3 seconds, once, then by follow-ups.

Discord wants exactly one initial response to an interaction within 3 seconds; after that its
token allows follow-ups and edits for 15 minutes. The core does not know about this: a handler
just replies. While the core handles an interaction, the adapter keeps an `InteractionReply` in
a context variable; replies to the person who clicked or typed go through it:

- the first reply becomes the initial response (ephemeral when the core asked for that);
- when no reply has come after `defer_after` seconds, the interaction is deferred and the first
  reply then replaces the "thinking…" state;
- later replies are follow-ups; a form opens as a modal when it still can.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextvars import ContextVar
from typing import Any

import discord

from adapters.discord.events import channel_id_of
from adapters.discord.render import EPHEMERAL, Payload, render_message
from adapters.discord.rest import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    Rest,
)
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.events import Conversation, User
from bot.i18n import Translator, normalise_language, translator
from bot.messages import Message

log = logging.getLogger(__name__)

current: ContextVar[InteractionReply | None] = ContextVar("discord_interaction", default=None)


def translator_of(interaction: discord.Interaction, default_language: str) -> Translator:
    """The language of the member's Discord client, else the bot's."""
    return translator(normalise_language(str(interaction.locale.value)) or default_language)


class InteractionReply:
    def __init__(
        self, rest: Rest, interaction: discord.Interaction, user: User, conversation: Conversation, *,
        done_text: str,
    ) -> None:  # fmt: skip
        self.rest = rest
        self.interaction = interaction
        self.user = user
        self.conversation = conversation
        self.done_text = done_text
        self.state = "new"  # new → responded | deferred; expired when the token no longer works
        self.thinking = False  # a deferred "thinking…" message waits to be replaced
        self.lock = asyncio.Lock()
        self._watchdog: asyncio.Task[None] | None = None
        self._waiting = True

    @property
    def is_component(self) -> bool:
        return self.interaction.type == discord.InteractionType.component

    @property
    def can_open_modal(self) -> bool:
        return self.state == "new" and self.interaction.type != discord.InteractionType.modal_submit

    @property
    def message_id(self) -> str:
        return str(self.interaction.message.id) if self.interaction.message else ""

    def start(self, defer_after: float) -> None:
        self._watchdog = asyncio.get_running_loop().create_task(self._defer_later(defer_after))

    async def _defer_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._waiting = False  # from here on, let the deferral finish rather than cut it off
        async with self.lock:
            if self.state != "new":
                return
            try:
                if self.is_component:
                    await self._respond(DEFERRED_UPDATE_MESSAGE)
                else:
                    await self._respond(DEFERRED_CHANNEL_MESSAGE, {"flags": EPHEMERAL})
                    self.thinking = True
            except DeliveryError as error:
                log.warning("could not defer a Discord interaction (%s)", error.code)
                return
            self.state = "deferred"

    async def _respond(self, kind: int, data: dict[str, Any] | None = None, payload: Payload | None = None) -> Any:
        try:
            result = await self.rest.callback(self.interaction.id, self.interaction.token, kind, data, payload)
        except DeliveryError as error:
            if error.code == "gone":  # answered too late: the token is gone, send another way
                self.state = "expired"
            raise
        self.state = "responded"
        return result

    # -- what the adapter asks --------------------------------------------------------------
    def takes(self, destination: Destination) -> bool:
        """Whether a reply to `destination` belongs to this interaction."""
        if self.state == "expired":
            return False
        if destination.kind == "ephemeral":
            return destination.user is not None and destination.user.id == self.user.id
        if destination.kind == "channel" and destination.conversation is not None:
            same = channel_id_of(destination.conversation) == channel_id_of(self.conversation)
            return same and (self.state == "new" or self.conversation.is_direct)
        return False

    async def send(self, destination: Destination, payloads: list[Payload]) -> SentMessage | None:
        try:
            return await self._send(destination, payloads)
        except DeliveryError as error:
            if error.code == "gone":  # the token is no longer valid (15 minutes): send another way
                self.state = "expired"
            raise

    async def _send(self, destination: Destination, payloads: list[Payload]) -> SentMessage | None:
        ephemeral = destination.kind == "ephemeral" and not self.conversation.is_direct
        app_id, token = self.interaction.application_id, self.interaction.token
        first_id = ""
        async with self.lock:
            for index, payload in enumerate(payloads):
                if self.state == "new":
                    response = await self._respond(CHANNEL_MESSAGE, payload.body(ephemeral=ephemeral), payload)
                    message = ((response or {}).get("resource") or {}).get("message") or {}
                    message_id = str(message.get("id", ""))
                elif self.thinking and ephemeral:
                    message_id = str((await self.rest.edit_interaction_message(app_id, token, payload))["id"])
                    self.thinking = False
                else:
                    if self.thinking:  # the deferral was private, this reply is not: clear it first
                        await self.rest.delete_original(app_id, token)
                        self.thinking = False
                    message_id = str((await self.rest.follow_up(app_id, token, payload, ephemeral=ephemeral))["id"])
                if index == 0:
                    first_id = message_id
        if ephemeral or not first_id:
            return None
        return SentMessage(destination.conversation or self.conversation, first_id)

    async def say(self, text: str) -> None:
        """A short answer only the member sees."""
        await self.send(Destination.ephemeral(self.conversation, self.user), render_message(Message.text(text)))

    async def update(self, sent: SentMessage, payload: Payload) -> bool:
        """Update the message whose button was clicked through the interaction, if it is that one."""
        if not self.is_component or sent.message_id != self.message_id or self.state == "expired":
            return False
        async with self.lock:
            if self.state == "new":
                await self._respond(UPDATE_MESSAGE, payload.body(), payload)
                return True
            message = self.interaction.message
            if message is not None and message.flags.ephemeral:  # only the token can edit those
                await self.rest.edit_interaction_message(
                    self.interaction.application_id, self.interaction.token, payload, self.message_id
                )
                return True
        return False

    async def open_modal(self, modal: dict[str, Any]) -> bool:
        async with self.lock:
            if not self.can_open_modal:
                return False
            await self._respond(MODAL, modal)
            return True

    async def finish(self) -> None:
        """Acknowledge an interaction the core did not answer, and clear a leftover deferral."""
        if self._watchdog is not None:
            if self._waiting:
                self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        async with self.lock:
            try:
                if self.state == "new":
                    if self.is_component:
                        await self._respond(DEFERRED_UPDATE_MESSAGE)
                    else:
                        await self._respond(CHANNEL_MESSAGE, Payload(content=self.done_text).body(ephemeral=True))
                elif self.thinking:
                    await self.rest.delete_original(self.interaction.application_id, self.interaction.token)
                    self.thinking = False
            except DeliveryError as error:
                log.warning("could not acknowledge a Discord interaction (%s)", error.code)
