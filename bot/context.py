"""What a handler gets: the event, who sent it, their network, their language and ways to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol

from typing_extensions import TypeVar

from bot.adapter import Adapter, Destination, SentMessage
from bot.errors import UserError
from bot.events import ActionEvent, CommandEvent, Event
from bot.i18n import N_, Translator
from bot.messages import Form, Message
from bot.numbers import MAX_DIGITS, leading_number

if TYPE_CHECKING:
    from bot.core import Bot
    from storage.models.core import Member, Network

Visibility = Literal["ephemeral", "channel", "thread", "dm"]

NOT_YOURS = N_("This button or form is not for you, or it no longer works. Try the command instead.")


class NotYours(UserError):
    """A button value or form state that points at something the clicker may not use.

    A value is a pointer we chose, but the client hands it back: it may be forged, or point at
    another network, or at something that has gone. All of these get the same answer, so a
    forged value learns nothing about what exists.
    """

    def __init__(self) -> None:
        super().__init__(NOT_YOURS)


class InNetwork(Protocol):
    network_id: int


Owned = TypeVar("Owned", bound=InNetwork)


def pointer_id(text: str) -> int:
    """An id from a button value or form state: a positive number an id column can hold."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS and int(text) > 0:
        return int(text)
    raise NotYours()


# The kind of event a handler is for: `Context[ActionEvent]` for a button, `Context[FormSubmitted]`
# for a form; a plain `Context` may hold any event.
E = TypeVar("E", bound=Event, default=Event, covariant=True)


@dataclass
class Context(Generic[E]):
    bot: Bot
    adapter: Adapter
    event: E
    translator: Translator
    network: Network | None = None
    member: Member | None = None
    # For commands: the arguments after the (sub)command; otherwise "".
    args: str = ""
    subcommand: str | None = None
    # The feature whose handler runs (for metrics): "ideas", "samsnakk", ...; "core" until routed.
    feature: str = "core"
    # The command's arguments are the member's own writing: a refusal gives them back however short.
    writing: bool = False

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

    def numbered(self, question: str, usage: str = "N") -> tuple[int, str]:
        """What a command or its button twin points at: the number the command's arguments start
        with and the words after it (`/ide prøv 12`, `/kritiskvenn del 3 <text>`), or the id a
        button carries (checked: a forged one is NotYours). A command without a number asks
        `question` (a msgid with `{usage}`), showing how to type it in the member's own words."""
        if isinstance(self.event, ActionEvent):
            return pointer_id(self.event.value), ""
        number, rest = leading_number(self.args)
        if number is None:
            name = self.event.name if isinstance(self.event, CommandEvent) else ""
            raise UserError(question, usage=self.bot.router.typed(name, self.subcommand, usage, self.translator))
        return number, rest

    # -- what a button or form points at ------------------------------------------------------
    async def in_network(
        self, model: type[Owned], raw_id: str, visible: Callable[[Owned], bool] | None = None
    ) -> Owned:
        """The object `raw_id` (from a button or form) names, when it lies in the clicker's
        network and, with `visible`, is one this member may act on; anything else is NotYours."""
        object_id = pointer_id(raw_id)
        async with self.bot.db.read() as s:
            found = await s.get(model, object_id)
        if found is None or self.network is None or found.network_id != self.network.id:
            raise NotYours()
        if visible is not None and not visible(found):
            raise NotYours()
        return found

    async def network_member(self, raw_id: str) -> Member:
        """A member a button names (a colleague to book), only from the clicker's own network."""
        from storage.models.core import Member

        return await self.in_network(Member, raw_id)


class MemberContext(Context[E]):
    """What a member-only handler (access "member" or "leader") gets: the core has found the member
    and their network before the handler runs, so both are there and need no checking."""

    if TYPE_CHECKING:
        network: Network
        member: Member

    @classmethod
    def of(cls, ctx: Context[E]) -> MemberContext[E]:
        if ctx.member is None or ctx.network is None:
            raise RuntimeError("a member-only handler was reached without a member")
        found: MemberContext[E] = cls.__new__(cls)
        found.__dict__.update(ctx.__dict__)
        return found
