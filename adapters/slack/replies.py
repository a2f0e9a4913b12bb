"""Answers to one Slack interaction: the adapter seen from a single command, click or form.

A slash command can be typed in a channel the bot was never invited to. Private answers then
go through the interaction's `response_url`, which works anywhere; and when a public post
fails, the person who asked is told why (and sees what was meant to be posted), instead of
the answer vanishing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from adapters.slack.client import SlackAdapter, SlackRef
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.core import Bot, error_reason
from bot.events import Conversation, Event, User
from bot.i18n import Translator
from bot.messages import Attachment, Form, Message, Text
from bot.router import CommandGroup
from storage.repositories.core import Members

log = logging.getLogger(__name__)


class InteractionReplies:
    platform = "slack"

    def __init__(self, adapter: SlackAdapter, event: Event, bot: Bot) -> None:
        self.adapter = adapter
        self.event = event
        self.bot = bot
        ref = event.platform_ref
        self.response_url = ref.response_url if isinstance(ref, SlackRef) else ""

    def _is_private_answer(self, destination: Destination) -> bool:
        conv, user = destination.conversation, destination.user
        return (
            destination.kind == "ephemeral"
            and conv is not None and user is not None
            and conv.id == self.event.conversation.id and user.id == self.event.user.id
        )  # fmt: skip

    @property
    def auto_setup(self) -> bool:
        return self.adapter.auto_setup

    def default_subcommand(self, group: CommandGroup) -> str | None:
        return self.adapter.default_subcommand(group)

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        private = self._is_private_answer(destination)
        if self.response_url and private and not _has_files(message):
            try:
                await self.adapter.respond(self.response_url, message)
                return None
            except DeliveryError as error:
                log.info("response_url failed (%s); answering through the API instead", error.code)
        try:
            return await self.adapter.send(destination, message, key=key)
        except DeliveryError as error:
            if error.retryable or not self._here(destination.conversation):
                raise
            told = await self._tell_asker(destination, message, error)
            if private and told:
                return None  # the answer reached the person another way
            raise

    def _here(self, conv: Conversation | None) -> bool:
        return conv is not None and conv.id == self.event.conversation.id

    async def _tell_asker(self, destination: Destination, message: Message, error: DeliveryError) -> bool:
        """Show the person who asked what could not be posted, and why. True when that worked."""
        t = await self._translator()
        reason = error_reason(t, error.code)
        if destination.kind == "ephemeral" or self.event.conversation.is_direct:
            notice = t.t("I could not answer you here ({reason}), so here is my answer:", reason=reason)
        else:
            notice = t.t(
                "I could not post in this channel ({reason}). Invite me with /invite and try again. "
                "This is what I wanted to post:",
                reason=reason,
            )
        told = Message.of(Text(notice), *message.parts)
        try:
            if self.response_url and not _has_files(message):
                await self.adapter.respond(self.response_url, told)
            else:  # no response_url (a form, an event): the person's direct messages
                await self.adapter.send(Destination.dm(self.event.user), told)
        except DeliveryError:
            log.warning("could not tell the person who asked that a post failed (%s)", error.code)
            return False
        return True

    async def _translator(self) -> Translator:
        async with self.bot.db.session() as s:
            first = await Members(s).first_membership(self.event.user)
        return self.bot.translator_for(first)

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        return await self.adapter.find_sent(destination, message, key=key, since=since)

    async def update(self, sent: SentMessage, message: Message) -> None:
        await self.adapter.update(sent, message)

    async def open_form(self, event: Event, form: Form) -> None:
        await self.adapter.open_form(event, form)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        return await self.adapter.open_group(users, topic)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        return await self.adapter.start_thread(sent, name)


def _has_files(message: Message) -> bool:
    return any(isinstance(p, Attachment) for p in message.parts)
