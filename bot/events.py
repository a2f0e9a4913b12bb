"""Platform-neutral inbound events.

Adapters translate every native payload into exactly one of these; features never see a
platform object. `platform_ref` is an opaque handle the adapter needs to answer the event
(a Slack trigger id, a Discord interaction); the core only passes it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class User:
    platform: str
    workspace_id: str
    id: str
    display_name: str = ""
    is_bot: bool = False
    # True when the platform says this user may administer the workspace/guild
    # (Slack admin, Discord "Manage Server"): used for network set-up only.
    is_workspace_admin: bool = False

    @property
    def key(self) -> str:
        """Stable identity across the whole installation: platform, workspace and user id."""
        return f"{self.platform}:{self.workspace_id}:{self.id}"


@dataclass(frozen=True)
class Conversation:
    platform: str
    workspace_id: str
    id: str
    thread_id: str | None = None
    is_direct: bool = False

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace_id}:{self.id}"

    def in_thread(self, thread_id: str) -> Conversation:
        return Conversation(self.platform, self.workspace_id, self.id, thread_id, self.is_direct)

    def without_thread(self) -> Conversation:
        return Conversation(self.platform, self.workspace_id, self.id, None, self.is_direct)

    def to_dict(self) -> dict[str, Any]:
        """As stored in the database and in platform state (JSON); `from_dict` reads it back."""
        return {
            "platform": self.platform,
            "workspace_id": self.workspace_id,
            "id": self.id,
            "thread_id": self.thread_id,
            "is_direct": self.is_direct,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Conversation:
        return Conversation(**data)


@dataclass(frozen=True, kw_only=True)
class Event:
    user: User
    conversation: Conversation
    platform_ref: Any = field(default=None, compare=False, repr=False)

    def texts(self) -> list[str]:
        """Free text the user wrote in this event (checked by the privacy guard)."""
        return []


@dataclass(frozen=True, kw_only=True)
class CommandEvent(Event):
    """`/name args`: `name` is the top-level command as typed, without the slash."""

    name: str
    args: str = ""

    def texts(self) -> list[str]:
        return [self.args]


@dataclass(frozen=True, kw_only=True)
class MessageEvent(Event):
    text: str
    message_id: str = ""
    mentions_bot: bool = False

    def texts(self) -> list[str]:
        return [self.text]


@dataclass(frozen=True, kw_only=True)
class ActionEvent(Event):
    """A clicked button: `action_id` names the handler, `value` carries its argument."""

    action_id: str
    value: str = ""
    message_id: str = ""


@dataclass(frozen=True, kw_only=True)
class FormSubmitted(Event):
    form_id: str
    values: dict[str, str]
    state: str = ""

    def texts(self) -> list[str]:
        return list(self.values.values())


@dataclass(frozen=True, kw_only=True)
class ReactionEvent(Event):
    emoji: str
    message_id: str
    added: bool = True


@dataclass(frozen=True, kw_only=True)
class MemberJoinedEvent(Event):
    """Someone joined a channel the bot is in (used for a friendly welcome)."""
