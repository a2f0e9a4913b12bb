"""Discord interactions and messages → core events, in one place.

Identity: a Discord user id is the same in every server, so members are keyed by the user id in
one scope (`users`), and the same person can belong to the networks of several servers; direct
messages then find their networks by membership. A conversation's workspace is its server (guild);
a thread is the parent channel with a `thread_id`, so a thread belongs to the channel's network.
"""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.commands import command_line
from bot.events import ActionEvent, CommandEvent, Conversation, FormSubmitted, MessageEvent, User
from bot.router import Router

PLATFORM = "discord"
USER_SCOPE = "users"
DM_SCOPE = "dm"
THREAD_TYPES = {10, 11, 12}


def is_admin(permissions: discord.Permissions | None) -> bool:
    """The Manage Server permission (administrators have it implicitly)."""
    return bool(permissions and (permissions.manage_guild or permissions.administrator))


def user_of(author: discord.abc.User, *, permissions: discord.Permissions | None = None) -> User:
    return User(
        PLATFORM,
        USER_SCOPE,
        str(author.id),
        author.display_name or author.name,
        is_bot=author.bot,
        is_workspace_admin=is_admin(permissions),
    )


def conversation_of(guild_id: int | None, channel: Any, channel_id: int | None) -> Conversation:
    """The core conversation for a channel (a thread is its parent channel plus `thread_id`)."""
    if guild_id is None:
        return Conversation(PLATFORM, DM_SCOPE, str(channel_id or getattr(channel, "id", None) or ""), is_direct=True)
    channel_type = getattr(getattr(channel, "type", None), "value", None)
    parent_id = getattr(channel, "parent_id", None)
    if channel_type in THREAD_TYPES and parent_id:
        return Conversation(PLATFORM, str(guild_id), str(parent_id), thread_id=str(channel_id))
    return Conversation(PLATFORM, str(guild_id), str(channel_id))


def channel_id_of(conversation: Conversation) -> str:
    """The Discord channel a conversation posts into (the thread when there is one)."""
    return conversation.thread_id or conversation.id


def interaction_user(interaction: discord.Interaction) -> User:
    permissions = interaction.permissions if interaction.guild_id else None
    return user_of(interaction.user, permissions=permissions)


def interaction_conversation(interaction: discord.Interaction) -> Conversation:
    return conversation_of(interaction.guild_id, interaction.channel, interaction.channel_id)


def command_event(interaction: discord.Interaction, router: Router) -> CommandEvent:
    name, args = command_line(dict(interaction.data or {}), router)
    return CommandEvent(
        user=interaction_user(interaction),
        conversation=interaction_conversation(interaction),
        name=name,
        args=args,
        platform_ref=interaction,
    )


def action_event(interaction: discord.Interaction, action_id: str, value: str) -> ActionEvent:
    message = interaction.message
    return ActionEvent(
        user=interaction_user(interaction),
        conversation=interaction_conversation(interaction),
        action_id=action_id,
        value=value,
        message_id=str(message.id) if message else "",
        platform_ref=interaction,
    )


def form_event(
    interaction: discord.Interaction, conversation: Conversation, form_id: str, values: dict[str, str], state: str
) -> FormSubmitted:
    return FormSubmitted(
        user=interaction_user(interaction),
        conversation=conversation,
        form_id=form_id,
        values=values,
        state=state,
        platform_ref=interaction,
    )


def message_event(message: discord.Message, bot_user_id: int | None, *, channel: Any = None) -> MessageEvent:
    """`channel` replaces the message's channel when the client had not cached it (a thread it
    learnt of over REST)."""
    guild_id = message.guild.id if message.guild else getattr(message, "guild_id", None)
    permissions = None
    if message.guild is not None and isinstance(message.author, discord.Member):
        permissions = message.author.guild_permissions
    return MessageEvent(
        user=user_of(message.author, permissions=permissions),
        conversation=conversation_of(guild_id, channel or message.channel, message.channel.id),
        text=message.content,
        message_id=str(message.id),
        mentions_bot=bot_user_id is not None and any(u.id == bot_user_id for u in message.mentions),
        platform_ref=message,
    )
