"""The seam between the core and a chat platform.

An adapter turns native payloads into `bot.events` and calls `Bot.dispatch`; the core answers
through the `Adapter` protocol below. Nothing else about a platform is visible to features.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.events import Conversation, Event, User
from bot.messages import Form, Message

if TYPE_CHECKING:
    from bot.router import CommandGroup

DestinationKind = Literal["channel", "ephemeral", "dm", "group"]


@dataclass(frozen=True)
class Destination:
    """Where a message goes.

    - "channel": everyone in `conversation` sees it (in its thread when it has one);
    - "ephemeral": only `user` sees it, in `conversation`;
    - "dm": a direct message to `user`;
    - "group": `conversation` is a group conversation from `Adapter.open_group`.
    """

    kind: DestinationKind
    conversation: Conversation | None = None
    user: User | None = None

    @property
    def platform(self) -> str:
        source = self.conversation or self.user
        assert source is not None, "a destination needs a conversation or a user"
        return source.platform

    def describe(self) -> str:
        """A stable text key for idempotency and logs (no display names)."""
        conv = self.conversation
        where = f"{conv.key}/{conv.thread_id or ''}" if conv else ""
        who = self.user.key if self.user else ""
        return f"{self.kind}|{where}|{who}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "conversation": self.conversation.to_dict() if self.conversation else None,
            "user": _user_to_dict(self.user),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Destination:
        conv = data.get("conversation")
        user = data.get("user")
        return Destination(
            kind=data["kind"],
            conversation=Conversation.from_dict(conv) if conv else None,
            user=User(**user) if user else None,
        )

    @staticmethod
    def channel(conversation: Conversation) -> Destination:
        return Destination("channel", conversation=conversation)

    @staticmethod
    def dm(user: User) -> Destination:
        return Destination("dm", user=user)

    @staticmethod
    def ephemeral(conversation: Conversation, user: User) -> Destination:
        return Destination("ephemeral", conversation=conversation, user=user)

    @staticmethod
    def group(conversation: Conversation) -> Destination:
        return Destination("group", conversation=conversation)


def _user_to_dict(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "platform": user.platform,
        "workspace_id": user.workspace_id,
        "id": user.id,
        "display_name": user.display_name,
    }


@dataclass(frozen=True)
class SentMessage:
    """A handle to a message the bot sent, for updates and for starting a thread under it."""

    conversation: Conversation
    message_id: str
    # The further messages a long message was split into, in order (updates change them all).
    more_ids: tuple[str, ...] = ()


# Errors that come before anything is posted (a 429 is answered instead of posting).
NOTHING_POSTED = frozenset({"rate_limited", "no_adapter"})
# Platform clocks and ours differ a little: look this much further back for an earlier copy.
CLOCK_MARGIN = timedelta(minutes=1)


class DeliveryError(Exception):
    """A platform refused or failed a delivery.

    `code` is a short platform-neutral reason ("rate_limited", "server_error", "not_in_channel",
    "channel_not_found", "archived", "forbidden", "invalid_auth", "gone", "unknown"); `retryable`
    says whether trying again later can succeed.
    """

    def __init__(self, code: str, *, retryable: bool, retry_after: float | None = None, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.detail = detail

    @property
    def may_have_posted(self) -> bool:
        """Whether the platform may have kept the message all the same (a 5xx, a cut connection):
        then it is looked for before it is sent again."""
        return self.code not in NOTHING_POSTED


class Adapter(Protocol):
    """What the core needs from a chat platform."""

    platform: str

    @property
    def auto_setup(self) -> bool:
        """Whether a workspace becomes a network the first time someone uses samskap in it, and
        each channel it is used in joins that network (Slack, Teams, the console). False where a
        workspace admin sets the network up with `/samskap oppsett` and channels are linked
        explicitly (Discord: most of a server's channels are not the network's)."""
        ...

    def default_subcommand(self, group: CommandGroup) -> str | None:
        """The subcommand that stands for `group`'s own use where the platform cannot run a command
        that has subcommands on its own (Discord: `/ide start`); None where it can (`/ide`).
        Help writes it after the command."""
        ...

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        """Deliver `message`; returns a handle (None for ephemeral messages that have none).

        `key` is the outbox's delivery key (empty for replies): a platform that can refuse a repeat
        or mark what it posted uses it, so that `find_sent` can recognise the message later."""
        ...

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        """The message an interrupted `send(..., key=key)` since `since` already posted, or None.

        The outbox asks before it sends again a delivery whose worker stopped mid-send. None when
        nothing was found, or when the platform needs no looking (it refuses a repeat itself)."""
        ...

    async def update(self, sent: SentMessage, message: Message) -> None:
        """Replace the content of a message the bot sent earlier, all its parts if it was split."""
        ...

    async def open_form(self, event: Event, form: Form) -> None:
        """Show `form` to the user who caused `event` (needs an interactive event)."""
        ...

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        """Open a private conversation with these users (group DM, or a private thread)."""
        ...

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        """Return the conversation for a thread under `sent` (creating it where needed)."""
        ...
