"""What a handler gets: the event, who sent it, their network, their language and ways to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bot.adapter import Adapter, Destination, SentMessage
from bot.events import CommandEvent, Event
from bot.i18n import Translator
from bot.messages import Form, Message

if TYPE_CHECKING:
    from bot.core import Bot
    from storage.models.core import Member, Network

Visibility = Literal["ephemeral", "channel", "thread", "dm"]


@dataclass
class Context:
    bot: Bot
    adapter: Adapter
    event: Event
    translator: Translator
    network: Network | None = None
    member: Member | None = None
    # For commands: the arguments after the (sub)command; otherwise "".
    args: str = ""
    subcommand: str | None = None
    # The feature whose handler runs (for metrics): "ideas", "samsnakk", ...; "core" until routed.
    feature: str = "core"

    @property
    def language(self) -> str:
        return self.translator.language

    def t(self, msgid: str, /, **kwargs: Any) -> str:
        return self.translator.t(msgid, **kwargs)

    def tn(self, singular: str, plural: str, n: int, /, **kwargs: Any) -> str:
        return self.translator.tn(singular, plural, n, **kwargs)

    @property
    def is_command(self) -> bool:
        return isinstance(self.event, CommandEvent)

    def destination(self, visibility: Visibility) -> Destination:
        conv, user = self.event.conversation, self.event.user
        if visibility == "dm":
            return Destination.dm(user)
        if visibility == "ephemeral":
            if conv.is_direct:
                return Destination("channel", conversation=conv)
            return Destination.ephemeral(conv, user)
        if visibility == "channel":
            return Destination.channel(conv.without_thread() if not conv.thread_id else conv)
        return Destination.channel(conv)

    async def reply(self, message: Message | str, *, visibility: Visibility = "ephemeral") -> SentMessage | None:
        """Answer the event right away (interactive replies are not queued: the user is waiting)."""
        if isinstance(message, str):
            message = Message.text(message)
        return await self.adapter.send(self.destination(visibility), message)

    async def open_form(self, form: Form) -> None:
        await self.adapter.open_form(self.event, form)
