"""The slack-bolt `AsyncApp`: native requests in, one `Bot.dispatch` per event.

Every listener acknowledges first (Slack wants an answer within three seconds) and does the
work after, in a task of its own, including the check that a request is not a repeat: that check
writes to the database, and under load an acknowledgement that waited for a write came late. bolt
answers Slack as soon as a listener returns (`process_before_response`): left to run the work
itself, it would look every 10 ms whether the listener had acknowledged yet, and under load each
look waited its turn behind everything else the bot was doing. Listeners are generic: any command,
button or form the core router knows works without code here, including features added later.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack import events as slack_events
from adapters.slack.client import PLATFORM, SlackAdapter
from adapters.slack.oauth import (
    DatabaseInstallationStore,
    DatabaseStateStore,
    erase_installer,
    export_installations,
)
from adapters.slack.once import HandledRequests, is_retry, request_key
from adapters.slack.options import BOT_SCOPES, SlackOptions
from adapters.slack.render import render_home
from adapters.slack.replies import InteractionReplies
from adapters.slack.web_api import web_client
from bot.adapter import DeliveryError
from bot.core import Bot
from bot.events import Conversation, Event, MessageEvent, User
from bot.messages import Message, Text
from storage.repositories.core import Members
from storage.secrets import TokenCipher

log = logging.getLogger(__name__)

ANY = re.compile(r".*")


class _IgnoreEnvTokenWarning(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class _NoRequestBodies(logging.Filter):
    """bolt writes whole request bodies into a few messages (a failed signature check, a middleware
    that did not answer): keep its words, drop the body. Requests are checked before bolt sees them
    (`adapters.slack.signing`); this is for any that still get this far."""

    WORDS = ("Invalid request signature detected", "without providing a response for the request")

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        for words in self.WORDS:
            if words in message:
                record.msg, record.args = message[: message.index(words) + len(words)], None
        return True


_SEEN_LIMIT = 2000
# Calls to Slack under way at once (Web API and response_url answers), about one for each event
# being handled: with aiohttp's default of 100, answers queued for a connection under load. Well
# below the 1,024 open files a service gets by default, which incoming requests share.
MAX_CONNECTIONS = 500
# Where `_request_key` leaves the request's key (and whether Slack says it is a retry) for the listener.
_REQUEST_KEY = "samskap_request_key"
_IS_RETRY = "samskap_is_retry"

# Requests handled at once; the rest wait, acknowledged, for a slot. Acknowledging is a fraction of
# the work: with every request handled at once, a burst (200 members at the same instant) kept the
# event loop so busy that acknowledgements waited 200 ms and more for their turn. Measured with
# `benchmarks.slack`: 32 keeps them under 100 ms, for about a third more CPU a command.
HANDLING_AT_ONCE = 32
Handle = Callable[[dict[str, Any], AsyncBoltContext], Awaitable[None]]


class SlackApp:
    """The Slack side of one bot: the bolt app, the adapter, and the installation store."""

    def __init__(self, bot: Bot, options: SlackOptions) -> None:
        self.bot = bot
        self.options = options
        self.installations: DatabaseInstallationStore | None = None
        if options.oauth:
            cipher = TokenCipher.from_keys(options.secret_key.get())
            self.installations = DatabaseInstallationStore(bot.db, bot.clock, cipher)
            bot.data_exporters.setdefault("slack_installations", export_installations)
            if erase_installer not in bot.data_erasers:
                bot.data_erasers.append(erase_installer)
        self.handled = HandledRequests(bot.db, bot.clock)
        self._working: set[asyncio.Task[None]] = set()  # requests acknowledged and being handled
        self._handling_slots = asyncio.Semaphore(HANDLING_AT_ONCE)
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30), connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
        )
        self.adapter = SlackAdapter(options, self._token_for, bot.clock, bot.translator_for(), self.session)
        self.bolt = self._build_bolt()
        # A message that mentions the bot arrives twice (message + app_mention): handle it once.
        self._seen_messages: OrderedDict[tuple[str, str], None] = OrderedDict()

    async def close(self) -> None:
        await self.session.close()

    async def _token_for(self, team_id: str) -> str | None:
        if self.installations is not None:
            return await self.installations.bot_token(team_id)
        return self.options.bot_token.get() or None

    # -- bolt -------------------------------------------------------------------------------
    def _build_bolt(self) -> AsyncApp:
        options = self.options
        bolt_logger = logging.getLogger("slack_bolt.samskap")
        if not any(isinstance(f, _IgnoreEnvTokenWarning) for f in bolt_logger.filters):
            bolt_logger.addFilter(_IgnoreEnvTokenWarning())
            bolt_logger.addFilter(_NoRequestBodies())
        kwargs: dict[str, Any] = {
            "name": "samskap",
            "logger": bolt_logger,
            "signing_secret": options.signing_secret.get() or None,
            "process_before_response": True,  # each listener hands its work to a task (`_after_ack`)
            "user_facing_authorize_error_message": self.bot.translator_for().t(
                "samskap is not installed in this workspace. Ask a workspace admin to install it."
            ),
        }
        if self.installations is not None:
            kwargs["before_authorize"] = self._reject_unknown_workspaces
            kwargs["client"] = web_client(options, session=self.session)
            kwargs["installation_store_bot_only"] = True
            kwargs["oauth_settings"] = AsyncOAuthSettings(
                client_id=options.client_id,
                client_secret=options.client_secret.get(),
                scopes=list(BOT_SCOPES),
                installation_store=self.installations,
                installation_store_bot_only=True,
                state_store=DatabaseStateStore(self.bot.db, self.bot.clock, options.client_secret.get()),
                install_path=options.install_path,
                redirect_uri_path=options.redirect_path,
                # slack.com/api/ → slack.com/oauth/v2/authorize (and the same for GovSlack).
                authorization_url=urljoin(options.api_url, "../oauth/v2/authorize"),
            )
        else:
            kwargs["client"] = web_client(options, options.bot_token.get(), self.session)
        app = AsyncApp(**kwargs)
        app.middleware(self._only_installed_workspaces)
        app.middleware(self._request_key)
        app.command(ANY)(self._after_ack(self._on_command))
        app.action(ANY)(self._after_ack(self._on_action))
        app.view(ANY)(self._after_ack(self._on_form))  # the acknowledgement closes the modal
        app.event("message")(self._after_ack(self._on_message))
        app.event("app_mention")(self._after_ack(self._on_mention))
        app.event("member_joined_channel")(self._after_ack(self._on_member_joined))
        app.event("reaction_added")(self._after_ack(self._on_reaction))
        app.event("reaction_removed")(self._after_ack(self._on_reaction))
        app.event("app_home_opened")(self._after_ack(self._on_home_opened))
        app.event("app_uninstalled")(self._after_ack(self._on_uninstalled))
        app.event("tokens_revoked")(self._after_ack(self._on_uninstalled))
        app.error(self._on_error)
        return app

    def _after_ack(self, handle: Handle) -> Callable[..., Awaitable[None]]:
        """A bolt listener that acknowledges the request, then hands it to `handle` in a task of its
        own, which the bot waits for when it stops (`Bot.handling`), and returns."""

        async def listener(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
            await ack()
            task = asyncio.get_running_loop().create_task(self._handle(handle, body, context))
            self._working.add(task)  # held: the event loop keeps only a weak reference to a task
            task.add_done_callback(self._working.discard)

        return listener

    async def _handle(self, handle: Handle, body: dict[str, Any], context: AsyncBoltContext) -> None:
        with self.bot.handling():
            try:
                if await self._repeated(context):  # before waiting for a slot: the checks go in batches
                    return
                async with self._handling_slots:
                    await handle(body, context)
            except Exception as error:
                await self._on_error(error, body)

    async def _only_installed_workspaces(self, context: AsyncBoltContext, next: Any) -> BoltResponse | None:
        """With one bot token, only its own workspace may talk to the bot (installs check this themselves)."""
        result = context.authorize_result
        if self.installations is None and result is not None and context.team_id and result.team_id:
            same_org = bool(context.enterprise_id) and context.enterprise_id == result.enterprise_id
            if context.team_id != result.team_id and not same_org:
                log.warning("rejected a request from workspace %s, which has not installed the app", context.team_id)
                return BoltResponse(status=401, body="This workspace has not installed the app.")
        return await next()

    async def _request_key(self, req: AsyncBoltRequest, body: dict[str, Any], context: AsyncBoltContext,
                           next: Any) -> BoltResponse | None:  # fmt: skip
        """Note what makes this request the same as a retry or replay of it (signature already checked);
        the listener looks it up after the acknowledgement (`_repeated`)."""
        context[_REQUEST_KEY] = request_key(body, req.raw_body, req.headers)
        context[_IS_RETRY] = is_retry(req.headers)
        return await next()

    async def _repeated(self, context: AsyncBoltContext) -> bool:
        """After the acknowledgement: true for a request already handled, on any worker, which is
        then acknowledged only (a Slack retry, or a replayed request)."""
        key = context.get(_REQUEST_KEY)
        if key is None or await self.handled.first_time(key):
            return False
        log.info("slack: acknowledged a repeated request without handling it (%s)",
                 "a retry" if context.get(_IS_RETRY) else "a replay")  # fmt: skip
        return True

    async def _reject_unknown_workspaces(
        self, context: AsyncBoltContext, body: dict[str, Any], next: Any
    ) -> BoltResponse | None:
        """With installs: events from a workspace without an installation get 401.

        A slash command goes on to bolt, which tells the person the app is not installed there.
        """
        assert self.installations is not None
        team_id = context.team_id
        if team_id and not context.response_url and body.get("type") != "url_verification":
            found = await self.installations.async_find_bot(enterprise_id=context.enterprise_id, team_id=team_id)
            if found is None:
                log.warning("rejected a request from workspace %s, which has not installed the app", team_id)
                return BoltResponse(status=401, body="This workspace has not installed the app.")
        return await next()

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        # The core contains feature errors; what lands here is a fault in this adapter.
        log.error("slack listener failed on a %s payload", body.get("type", "?"), exc_info=error)

    # -- listeners (`_after_ack`: acknowledged, and not a repeat) ---------------------------
    async def _on_command(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await self.dispatch(slack_events.command_event(body))

    async def _on_action(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        found = slack_events.action_events(body)
        for event in found:
            await self.dispatch(event)
        if found and found[0].platform_ref.from_home:
            await self.publish_home(found[0].user.workspace_id, found[0].user.id)

    async def _on_form(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await self.dispatch(slack_events.form_event(body))

    async def _on_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = slack_events.message_event(body, context.bot_user_id or "")
        if event is not None and self._first_time(event):
            await self.dispatch(event)

    async def _on_mention(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = slack_events.message_event(body, context.bot_user_id or "")
        if event is not None and self._first_time(event):
            await self.dispatch(replace(event, mentions_bot=True))

    async def _on_member_joined(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = slack_events.joined_event(body)
        if event.user.id and event.user.id != context.bot_user_id:
            await self.dispatch(event)

    async def _on_reaction(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = slack_events.reaction_event(body)
        if event is not None:
            await self.dispatch(event)

    async def _on_home_opened(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body.get("event") or {}
        if event.get("tab", "home") == "home" and event.get("user"):
            await self.publish_home(slack_events.team_of(body), str(event["user"]))

    async def _on_uninstalled(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        if self.installations is not None:
            await self.installations.async_delete_bot(enterprise_id=context.enterprise_id, team_id=context.team_id)
        self.adapter.forget_workspace()

    def _first_time(self, event: MessageEvent) -> bool:
        key = (event.conversation.id, event.message_id)
        if key in self._seen_messages:
            return False
        self._seen_messages[key] = None
        while len(self._seen_messages) > _SEEN_LIMIT:
            self._seen_messages.popitem(last=False)
        return True

    # -- dispatch ---------------------------------------------------------------------------
    async def dispatch(self, event: Event) -> None:
        """Fill in who the user is and where to answer, then hand the event to the core."""
        try:
            event = await self._complete(event)
        except DeliveryError as error:
            log.warning("could not prepare a %s from workspace %s: %s",
                        type(event).__name__, event.user.workspace_id, error)  # fmt: skip
            return
        replies = InteractionReplies(self.adapter, event, self.bot)
        await self.bot.dispatch(event, replies)

    async def _complete(self, event: Event) -> Event:
        user = event.user
        profile = await self.adapter.profile(user.workspace_id, user.id, user.display_name)
        user = replace(
            user, display_name=profile.display_name, is_workspace_admin=profile.is_admin,
            is_bot=user.is_bot or profile.is_bot,
        )  # fmt: skip
        conversation = event.conversation
        if not conversation.id:  # App Home or a modal: answer in the person's direct messages
            dm = await self.adapter.dm_channel(user)
            conversation = Conversation(PLATFORM, user.workspace_id, dm, is_direct=True)
        return replace(event, user=user, conversation=conversation)

    async def publish_home(self, team_id: str, user_id: str) -> None:
        """The App Home tab: the member's overview from every feature (`Bot.home`)."""
        async with self.bot.db.session() as s:
            first = await Members(s).first_membership(User(PLATFORM, team_id, user_id))
        if first is not None:
            message = await self.bot.home(first)
        else:
            t = self.bot.translator_for()
            message = Message.of(
                Text(t.t("Welcome to samskap! Join your network with /samskap bli-med <your school>. "
                         "Then your ideas, follow-ups and sessions show up here."))
            )  # fmt: skip
        try:
            await self.adapter.publish_home(team_id, user_id, render_home(message))
        except DeliveryError as error:
            log.warning("could not publish the home tab in workspace %s: %s", team_id, error)
