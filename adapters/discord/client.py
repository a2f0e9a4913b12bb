"""The Discord adapter: the gateway client in, the core's `Adapter` protocol out.

Interactions (slash commands, button clicks, modal submissions) and messages arrive through
discord.py's gateway client and are handled by custom id, not by in-memory views, so buttons
and forms keep working after a restart. What the core sends is rendered by `render.py` and
posted with discord.py's HTTP client (its rate-limit buckets included).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import events
from adapters.discord.commands import command_line, default_sub_name
from adapters.discord.errors import THREAD_EXISTS, UNKNOWN_CHANNEL, delivering, delivery_error
from adapters.discord.events import DM_SCOPE, PLATFORM, channel_id_of
from adapters.discord.interaction import InteractionReply, current
from adapters.discord.options import DiscordOptions
from adapters.discord.render import (
    FORM_PREFIX,
    MODAL_PREFIX,
    STASH_PREFIX,
    Payload,
    form_steps,
    modal_values,
    parse_custom_id,
    render_message,
    render_modal,
)
from adapters.discord.rest import Rest
from adapters.posted_parts import PostedParts, fingerprint
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.errors import APOLOGY
from bot.events import Conversation, Event, FormSubmitted, MemberJoinedEvent, User
from bot.i18n import N_, Translator, normalise_language, translator
from bot.messages import Form, FormField, Message
from bot.router import CommandGroup, Router
from bot.text import clean_text
from storage.repositories.core import Members, Networks
from storage.repositories.discord import Stash

if TYPE_CHECKING:
    from bot.core import Bot

log = logging.getLogger(__name__)

FORM_LIFETIME = timedelta(days=2)
HANDLED_INTERACTIONS = (
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
)
THREAD_NAME_MAX = 100


class GatewayClient(discord.Client):
    """discord.py's client, handing every interaction and message to the adapter."""

    def __init__(self, adapter: DiscordAdapter, options: DiscordOptions) -> None:
        # samskap never joins a voice channel: discord.py's warnings that its voice libraries are
        # missing would be two lines of noise at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=options.intents(),
            max_ratelimit_timeout=options.max_ratelimit_timeout,
            guild_ready_timeout=options.guild_ready_timeout,
        )
        self.adapter = adapter

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.adapter.handle_interaction(interaction)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.handle_message(message)

    async def on_member_join(self, member: discord.Member) -> None:
        await self.adapter.handle_member_join(member)


class DiscordAdapter:
    platform = PLATFORM
    auto_setup = False  # a server admin runs /samskap oppsett; channels are linked one by one

    def __init__(self, bot: Bot, options: DiscordOptions) -> None:
        self.bot = bot
        self.options = options
        self.client = GatewayClient(self, options)
        self._dm_channels: dict[str, str] = {}
        self._channel_kinds: dict[int, tuple[int, int | None]] = {}  # channel id → (type, parent id)
        # Parts of a split message already posted, so a retry continues instead of repeating.
        self._progress = PostedParts()
        self.taking_events = True  # False once the worker is stopping

    @property
    def rest(self) -> Rest:
        return Rest(self.client.http)

    # -- inbound --------------------------------------------------------------------------------
    async def handle_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type not in HANDLED_INTERACTIONS or not self.taking_events:  # autocomplete, pings; stopping
            return
        t = self._translator(interaction)
        reply = InteractionReply(
            self.rest, interaction, events.interaction_user(interaction), events.interaction_conversation(interaction),
            done_text=t.t("Done."),
        )  # fmt: skip
        token = current.set(reply)
        reply.start(self.options.defer_after)
        try:
            event = await self._event_for(interaction, reply)
            if event is not None:
                await self.bot.dispatch(event, self)
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
            await self._say(reply, f"{reply.done_text}\n\n{t.t('Your text, so you have it:')}\n{written}")
        except Exception:
            log.warning("could not give the text back after a Discord %s error", interaction.type.name)

    async def _event_for(self, interaction: discord.Interaction, reply: InteractionReply) -> Event | None:
        data: dict[str, Any] = dict(interaction.data or {})
        if interaction.type == discord.InteractionType.application_command:
            event = events.command_event(interaction, self.bot.router)
            if interaction.guild_id is not None:
                return event
            refusal = await self._refusal_in_direct_message(event.name, event.args, event.user)
            if refusal:
                await self._say(reply, self._translator(interaction).t(refusal))
                return None
            return event
        if interaction.type == discord.InteractionType.component:
            custom_id = str(data.get("custom_id", ""))
            if custom_id.startswith(FORM_PREFIX):
                await self._open_stored_form(interaction, reply, custom_id)
                return None
            action = parse_custom_id(custom_id) or await self._stored_button(custom_id)
            action_id, value = action or ("", "")  # an unknown button: the core says it no longer works
            return events.action_event(interaction, action_id, value)
        if interaction.type == discord.InteractionType.modal_submit:
            return await self._submitted_form(interaction, reply, data)
        return None

    async def _refusal_in_direct_message(self, name: str, args: str, user: User) -> str | None:
        """Why a command cannot run in a direct message (it needs a server), or None.

        The core would refuse the same commands (a direct message has no server to be an admin of,
        and its network is the user's first membership); this says where to go instead."""
        found = self.bot.router.match_command(name, args)
        if found is None or found.route.access == "anyone":
            return None
        if found.route.access == "admin":
            return N_("Run this command in a channel on your server: it sets up that server's network.")
        async with self.bot.db.session() as s:
            if await Members(s).first_membership(user) is not None:
                return None
        return N_("In direct messages I only know you once you have joined a network. "
                  "Join in your server's channel first: /samskap bli-med <your school>.")  # fmt: skip

    async def handle_message(self, message: discord.Message) -> None:
        if message.author.bot or not message.content.strip() or not self.taking_events:
            return
        user_id = self.client.user.id if self.client.user else None
        try:
            channel = await self._uncached_channel(message)
            await self.bot.dispatch(events.message_event(message, user_id, channel=channel), self)
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
            await self.bot.dispatch(MemberJoinedEvent(user=events.user_of(member), conversation=conversation), self)
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
                data = await self.rest.channel(str(channel.id))
            except DeliveryError:
                return None
            parent = data.get("parent_id") if data.get("type") in events.THREAD_TYPES else None
            self._channel_kinds[channel.id] = (int(data.get("type", 0)), int(parent) if parent else None)
        kind, parent_id = self._channel_kinds[channel.id]
        return SimpleNamespace(id=channel.id, type=SimpleNamespace(value=kind), parent_id=parent_id)

    def default_subcommand(self, group: CommandGroup) -> str | None:
        """How help names a command's own use: Discord runs it through a subcommand (`/ide start`)."""
        return default_sub_name(group) if group.subcommands else None

    def _translator(self, interaction: discord.Interaction) -> Translator:
        language = normalise_language(str(interaction.locale.value)) or self.bot.config.language
        return translator(language)

    async def _say(self, reply: InteractionReply, text: str) -> None:
        destination = Destination.ephemeral(reply.conversation, reply.user)
        await reply.send(destination, render_message(Message.text(text)))

    # -- outbound: the Adapter protocol ------------------------------------------------------------
    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        payloads = render_message(message)
        await self._store_buttons(payloads)
        reply = current.get()
        if reply is not None and reply.takes(destination):
            try:
                return await reply.send(destination, payloads)
            except DeliveryError as error:
                if reply.state != "expired":
                    raise
                log.info("a Discord interaction expired (%s); replying another way", error.code)
        if destination.kind == "ephemeral":
            # Only an interaction can answer privately in a channel; otherwise a DM is private.
            assert destination.user is not None
            destination = Destination.dm(destination.user)
        if destination.kind == "dm":
            assert destination.user is not None
            channel_id = await self._dm_channel(destination.user.id)
            conversation = Conversation(PLATFORM, DM_SCOPE, channel_id, is_direct=True)
        else:
            assert destination.conversation is not None
            conversation = destination.conversation
            channel_id = channel_id_of(conversation)
        identity = fingerprint(destination, message)
        # The outbox's key names the delivery, whichever worker sends it: Discord then refuses a
        # second worker's repeat of a message the first one posted before it stopped.
        nonce = hashlib.sha256(f"delivery:{key}".encode()).hexdigest() if key else ""
        try:
            message_ids = await self._post_all(channel_id, identity, payloads, nonce)
        except DeliveryError as error:
            if not (error.code == "gone" and error.detail == str(UNKNOWN_CHANNEL) and _under_message(conversation)):
                raise
            # The core addresses a message's thread by the message's id (as on Slack); on Discord
            # that thread exists only once it is created, and then has the message's id.
            await self._thread_under(conversation, message)
            message_ids = await self._post_all(channel_id, identity, payloads, nonce)
        return SentMessage(conversation, message_ids[0], tuple(message_ids[1:]))

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        """Nothing to look for: `send` with the same key gets Discord's first message back (its nonce)."""
        return None

    async def _thread_under(self, conversation: Conversation, message: Message) -> None:
        assert conversation.thread_id is not None
        name = message.summary or message.plain_text()
        try:
            parent = await self.rest.message(conversation.id, conversation.thread_id)
            name = parent.get("content") or next((e.get("title", "") for e in parent.get("embeds", [])), "") or name
        except DeliveryError as error:
            if error.code != "gone":
                raise
        await self.start_thread(SentMessage(conversation.without_thread(), conversation.thread_id), _thread_name(name))

    async def _post_all(self, channel_id: str, identity: str, payloads: list[Payload], nonce: str = "") -> list[str]:
        """Post the parts of one message; a retry of the same message continues where it failed.

        The nonce (the delivery's, else the content's) makes Discord itself refuse a duplicate
        posted within a few minutes, should a response be lost after the message was created."""
        nonce = nonce or identity
        with self._progress.resume(identity, keep=_retryable) as done:
            for index, payload in enumerate(payloads):
                if index < len(done):
                    continue
                data = await self.rest.post(channel_id, payload, nonce=f"{nonce[:22]}{index:03d}")
                done.append(str(data["id"]))
        return done

    async def _dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            self._dm_channels[user_id] = await self.rest.open_dm(user_id)
        return self._dm_channels[user_id]

    async def update(self, sent: SentMessage, message: Message) -> None:
        message_ids = [sent.message_id, *sent.more_ids]
        payloads = render_message(message)
        if len(payloads) > len(message_ids):  # an edit cannot add messages in between: say the rest is cut
            payloads = payloads[: len(message_ids)]
            payloads[-1].content = payloads[-1].content[:1990].rstrip() + " …"
        await self._store_buttons(payloads)
        channel_id = channel_id_of(sent.conversation)
        reply = current.get()
        if reply is None or not await reply.update(sent, payloads[0]):
            await self.rest.edit(channel_id, sent.message_id, payloads[0])
        for message_id, payload in zip(message_ids[1:], payloads[1:], strict=False):
            await self.rest.edit(channel_id, message_id, payload)
        for message_id in message_ids[len(payloads) :]:  # the new content needs fewer messages
            try:
                await self.rest.delete(channel_id, message_id)
            except DeliveryError as error:
                if error.code != "gone":
                    raise

    async def open_form(self, event: Event, form: Form) -> None:
        key = secrets.token_urlsafe(12)
        await self._store_form(key, event.user.id, form, event.conversation, {})
        reply = current.get()
        if reply is not None and reply.interaction is event.platform_ref and reply.can_open_modal:
            steps = len(form_steps(form))
            if await reply.open_modal(render_modal(form, f"{MODAL_PREFIX}{key}|0", 0, steps)):
                return
        # No modal can open here (a message, a deferred or submitted interaction): offer a button.
        t = self.bot.translator_for()
        if reply is not None and reply.interaction is event.platform_ref:
            t = self._translator(reply.interaction)
        payloads = [_form_button(form.title, t.t("Open the form"), f"{FORM_PREFIX}{key}|0")]
        destination = Destination.ephemeral(event.conversation, event.user)
        if reply is not None and reply.takes(destination):
            await reply.send(destination, payloads)
            return
        channel_id = await self._dm_channel(event.user.id)
        await self._post_all(channel_id, f"form:{key}", payloads)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        conversation = sent.conversation
        if conversation.thread_id or conversation.is_direct:  # no threads in threads or DMs
            return conversation
        try:
            thread_id = await self.rest.thread_from_message(conversation.id, sent.message_id, _thread_name(name))
        except DeliveryError as error:
            cause = error.__cause__
            if isinstance(cause, discord.HTTPException) and cause.code == THREAD_EXISTS:
                return conversation.in_thread(sent.message_id)  # a message's thread has the message's id
            raise
        return conversation.in_thread(thread_id)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        """Discord has no group DMs for bots: a private thread in the network's channel instead."""
        channel = await self._shared_channel(users)
        if channel is None:
            raise DeliveryError("channel_not_found", retryable=False, detail="no channel linked to a shared network")
        guild_id, channel_id = channel
        thread_id = await self.rest.private_thread(channel_id, (topic or "samskap")[:THREAD_NAME_MAX])
        for user in users:
            await self.rest.add_thread_member(thread_id, user.id)
        return Conversation(PLATFORM, guild_id, channel_id, thread_id=thread_id)

    async def _shared_channel(self, users: list[User]) -> tuple[str, str] | None:
        async with self.bot.db.session() as s:
            shared: set[int] | None = None
            for user in users:
                ids = {m.network_id for m in await Members(s).networks_of(user)}
                shared = ids if shared is None else shared & ids
            for network_id in sorted(shared or ()):
                for channel in await Networks(s).channels(network_id):
                    if channel.platform == PLATFORM:
                        return channel.workspace_id, channel.channel_id
        return None

    # -- stored buttons and forms ----------------------------------------------------------------
    async def _store_buttons(self, payloads: list[Payload]) -> None:
        entries = {key: pair for payload in payloads for key, pair in payload.stash.items()}
        if not entries:
            return
        async with self.bot.db.session() as s:
            for custom_id, (action_id, value) in entries.items():
                key = custom_id[len(STASH_PREFIX) :]
                await Stash(s).put(key, "button", {"action_id": action_id, "value": value}, self.bot.clock.now())

    async def _stored_button(self, custom_id: str) -> tuple[str, str] | None:
        if not custom_id.startswith(STASH_PREFIX):
            return None
        async with self.bot.db.session() as s:
            row = await Stash(s).get(custom_id[len(STASH_PREFIX) :], "button")
            return (row.data["action_id"], row.data["value"]) if row else None

    async def _store_form(
        self, key: str, user_id: str, form: Form, conversation: Conversation, values: dict[str, str]
    ) -> None:
        now = self.bot.clock.now()
        data = {"form": asdict(form), "conversation": conversation.to_dict(), "values": values}
        async with self.bot.db.session() as s:
            await Stash(s).remove_forms_older_than(now - FORM_LIFETIME)
            await Stash(s).put(key, "form", data, now, user_id=user_id)

    async def _load_form(self, key: str, user_id: str) -> tuple[Form, Conversation, dict[str, str]] | None:
        async with self.bot.db.session() as s:
            row = await Stash(s).get(key, "form")
            if row is None or row.user_id != user_id:
                return None
            data = row.data
        return _form_from_dict(data["form"]), Conversation.from_dict(data["conversation"]), dict(data["values"])

    async def _open_stored_form(
        self, interaction: discord.Interaction, reply: InteractionReply, custom_id: str
    ) -> None:
        key, _, step_text = custom_id[len(FORM_PREFIX) :].partition("|")
        stored = await self._load_form(key, str(interaction.user.id))
        step = _form_step(step_text, stored[0]) if stored is not None else None
        if stored is None or step is None:
            await self._say(reply, self._translator(interaction).t(
                "This form is no longer open. Run the command again to get a new one."))  # fmt: skip
            return
        form = stored[0]
        await reply.open_modal(render_modal(form, f"{MODAL_PREFIX}{key}|{step}", step, len(form_steps(form))))

    async def _submitted_form(
        self, interaction: discord.Interaction, reply: InteractionReply, data: dict[str, Any]
    ) -> Event | None:
        key, _, step_text = str(data.get("custom_id", ""))[len(MODAL_PREFIX) :].partition("|")
        stored = await self._load_form(key, str(interaction.user.id))
        t = self._translator(interaction)
        step = _form_step(step_text, stored[0]) if stored is not None else None
        if stored is None or step is None:
            await self._say(reply, t.t("This form is no longer open. Run the command again to get a new one."))
            return None
        form, conversation, values = stored
        values.update(modal_values(list(data.get("components") or [])))
        steps = len(form_steps(form))
        if step + 1 < steps:  # a modal cannot open another: a button continues with the next part
            # What is kept between steps passes the core's cleaning and student-data guard first.
            partial = events.form_event(interaction, conversation, form.form_id, values, form.state)
            checked = await self.bot.screen(partial, self)
            if not isinstance(checked, FormSubmitted):
                return None
            values = dict(checked.values)
            await self._store_form(key, str(interaction.user.id), form, conversation, values)
            label = t.t("Continue ({step}/{steps})", step=step + 2, steps=steps)
            payload = _form_button(t.t("Saved so far. Continue with the next part of the form."), label,
                                   f"{FORM_PREFIX}{key}|{step + 1}")  # fmt: skip
            await reply.send(Destination.ephemeral(reply.conversation, reply.user), [payload])
            return None
        async with self.bot.db.session() as s:
            await Stash(s).remove(key)
        return events.form_event(interaction, conversation, form.form_id, values, form.state)


def _form_step(text: str, form: Form) -> int | None:
    """The step a form button or modal names (`f|key|<step>`): one the form has, or None."""
    if not text:
        return 0
    if text.isascii() and text.isdigit() and len(text) <= 3 and int(text) < len(form_steps(form)):
        return int(text)
    return None


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


def _retryable(error: BaseException) -> bool:
    return isinstance(error, DeliveryError) and error.retryable


def _under_message(conversation: Conversation) -> bool:
    return bool(conversation.thread_id) and not conversation.is_direct


def _thread_name(text: str) -> str:
    """A thread name from a message: its first line without markdown, within Discord's 100 characters."""
    line = next((part for part in text.splitlines() if part.strip()), "samskap")
    line = line.replace("**", "").replace("*", "").replace("_", " ").strip(" #-") or "samskap"
    return line if len(line) <= THREAD_NAME_MAX else line[: THREAD_NAME_MAX - 1].rstrip() + "…"


def _form_button(text: str, label: str, custom_id: str) -> Payload:
    button = {"type": 2, "style": 1, "label": label[:80], "custom_id": custom_id}
    return Payload(content=text, components=[{"type": 1, "components": [button]}])


def _form_from_dict(data: dict[str, Any]) -> Form:
    fields = tuple(FormField(**{**f, "choices": tuple(tuple(c) for c in f.get("choices", ()))}) for f in data["fields"])
    return Form(**{**data, "fields": fields})


__all__ = ["DiscordAdapter", "GatewayClient", "delivering", "delivery_error"]
