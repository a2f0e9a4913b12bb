"""Slack payloads → core events. Pure functions over the JSON Slack sends; no I/O.

Events from the App Home tab or a modal have no channel: they get a direct conversation with
an empty id, which the app replaces with the person's DM channel before dispatching.
"""

from __future__ import annotations

import re
from typing import Any

from adapters.slack.client import PLATFORM, SlackRef
from adapters.slack.render import original_action_id, read_form_metadata, read_form_values
from bot.events import (
    ActionEvent,
    CommandEvent,
    Conversation,
    FormSubmitted,
    MemberJoinedEvent,
    MessageEvent,
    ReactionEvent,
    User,
)

# Message subtypes that are someone writing; edits, joins, bot posts and the like are not.
_WRITTEN_SUBTYPES = {None, "", "thread_broadcast", "file_share"}
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


def plain_text(text: str) -> str:
    """Slack's markup as a person would type it. User mentions stay `<@U…>` (the core reads them)."""
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}", text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def is_direct_channel(channel_id: str, channel_name: str = "", channel_type: str = "") -> bool:
    return (
        channel_type in ("im", "mpim")
        or channel_name == "directmessage"
        or channel_name.startswith("mpdm-")
        or channel_id.startswith("D")
    )


def team_of(body: dict[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    user = body.get("user")
    return str(
        body.get("team_id")
        or (isinstance(user, dict) and user.get("team_id"))
        or (body.get("event") or {}).get("team")
        or ""
    )


def command_event(body: dict[str, Any]) -> CommandEvent:
    team = str(body.get("team_id", ""))
    channel = str(body.get("channel_id", ""))
    return CommandEvent(
        user=User(PLATFORM, team, str(body.get("user_id", "")), str(body.get("user_name", ""))),
        conversation=Conversation(
            PLATFORM, team, channel, is_direct=is_direct_channel(channel, str(body.get("channel_name", "")))
        ),
        name=str(body.get("command", "")).lstrip("/").lower(),
        args=plain_text(str(body.get("text", ""))).strip(),
        platform_ref=SlackRef(str(body.get("trigger_id", "")), str(body.get("response_url", ""))),
    )


def _user(body: dict[str, Any], team: str) -> User:
    raw = body.get("user") or {}
    return User(PLATFORM, team, str(raw.get("id", "")), str(raw.get("name") or raw.get("username") or ""))


def action_events(body: dict[str, Any]) -> list[ActionEvent]:
    """The clicked element of a `block_actions` payload as an event (Slack sends one at a time)."""
    team = team_of(body)
    container = body.get("container") or {}
    message = body.get("message") or {}
    from_home = container.get("type") == "view"
    channel = body.get("channel") or {}
    channel_id = str(channel.get("id") or container.get("channel_id") or "")
    thread = message.get("thread_ts") or container.get("thread_ts")
    if from_home or not channel_id:
        conv = Conversation(PLATFORM, team, "", is_direct=True)
    else:
        conv = Conversation(
            PLATFORM, team, channel_id, str(thread) if thread else None,
            is_direct=is_direct_channel(channel_id, str(channel.get("name", ""))),
        )  # fmt: skip
    ref = SlackRef(str(body.get("trigger_id", "")), str(body.get("response_url", "")), from_home=from_home)
    events = []
    for action in _clicked(body):
        value = action.get("value")
        if value is None and isinstance(action.get("selected_option"), dict):
            value = action["selected_option"].get("value")
        events.append(
            ActionEvent(
                user=_user(body, team),
                conversation=conv,
                platform_ref=ref,
                action_id=original_action_id(str(action.get("action_id", ""))),
                value=str(value or ""),
                message_id=str(container.get("message_ts") or message.get("ts") or ""),
            )
        )
    return events


def _clicked(body: dict[str, Any]) -> list[dict[str, Any]]:
    """One click is one action: a payload listing more is cut to the first, anything else is none."""
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[:1]
    return []


def form_event(body: dict[str, Any]) -> FormSubmitted:
    team = team_of(body)
    view = body.get("view") or {}
    state, place = read_form_metadata(str(view.get("private_metadata", "")))
    if place is None:
        conv = Conversation(PLATFORM, team, "", is_direct=True)
    else:
        conv = Conversation(PLATFORM, team, place[0], place[1], is_direct=place[2])
    # Modal inputs are what the person typed, without Slack's message markup.
    values = read_form_values((view.get("state") or {}).get("values") or {})
    return FormSubmitted(
        user=_user(body, team), conversation=conv, platform_ref=SlackRef(str(body.get("trigger_id", ""))),
        form_id=str(view.get("callback_id", "")), values=values, state=state,
    )  # fmt: skip


def message_event(body: dict[str, Any], bot_user_id: str) -> MessageEvent | None:
    """A message someone wrote (None for edits, bot posts, joins and other system messages)."""
    event = body.get("event") or {}
    if event.get("subtype") not in _WRITTEN_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return None
    if bot_user_id and event.get("user") == bot_user_id:
        return None
    team = str(event.get("team") or body.get("team_id") or "")
    channel = str(event.get("channel", ""))
    thread = event.get("thread_ts")
    raw_text = str(event.get("text", ""))
    return MessageEvent(
        user=User(PLATFORM, team, str(event["user"])),
        conversation=Conversation(
            PLATFORM, team, channel, str(thread) if thread else None,
            is_direct=is_direct_channel(channel, channel_type=str(event.get("channel_type", ""))),
        ),
        text=plain_text(raw_text),
        message_id=str(event.get("ts", "")),
        mentions_bot=bool(bot_user_id) and f"<@{bot_user_id}>" in raw_text,
    )  # fmt: skip


def joined_event(body: dict[str, Any]) -> MemberJoinedEvent:
    event = body.get("event") or {}
    team = str(event.get("team") or body.get("team_id") or "")
    channel = str(event.get("channel", ""))
    return MemberJoinedEvent(
        user=User(PLATFORM, team, str(event.get("user", ""))),
        conversation=Conversation(PLATFORM, team, channel, is_direct=is_direct_channel(channel)),
    )


def reaction_event(body: dict[str, Any]) -> ReactionEvent | None:
    """`reaction_added` / `reaction_removed` on a message (reactions on files are left out)."""
    event = body.get("event") or {}
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user"):
        return None
    team = str(event.get("team") or body.get("team_id") or "")
    channel = str(item.get("channel", ""))
    return ReactionEvent(
        user=User(PLATFORM, team, str(event["user"])),
        conversation=Conversation(PLATFORM, team, channel, is_direct=is_direct_channel(channel)),
        emoji=str(event.get("reaction", "")),
        message_id=str(item.get("ts", "")),
        added=event.get("type") != "reaction_removed",
    )
