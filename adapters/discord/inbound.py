"""What arrives from Discord, turned into core events and handed to the bot.

Interactions (slash commands, button clicks, modal submissions) are handled by custom id, not by
discord.py's in-memory views, so buttons and forms keep working after a restart. While the core
handles an interaction, its `InteractionReply` answers it within Discord's 3 seconds; when the
core fails before answering, the member gets an apology with a reference and what they wrote.
Messages and member joins are dispatched as they come. Once the worker is stopping
(`taking_events` is False), nothing new is taken.
"""

from __future__ import annotations

import logging
import secrets
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import events
from adapters.discord.commands import command_line
from adapters.discord.events import PLATFORM
from adapters.discord.form_store import FormStore
from adapters.discord.forms import Forms
from adapters.discord.interaction import InteractionReply, current, translator_of
from adapters.discord.options import DiscordOptions
from adapters.discord.render import FORM_PREFIX, modal_values, parse_custom_id
from bot.adapter import DeliveryError
from bot.errors import APOLOGY
from bot.events import Conversation, Event, MemberJoinedEvent
from bot.i18n import Translator
from bot.router import Router
from bot.text import clean_text
from storage.repositories.core import Networks

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter
    from bot.core import Bot

log = logging.getLogger(__name__)

HANDLED_INTERACTIONS = (
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
)


class Inbound:
    def __init__(
        self, bot: Bot, adapter: DiscordAdapter, options: DiscordOptions, forms: Forms, store: FormStore
    ) -> None:
        self.bot = bot
        self.adapter = adapter  # what the core answers through
        self.options = options
        self.forms = forms
        self.store = store
        self._channel_kinds: dict[int, tuple[int, int | None]] = {}  # channel id → (type, parent id)
        self.taking_events = True  # False once the worker is stopping

    async def handle_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type not in HANDLED_INTERACTIONS or not self.taking_events:  # autocomplete, pings; stopping
            return
        t = self._translator(interaction)
        reply = InteractionReply(
            self.adapter.rest, interaction, events.interaction_user(interaction),
            events.interaction_conversation(interaction), done_text=t.t("Done."),
        )  # fmt: skip
        token = current.set(reply)
        reply.start(self.options.defer_after)
        try:
            event = await self._event_for(interaction, reply)
            if event is not None:
                await self.bot.dispatch(event, self.adapter)
        except Exception:
            reference = secrets.token_hex(4)
            log.exception("error %s handling a Discord %s interaction", reference, interaction.type.name)
            reply.done_text = t.t(APOLOGY, ref=reference)
            await self._give_back(reply, t, interaction)
        finally:
            await reply.finish()
            current.reset(token)

    async def _give_back(self, reply: InteractionReply, t: Translator, interaction: discord.Interaction) -> None:
        """After an error the core did not answer, the apology carries what the member wrote."""
        written = _written_in(interaction, self.bot.router)
        if not written:
            return
        try:
            await reply.say(f"{reply.done_text}\n\n{t.t('Your text, so you have it:')}\n{written}")
        except Exception:
            log.warning("could not give the text back after a Discord %s error", interaction.type.name)

    async def _event_for(self, interaction: discord.Interaction, reply: InteractionReply) -> Event | None:
        data: dict[str, Any] = dict(interaction.data or {})
        if interaction.type == discord.InteractionType.application_command:
            # In a direct message the core finds the user's network, or says where to go instead.
            return events.command_event(interaction, self.bot.router)
        if interaction.type == discord.InteractionType.component:
            custom_id = str(data.get("custom_id", ""))
            if custom_id.startswith(FORM_PREFIX):
                await self.forms.open_step(interaction, reply, custom_id)
                return None
            action = parse_custom_id(custom_id) or await self.store.button(custom_id)
            action_id, value = action or ("", "")  # an unknown button: the core says it no longer works
            return events.action_event(interaction, action_id, value)
        if interaction.type == discord.InteractionType.modal_submit:
            return await self.forms.submitted(interaction, reply, data, self._translator(interaction))
        return None

    async def handle_message(self, message: discord.Message) -> None:
        if message.author.bot or not message.content.strip() or not self.taking_events:
            return
        client_user = self.adapter.client.user
        user_id = client_user.id if client_user else None
        try:
            channel = await self._uncached_channel(message)
            await self.bot.dispatch(events.message_event(message, user_id, channel=channel), self.adapter)
        except Exception:
            log.exception("failed to handle a Discord message")

    async def handle_member_join(self, member: discord.Member) -> None:
        """Someone joined a server: welcome them in the network's first channel (needs the members intent)."""
        if member.bot or not self.taking_events:
            return
        async with self.bot.db.session() as s:
            network = await Networks(s).by_workspace(f"{PLATFORM}:{member.guild.id}")
            channels = [c for c in await Networks(s).channels(network.id) if c.platform == PLATFORM] if network else []
        if not channels:
            return
        conversation = Conversation(PLATFORM, str(member.guild.id), channels[0].channel_id)
        try:
            event = MemberJoinedEvent(user=events.user_of(member), conversation=conversation)
            await self.bot.dispatch(event, self.adapter)
        except Exception:
            log.exception("failed to welcome a new Discord member")

    async def _uncached_channel(self, message: discord.Message) -> SimpleNamespace | None:
        """What the client does not know about a message's channel (a thread it has not seen
        created), asked once over REST, so a reply in a thread is known to be in that thread."""
        channel = message.channel
        if message.guild is None or isinstance(channel, discord.Thread | discord.abc.GuildChannel):
            return None
        if channel.id not in self._channel_kinds:
            try:
                data = await self.adapter.rest.channel(str(channel.id))
            except DeliveryError:
                return None
            parent = data.get("parent_id") if data.get("type") in events.THREAD_TYPES else None
            self._channel_kinds[channel.id] = (int(data.get("type", 0)), int(parent) if parent else None)
        kind, parent_id = self._channel_kinds[channel.id]
        return SimpleNamespace(id=channel.id, type=SimpleNamespace(value=kind), parent_id=parent_id)

    def _translator(self, interaction: discord.Interaction) -> Translator:
        return translator_of(interaction, self.bot.config.language)


def _written_in(interaction: discord.Interaction, router: Router) -> str:
    """The text a member typed in a slash command or a modal, to give back."""
    data: dict[str, Any] = dict(interaction.data or {})
    texts: list[str] = []
    if interaction.type == discord.InteractionType.modal_submit:
        texts = list(modal_values(list(data.get("components") or [])).values())
    elif interaction.type == discord.InteractionType.application_command:
        try:
            texts = [command_line(data, router)[1]]
        except Exception:  # the command itself could not be read: there is nothing to give back
            return ""
    return "\n".join(clean_text(text).text for text in texts if text.strip())
