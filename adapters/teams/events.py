"""Teams activities → core events, in one place.

Identity: a network is a tenant (an organisation's Microsoft 365), so every team and chat of a
municipality shares one network; a user is their Entra object id within the tenant (the adapter
keeps their Teams id, `29:…`, to open a chat with them).
A channel's reply chain is the channel with a `thread_id` (the chain's first message); a message
that starts a chain is in the channel itself, so answers meant for the channel start a new post.
Personal chats are direct conversations, and so are group chats (they are not the network's channels).
"""

from __future__ import annotations

import html
import re
from typing import Any

from microsoft_agents.activity import Activity

from adapters.teams.render import ACTION_KEY
from bot.events import ActionEvent, CommandEvent, Conversation, Event, MessageEvent, User
from bot.router import Router

PLATFORM = "teams"
CHANNEL_SUFFIXES = ("@thread.tacv2", "@thread.skype")
_TAGS = re.compile(r"<[^>]+>")


def tenant_of(activity: Activity) -> str:
    """The tenant; the channel's name for clients without one (the Bot Framework Emulator)."""
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant:
        tenant = ((_channel_data(activity).get("tenant") or {}).get("id")) or ""
    return str(tenant or (activity.channel_id if activity.channel_id != "msteams" else "") or "")


def _channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    return data.model_dump(by_alias=True) if hasattr(data, "model_dump") else {}


def user_of(activity: Activity) -> User:
    sender = activity.from_property
    return User(PLATFORM, tenant_of(activity), person_id(sender), sender.name or "")


def person_id(account: Any) -> str:
    """The Entra object id: stable, and short enough for the core (Teams' own `29:…` ids are not)."""
    return str(getattr(account, "aad_object_id", None) or account.id)


def is_channel(conversation_id: str) -> bool:
    return conversation_id.split(";", 1)[0].endswith(CHANNEL_SUFFIXES)


def conversation_of(activity: Activity, *, card_id: str | None = None) -> Conversation:
    """The core conversation; `card_id` is the message a click came from (its chain is not a thread)."""
    conv = activity.conversation
    tenant = tenant_of(activity)
    if conv.conversation_type in ("personal", "groupChat", None):  # None: the Emulator's chat
        # A group chat is no channel of the network: like a direct message, with several people.
        return Conversation(PLATFORM, tenant, conv.id, is_direct=True)
    base, _, rest = conv.id.partition(";messageid=")
    root = rest or None
    if root is not None and root in (activity.id, card_id):
        root = None
    return Conversation(PLATFORM, tenant, base, thread_id=root)


def address(conversation: Conversation) -> str:
    """The Bot Connector's conversation id: a reply chain is the channel's id with `;messageid=`."""
    if conversation.thread_id and is_channel(conversation.id):
        return f"{conversation.id};messageid={conversation.thread_id}"
    return conversation.id


def _mentions(activity: Activity) -> list[dict[str, Any]]:
    found = []
    for entity in activity.entities or []:
        data = entity.model_dump(by_alias=True) if hasattr(entity, "model_dump") else dict(entity)
        if data.get("type") == "mention" and isinstance(data.get("mentioned"), dict):
            found.append(data)
    return found


def mentioned_people(activity: Activity) -> list[str]:
    """The Teams ids of the people (not the bot) @mentioned in a message."""
    bot_id = activity.recipient.id if activity.recipient else None
    return [str(m["mentioned"].get("id")) for m in _mentions(activity) if m["mentioned"].get("id") != bot_id]


def message_text(activity: Activity, people: dict[str, str] | None = None) -> tuple[str, bool]:
    """The typed text without the bot's @mention, and whether the bot was mentioned.

    Other people's mentions become `<@id>` with the id the core knows them by (`people` maps
    Teams ids to those), or `@Name` for someone samskap has not met."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    mentioned = False
    for mention in _mentions(activity):
        who = mention["mentioned"]
        tag = str(mention.get("text") or "")
        if who.get("id") == bot_id:
            mentioned = True
            text = text.replace(tag, " ")
        elif tag:
            known = (people or {}).get(str(who.get("id")))
            name = "".join(str(who.get("name") or "").split())
            text = text.replace(tag, f"<@{known}>" if known else f"@{name}")
    plain = html.unescape(_TAGS.sub("", _keep_mentions(text))).replace("\xa0", " ")
    return plain.replace("\x00", "<@").replace("\x01", ">").strip(), mentioned


_MENTION_TOKEN = re.compile(r"<@([A-Za-z0-9_.-]+)>")


def _keep_mentions(text: str) -> str:
    """Shield `<@id>` from the tag stripping that removes Teams' other markup."""
    return _MENTION_TOKEN.sub(lambda m: f"\x00{m.group(1)}\x01", text)


def action_of(activity: Activity) -> tuple[str, str] | None:
    """The action id and value of a clicked card button, or None."""
    value = activity.value
    if isinstance(value, dict) and isinstance(value.get(ACTION_KEY), str):
        return value[ACTION_KEY], str(value.get("value") or "")
    return None


def command_of(text: str, router: Router, *, slash_only: bool = False) -> tuple[str, str] | None:
    """`ide …`, `/ide …`, or a subcommand of samskap on its own (`bli-med …`, after `@samskap`).

    With `slash_only` (where people talk with each other: reply chains, group chats) only `/ide …`
    is a command, so a sentence that happens to start with "del" or "ide" stays a message."""
    line = text.strip()
    if line.startswith("/"):
        line = line[1:]
    elif slash_only:
        return None
    name, _, args = line.partition(" ")
    name = name.strip().lower()
    if not name:
        return None
    if router.is_command(name):
        return name, args.strip()
    found = router.match_command("samskap", line)
    if found is not None and found.subcommand is not None:
        return "samskap", line
    return None


def event_of(activity: Activity, router: Router, people: dict[str, str] | None = None) -> Event | None:
    """A message activity as a click, a command or a message (form submissions are the adapter's)."""
    user = user_of(activity)
    if (action := action_of(activity)) is not None:
        card_id = activity.reply_to_id or ""
        return ActionEvent(user=user, conversation=conversation_of(activity, card_id=card_id),
                           action_id=action[0], value=action[1], message_id=card_id,
                           platform_ref=activity)  # fmt: skip
    text, mentioned = message_text(activity, people)
    if not text:
        return None
    conversation = conversation_of(activity)
    talk = conversation.thread_id is not None or activity.conversation.conversation_type == "groupChat"
    if (command := command_of(text, router, slash_only=talk)) is not None:
        return CommandEvent(user=user, conversation=conversation, name=command[0], args=command[1],
                            platform_ref=activity)  # fmt: skip
    return MessageEvent(user=user, conversation=conversation, text=text, message_id=str(activity.id or ""),
                        mentions_bot=mentioned, platform_ref=activity)  # fmt: skip
