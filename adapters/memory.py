"""An in-process adapter that records everything: for tests, benchmarks and the console.

It speaks as simulated users by name, so a test reads like a conversation:

    await chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    await chat.click("ola", "Jeg prøver dette")
    chat.clock.advance(timedelta(days=14)); await chat.tick()
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.adapter import DeliveryError, Destination, SentMessage
from bot.events import (
    ActionEvent,
    CommandEvent,
    Conversation,
    Event,
    FormSubmitted,
    MemberJoinedEvent,
    MessageEvent,
    User,
)
from bot.messages import Button, Buttons, Form, Message
from bot.router import CommandGroup


@dataclass
class Sent:
    destination: Destination
    message: Message
    message_id: str
    conversation: Conversation | None
    key: str = ""  # the outbox's delivery key, if it came through the outbox

    @property
    def text(self) -> str:
        return self.message.plain_text()

    @property
    def buttons(self) -> list[Button]:
        return [b for p in self.message.parts if isinstance(p, Buttons) for b in p.buttons]

    def to(self, name: str) -> bool:
        user = self.destination.user
        return user is not None and user.id == name


@dataclass
class OpenedForm:
    user: User
    form: Form
    event: Event


@dataclass
class MemoryAdapter:
    platform: str = "memory"
    workspace_id: str = "demo"
    channel_id: str = "general"
    sent: list[Sent] = field(default_factory=list)
    forms: list[OpenedForm] = field(default_factory=list)
    groups: dict[str, list[User]] = field(default_factory=dict)
    # Make the next sends fail: a list of DeliveryErrors consumed in order.
    failures: list[DeliveryError] = field(default_factory=list)
    deleted_conversations: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    admins: set[str] = field(default_factory=set)
    # A workspace becomes a network on first use, like Slack's; a test sets False to be like Discord.
    auto_setup: bool = True

    # -- Adapter protocol ----------------------------------------------------------------------
    def default_subcommand(self, group: CommandGroup) -> str | None:
        return None  # a command with subcommands runs on its own too: `/ide`

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        if self.failures:
            raise self.failures.pop(0)
        conv = destination.conversation
        if conv is not None and conv.id in self.deleted_conversations:
            raise DeliveryError("gone", retryable=False)
        if destination.kind == "dm":
            assert destination.user is not None
            conv = Conversation(self.platform, self.workspace_id, f"dm-{destination.user.id}", is_direct=True)
        message_id = str(next(self._ids))
        self.sent.append(Sent(destination, message, message_id, conv, key))
        if destination.kind == "ephemeral" or conv is None:
            return None
        return SentMessage(conv, message_id)

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        for item in self.sent:
            if key and item.key == key and item.conversation is not None:
                return SentMessage(item.conversation, item.message_id)
        return None

    async def update(self, sent: SentMessage, message: Message) -> None:
        for item in self.sent:
            if item.message_id == sent.message_id:
                item.message = message
                return
        raise DeliveryError("gone", retryable=False)

    async def open_form(self, event: Event, form: Form) -> None:
        self.forms.append(OpenedForm(event.user, form, event))

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        group_id = "group-" + "-".join(sorted(u.id for u in users))
        self.groups[group_id] = list(users)
        return Conversation(self.platform, self.workspace_id, group_id, is_direct=True)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        return sent.conversation.in_thread(sent.message_id)

    # -- speaking as users --------------------------------------------------------------------
    def user(self, name: str) -> User:
        return User(self.platform, self.workspace_id, name, name, is_workspace_admin=name in self.admins)

    def channel(self, thread_id: str | None = None) -> Conversation:
        return Conversation(self.platform, self.workspace_id, self.channel_id, thread_id)

    def dm_conversation(self, name: str) -> Conversation:
        return Conversation(self.platform, self.workspace_id, f"dm-{name}", is_direct=True)

    def command_event(self, name: str, line: str, conversation: Conversation | None = None) -> CommandEvent:
        command, _, args = line.lstrip("/").partition(" ")
        return CommandEvent(
            user=self.user(name), conversation=conversation or self.channel(), name=command, args=args.strip()
        )

    def message_event(self, name: str, text: str, conversation: Conversation | None = None) -> MessageEvent:
        message_id = f"in-{next(self._ids)}"
        return MessageEvent(
            user=self.user(name), conversation=conversation or self.channel(), text=text, message_id=message_id
        )

    def action_event(self, name: str, button: Button, conversation: Conversation | None = None) -> ActionEvent:
        return ActionEvent(
            user=self.user(name),
            conversation=conversation or self.channel(),
            action_id=button.action_id,
            value=button.value,
        )

    def form_event(self, name: str, opened: OpenedForm, values: dict[str, str]) -> FormSubmitted:
        return FormSubmitted(
            user=self.user(name),
            conversation=opened.event.conversation,
            form_id=opened.form.form_id,
            values=values,
            state=opened.form.state,
        )

    def joined_event(self, name: str) -> MemberJoinedEvent:
        return MemberJoinedEvent(user=self.user(name), conversation=self.channel())

    # -- reading what was sent ----------------------------------------------------------------
    def to_user(self, name: str) -> list[Sent]:
        """Everything only `name` sees: ephemeral replies and direct messages."""
        return [s for s in self.sent if s.destination.user is not None and s.destination.user.id == name]

    def in_conversation(self, conversation_id: str, thread_id: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.destination.kind in ("channel", "group")
            and s.conversation is not None
            and s.conversation.id == conversation_id
            and (thread_id is None or s.conversation.thread_id == thread_id)
        ]

    def last_form(self, name: str) -> OpenedForm:
        for opened in reversed(self.forms):
            if opened.user.id == name:
                return opened
        raise AssertionError(f"no form was opened for {name}")

    def find_button(self, label_or_action: str, *, visible_to: str | None = None) -> tuple[Sent, Button]:
        """The newest button with this label or action id (optionally one `visible_to` can see)."""
        for item in reversed(self.sent):
            if visible_to is not None and item.destination.user is not None and item.destination.user.id != visible_to:
                continue
            for button in item.buttons:
                if label_or_action in (button.label, button.action_id):
                    return item, button
        raise AssertionError(f"no button {label_or_action!r} was sent")


class Chat:
    """A bot on a MemoryAdapter with a fake clock, driven in the users' own words."""

    def __init__(self, bot: Any, adapter: MemoryAdapter, clock: Any) -> None:
        self.bot = bot
        self.adapter = adapter
        self.clock = clock

    @classmethod
    async def start(cls, database_url: str, *, clock: Any = None, config: Any = None, **adapter_kw: Any) -> Chat:
        from bot.app import build_bot
        from bot.clock import FakeClock
        from bot.config import Config

        clock = clock or FakeClock()
        config = config or Config(database_url=database_url)
        config.database_url = database_url
        adapter = MemoryAdapter(**adapter_kw)
        bot = await build_bot(config, clock=clock, adapters=[adapter])
        return cls(bot, adapter, clock)

    @property
    def sent(self) -> list[Sent]:
        return self.adapter.sent

    async def say(self, name: str, line: str, conversation: Conversation | None = None) -> list[Sent]:
        """`name` types `line` (a /command or a plain message); returns what the bot sent."""
        before = len(self.adapter.sent)
        if line.startswith("/"):
            event: Event = self.adapter.command_event(name, line, conversation)
        else:
            event = self.adapter.message_event(name, line, conversation)
        await self.bot.dispatch(event, self.adapter)
        return self.adapter.sent[before:]

    async def click(self, name: str, label_or_action: str, *, sent: Sent | None = None) -> list[Sent]:
        """`name` presses the newest button with this label (or the one in `sent`)."""
        if sent is not None:
            button = next(b for b in sent.buttons if label_or_action in (b.label, b.action_id))
            item = sent
        else:
            item, button = self.adapter.find_button(label_or_action, visible_to=name)
        before = len(self.adapter.sent)
        conv = item.conversation if item.destination.kind != "dm" else self.adapter.dm_conversation(name)
        await self.bot.dispatch(self.adapter.action_event(name, button, conv), self.adapter)
        return self.adapter.sent[before:]

    async def submit(self, name: str, values: dict[str, str]) -> list[Sent]:
        """`name` fills in and submits the form they were shown last."""
        opened = self.adapter.last_form(name)
        before = len(self.adapter.sent)
        await self.bot.dispatch(self.adapter.form_event(name, opened, values), self.adapter)
        return self.adapter.sent[before:]

    async def tick(self) -> None:
        from bot.app import tick

        await tick(self.bot)

    async def advance(self, delta: Any) -> None:
        """Move the clock forward and run whatever falls due (jobs, then retries)."""
        self.clock.advance(delta)
        await self.tick()

    async def restart(self) -> Chat:
        """A new bot process on the same database and clock (the old one is discarded)."""
        from bot.app import build_bot, shutdown

        await shutdown(self.bot)
        bot = await build_bot(self.bot.config, clock=self.clock, adapters=[self.adapter])
        self.bot = bot
        return self

    async def close(self) -> None:
        from bot.app import shutdown

        await shutdown(self.bot)
