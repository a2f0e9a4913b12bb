"""The Teams adapter: activities in through the Agents SDK's CloudAdapter, the core's `Adapter` out.

The SDK authenticates and parses each request to `/api/messages` and calls `on_turn`; the
activity becomes a core event (events.py). Everything the core sends goes through the Bot
Connector at the service URL remembered for the tenant (connector.py), so a reply during a turn
and a reminder weeks later take the same way. Teams has no messages that only one person sees
in a channel: those go to the person's 1:1 chat with the bot, created when needed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext

from adapters.teams import events, files
from adapters.teams.connector import Connector
from adapters.teams.events import PLATFORM, address, conversation_of, is_channel, person_id, tenant_of, user_of
from adapters.teams.render import FORM_KEY, form_values, render_form, render_message, render_parts, sent_form
from bot.adapter import DeliveryError, Destination, SentMessage
from bot.events import CommandEvent, Conversation, Event, FormSubmitted, MemberJoinedEvent, User
from bot.i18n import Translator
from bot.messages import Attachment, Button, Buttons, Form, FormField, Message, Text
from bot.router import CommandGroup
from storage.repositories.core import Members, Networks
from storage.repositories.teams import People, Stash, Tenants

if TYPE_CHECKING:
    from bot.core import Bot

log = logging.getLogger(__name__)

STASH_LIFETIME = timedelta(days=2)  # forms and files wait this long for their person


class TeamsAdapter:
    platform = PLATFORM
    auto_setup = True  # a tenant becomes a network on first use, as a Slack workspace does

    def __init__(self, bot: Bot, connector: Connector, tenants: frozenset[str] = frozenset()) -> None:
        self.bot = bot
        self.connector = connector
        self.tenants = tenants  # the tenants answered (empty: any)
        # What was last stored, so an activity writes to the database only when something changed.
        self._tenants: dict[str, tuple[str, str]] = {}
        self._people: dict[tuple[str, str], tuple[str, str]] = {}

    # -- inbound: the SDK's Agent protocol --------------------------------------------------------
    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        try:
            if not tenant_of(activity) or activity.from_property is None:
                return  # no tenant and no sender (a probe): nobody to answer
            if self.tenants and tenant_of(activity) not in self.tenants:
                log.info("teams: ignored an activity from a tenant samskap does not serve")
                return
            await self._remember(activity)
            if activity.type == "message":
                await self._on_message(activity)
            elif activity.type == "conversationUpdate":
                await self._on_members_added(activity)
            elif activity.type == "invoke" and activity.name == files.CONSENT_INVOKE:
                await self._on_file_consent(activity)
        except Exception:
            log.exception("failed to handle a Teams %s activity", activity.type)

    async def _on_message(self, activity: Activity) -> None:
        value = activity.value if isinstance(activity.value, dict) else {}
        if isinstance(value.get(FORM_KEY), str):
            event: Event | None = await self._submitted_form(activity, value)
        else:
            people: dict[str, str] = {}
            if mentioned := events.mentioned_people(activity):
                async with self.bot.db.read() as s:
                    people = await People(s).by_teams_ids(tenant_of(activity), mentioned)
            event = events.event_of(activity, self.bot.router, people)
        if event is not None:
            await self.bot.dispatch(event, self)

    async def _on_file_consent(self, activity: Activity) -> None:
        """The person allowed (or declined) a file offered in their 1:1 chat."""
        value = activity.value if isinstance(activity.value, dict) else {}
        key, user = files.file_key(value), user_of(activity)
        async with self.bot.db.read() as s:
            row = await Stash(s).get(key, "file") if key else None
            stored = dict(row.data) if row is not None and row.user_id == user.id else None
        if stored is None or key is None:
            return  # someone else's offer, or one answered already
        conversation = conversation_of(activity)
        if value.get("action") == "accept":
            upload_info = value.get("uploadInfo") or {}
            await files.upload(str(upload_info.get("uploadUrl", "")), str(stored["content"]).encode())
            await self._post(conversation, files.file_info_activity(upload_info))
        async with self.bot.db.session() as s:  # taken or declined: a failed upload can be tried again
            await Stash(s).remove(key)
        if activity.reply_to_id:  # the offer is answered: its card goes
            service_url, _ = await self._tenant(conversation.workspace_id)
            try:
                await self.connector.delete(service_url, activity.conversation.id, activity.reply_to_id)
            except DeliveryError as error:
                log.info("teams: could not remove a file offer (%s)", error.code)

    async def _on_members_added(self, activity: Activity) -> None:
        """The bot was added (a welcome from whoever added it), or people joined a team or chat."""
        bot_id = activity.recipient.id if activity.recipient else ""
        conversation = conversation_of(activity).without_thread()
        tenant = tenant_of(activity)
        for member in activity.members_added or []:
            if member.id == bot_id:
                user = user_of(activity)
            else:
                name = member.name or await self._member_name(activity, str(member.id))
                user = User(PLATFORM, tenant, person_id(member), name)
                await self._remember_person(tenant, user.id, str(member.id), "")
            if member.id == bot_id and _personal(conversation):
                # Added for oneself: the 1:1 chat opens with what samskap can do (its help).
                await self.bot.dispatch(CommandEvent(user=user, conversation=conversation, name="samskap"), self)
                continue
            await self.bot.dispatch(MemberJoinedEvent(user=user, conversation=conversation), self)
            if member.id == bot_id and is_channel(conversation.id):
                await self._welcome_team(conversation)

    async def _welcome_team(self, conversation: Conversation) -> None:
        """Added to a team: say in its channel what samskap is, in the network's language."""
        async with self.bot.db.read() as s:
            network = await Networks(s).by_workspace(f"{PLATFORM}:{conversation.workspace_id}")
        t = self.bot.translator_for(None, network)
        text = t.t(
            "Hi everyone! I am samskap. I help {network} keep learning between our meetings. Join with "
            "@samskap bli-med <your school>, share an idea with @samskap ide <your idea>, and write "
            "@samskap to see everything I can do.", network=network.name if network else "samskap",
        )  # fmt: skip
        welcome = Message.of(Text(text), Buttons((Button(t.t("Join"), "membership.join", style="primary"),)))
        await self._post(conversation, render_message(welcome))

    async def _member_name(self, activity: Activity, teams_id: str) -> str:
        try:
            return await self.connector.member_name(str(activity.service_url), activity.conversation.id, teams_id)
        except DeliveryError:
            return ""

    async def _remember(self, activity: Activity) -> None:
        """Keep where the tenant is answered and how to reach the sender, for later messages."""
        tenant, now = tenant_of(activity), self.bot.clock.now()
        place = (str(activity.service_url or ""), str(activity.recipient.id if activity.recipient else ""))
        sender = activity.from_property
        personal = activity.conversation.id if activity.conversation.conversation_type in ("personal", None) else ""
        person_key = (tenant, person_id(sender))
        known = self._people.get(person_key)
        person = (str(sender.id), personal or (known[1] if known else ""))
        if self._tenants.get(tenant) == place and known == person:
            return
        async with self.bot.db.session() as s:
            if self._tenants.get(tenant) != place and all(place):
                await Tenants(s).remember(tenant, place[0], place[1], now)
        self._tenants[tenant] = place
        if known != person and not sender.id.startswith("28:"):  # "28:" is a bot
            await self._remember_person(tenant, person_key[1], person[0], person[1])

    async def _remember_person(self, tenant: str, user_id: str, teams_id: str, conversation_id: str) -> None:
        async with self.bot.db.session() as s:
            await People(s).remember(tenant, user_id, teams_id, conversation_id, self.bot.clock.now())
            row = await People(s).get(tenant, user_id)
            if row is not None:
                self._people[(tenant, user_id)] = (row.teams_id, row.conversation_id)

    # -- outbound: the Adapter protocol ------------------------------------------------------------
    def default_subcommand(self, group: CommandGroup) -> str | None:
        return None  # a command with subcommands runs on its own too: `/ide`

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        conversation = await self._target(destination)
        ids = [await self._post(conversation, activity) for activity in render_parts(message)]
        owner = destination.user if destination.kind in ("dm", "ephemeral") else None
        if owner is not None and _personal(conversation):
            for attachment in (p for p in message.parts if isinstance(p, Attachment)):
                await self._offer_file(conversation, owner, attachment)
        return SentMessage(conversation, ids[0], more_ids=tuple(ids[1:]))

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        """The Bot Connector can neither refuse a repeat nor list what the bot posted: a message a
        stopped worker had already posted is posted again."""
        return None

    async def _offer_file(self, conversation: Conversation, owner: User, attachment: Attachment) -> None:
        key = secrets.token_urlsafe(12)
        data = {"filename": attachment.filename, "content": attachment.content, "mime_type": attachment.mime_type}
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            await Stash(s).remove_older_than(now - STASH_LIFETIME)
            await Stash(s).put(key, "file", owner.id, data, now)
        await self._post(conversation, files.consent_activity(attachment, key))

    async def _target(self, destination: Destination) -> Conversation:
        conversation = destination.conversation
        if destination.kind in ("channel", "group") and conversation is not None:
            return conversation
        if destination.kind == "ephemeral" and conversation is not None and _personal(conversation):
            return conversation  # in a group chat, what is for one person goes to their 1:1 chat
        assert destination.user is not None
        return await self._personal_chat(destination.user)

    async def _post(self, conversation: Conversation, activity: dict[str, Any]) -> str:
        service_url, _ = await self._tenant(conversation.workspace_id)
        return await self.connector.send(service_url, address(conversation), activity)

    async def _tenant(self, tenant_id: str) -> tuple[str, str]:
        if tenant_id not in self._tenants:
            async with self.bot.db.read() as s:
                row = await Tenants(s).get(tenant_id)
            if row is None:
                raise DeliveryError("channel_not_found", retryable=False, detail="no service URL for this tenant yet")
            self._tenants[tenant_id] = (row.service_url, row.bot_id)
        return self._tenants[tenant_id]

    async def _personal_chat(self, user: User) -> Conversation:
        """The 1:1 chat with `user`, created through the Bot Connector the first time."""
        tenant = user.workspace_id
        known = self._people.get((tenant, user.id))
        if known is None:
            async with self.bot.db.read() as s:
                row = await People(s).get(tenant, user.id)
            known = (row.teams_id, row.conversation_id) if row else (user.id, "")
        teams_id, conversation_id = known
        if not conversation_id:
            service_url, bot_id = await self._tenant(tenant)
            conversation_id = await self.connector.personal_chat(service_url, tenant, bot_id, teams_id)
            async with self.bot.db.session() as s:
                await People(s).remember(tenant, user.id, teams_id, conversation_id, self.bot.clock.now())
            self._people[(tenant, user.id)] = (teams_id, conversation_id)
        return Conversation(PLATFORM, tenant, conversation_id, is_direct=True)

    async def update(self, sent: SentMessage, message: Message) -> None:
        """Every part of a split message is replaced; parts no longer needed are deleted. A message that
        now needs more parts than it was sent in gets its extra text in its last part."""
        service_url, _ = await self._tenant(sent.conversation.workspace_id)
        ids, activities = [sent.message_id, *sent.more_ids], render_parts(message)
        if len(activities) > len(ids):  # no message can be put between those already posted
            activities = [*activities[: len(ids) - 1], _joined(activities[len(ids) - 1 :])]
        conversation = address(sent.conversation)
        for message_id, activity in zip(ids, activities, strict=False):
            await self.connector.update(service_url, conversation, message_id, activity)
        for message_id in ids[len(activities) :]:
            await self.connector.delete(service_url, conversation, message_id)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        """A reply chain under `sent`; chats and chains have no chains of their own."""
        conversation = sent.conversation
        if conversation.thread_id or conversation.is_direct or not is_channel(conversation.id):
            return conversation
        return conversation.in_thread(sent.message_id)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        """Bots cannot start group chats in Teams: a new post in the network's channel that
        mentions everyone, and its reply chain is the group's conversation."""
        channel = await self._shared_channel(users)
        if channel is None:
            raise DeliveryError("channel_not_found", retryable=False, detail="no channel linked to a shared network")
        mentions: list[dict[str, Any]]
        mentions = [{"type": "mention", "text": f"<at>{_at(u)}</at>",
                     "mentioned": {"id": await self._teams_id(u), "name": _at(u)}} for u in users]  # fmt: skip
        text = " ".join(m["text"] for m in mentions) + (f"\n\n**{topic}**" if topic else "")
        root = await self._post(channel, {"type": "message", "text": text, "textFormat": "markdown",
                                          "entities": mentions})  # fmt: skip
        return channel.in_thread(root)

    async def _teams_id(self, user: User) -> str:
        known = self._people.get((user.workspace_id, user.id))
        if known is None:
            async with self.bot.db.read() as s:
                row = await People(s).get(user.workspace_id, user.id)
            return row.teams_id if row else user.id
        return known[0]

    async def _shared_channel(self, users: list[User]) -> Conversation | None:
        async with self.bot.db.read() as s:
            channels = await Networks(s).channels_shared_by(users, PLATFORM)
        found = next((c for c in channels if is_channel(c.channel_id)), None)
        return Conversation(PLATFORM, found.workspace_id, found.channel_id) if found else None
        return None

    # -- forms -------------------------------------------------------------------------------------
    async def open_form(self, event: Event, form: Form) -> None:
        """The form as a card in the person's 1:1 chat (where they are already, if direct)."""
        key = secrets.token_urlsafe(12)
        now = self.bot.clock.now()
        data = {"form": asdict(form), "conversation": event.conversation.to_dict()}
        async with self.bot.db.session() as s:
            await Stash(s).remove_older_than(now - STASH_LIFETIME)
            await Stash(s).put(key, "form", event.user.id, data, now)
        t = await self._translator_of(event.user)
        conversation = await self._target(Destination.ephemeral(event.conversation, event.user))
        await self._post(conversation, render_form(form, key, t.t("Send")))

    async def _submitted_form(self, activity: Activity, value: dict[str, Any]) -> Event | None:
        user = user_of(activity)
        key = str(value[FORM_KEY])
        async with self.bot.db.read() as s:
            row = await Stash(s).get(key, "form")
            stored = (row.user_id, row.data) if row else None
        t = await self._translator_of(user)
        card_place = conversation_of(activity, card_id=activity.reply_to_id)
        if stored is None or stored[0] != user.id:
            await self._post(card_place, render_message(Message.text(
                t.t("This form is no longer open. Run the command again to get a new one."))))  # fmt: skip
            return None
        form, conversation = _form_from_dict(stored[1]["form"]), Conversation.from_dict(stored[1]["conversation"])
        async with self.bot.db.session() as s:
            if not await Stash(s).remove(key):
                return None  # pressed twice at once: the other press sends it
        if activity.reply_to_id:  # the card says it was sent, so it is not sent twice
            try:
                service_url, _ = await self._tenant(card_place.workspace_id)
                await self.connector.update(service_url, activity.conversation.id, activity.reply_to_id,
                                            sent_form(form, t.t("Sent.")))  # fmt: skip
            except DeliveryError as error:
                log.info("teams: could not mark a form as sent (%s)", error.code)
        return FormSubmitted(user=user, conversation=conversation, form_id=form.form_id,
                             values=form_values(form, value), state=form.state, platform_ref=activity)  # fmt: skip

    async def _translator_of(self, user: User) -> Translator:
        async with self.bot.db.read() as s:
            first = await Members(s).first_membership(user)
            network = await Networks(s).get(first.network_id) if first else None
        return self.bot.translator_for(first, network)

    async def close(self) -> None:
        await self.connector.close()


def _personal(conversation: Conversation) -> bool:
    """A 1:1 chat (group chats are direct conversations too, but have `19:` ids)."""
    return conversation.is_direct and not conversation.id.startswith("19:")


def _at(user: User) -> str:
    return user.display_name or "samskap"


def _form_from_dict(data: dict[str, Any]) -> Form:
    fields = tuple(FormField(**{**f, "choices": tuple(tuple(c) for c in f.get("choices", ()))}) for f in data["fields"])
    return Form(**{**data, "fields": fields})


def _joined(activities: list[dict[str, Any]]) -> dict[str, Any]:
    """Several parts as one (an update that cannot add messages): their texts or card bodies together."""
    first = activities[0]
    if "attachments" not in first:
        return {**first, "text": "\n\n".join(a.get("text", "") for a in activities)}
    body = [element for a in activities for element in a["attachments"][0]["content"]["body"]]
    card = {**first["attachments"][0]["content"], "body": body}
    return {**first, "attachments": [{**first["attachments"][0], "content": card}]}
