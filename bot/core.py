"""The bot: holds the services and dispatches events through the middleware to a handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapter import Adapter, DeliveryError, Destination, SentMessage
from bot.clock import Clock
from bot.config import Config
from bot.context import NOT_YOURS, Context, MemberContext
from bot.errors import APOLOGY, UserError
from bot.events import (
    ActionEvent,
    CommandEvent,
    Conversation,
    Event,
    FormSubmitted,
    MemberJoinedEvent,
    MessageEvent,
    ReactionEvent,
    User,
)
from bot.i18n import DEFAULT_LANGUAGE, N_, Translator, normalise_language, translator
from bot.limits import check_form, check_length
from bot.messages import Message, Part, Section
from bot.metrics import Metrics, feature_of
from bot.numbers import leading_number
from bot.outbox import Outbox
from bot.privacy import contains_identity_number, mask_identity_numbers
from bot.router import MEMBER_ONLY, Route, Router
from bot.scheduler import Scheduler
from bot.services import Services
from bot.settings import SettingsRegistry
from bot.text import REMOVED_KINDS, clean_event, code_points
from storage.db import Database
from storage.models.core import Member, Network, Role
from storage.models.runtime import Delivery
from storage.repositories.core import Audit, Members, Networks

log = logging.getLogger("samskap")

NOT_MEMBER = N_("You have not joined the network yet. Join with /samskap bli-med <your school>.")
NO_NETWORK = N_("I don't know which network you belong to yet. Use the command in the network's channel.")
# A direct message is known by the user's first membership; before that, and for what sets up a
# network, only a channel will do.
DIRECT_BEFORE_JOINING = N_("In direct messages I only know you once you have joined a network. "
                           "Join in the network's channel first: /samskap bli-med <your school>.")  # fmt: skip
SET_UP_IN_A_CHANNEL = N_("Run this command in a channel of your workspace or server: it sets up that network.")

Next = Callable[[], Awaitable[None]]
Middleware = Callable[[Context, Next], Awaitable[None]]
Handler = Callable[[Context], Awaitable[None]]
DataExporter = Callable[[AsyncSession, Member], Awaitable[Any]]
DataEraser = Callable[[AsyncSession, Member], Awaitable[None]]
HomeProvider = Callable[[Member, Translator], Awaitable[list[Part]]]
NetworkHook = Callable[[Network], Awaitable[None]]


@dataclass
class Bot:
    config: Config
    db: Database
    clock: Clock
    scheduler: Scheduler
    outbox: Outbox
    router: Router = field(default_factory=Router)
    adapters: dict[str, Adapter] = field(default_factory=dict)
    # Feature services, by class, and what one feature offers the others (bot/services.py).
    services: Services = field(default_factory=Services)
    settings: SettingsRegistry = field(default_factory=SettingsRegistry)
    # Personal data: each feature adds what it keeps about a member (for `mine-data`) and how
    # to erase what a database cascade does not (for `slett-meg`).
    data_exporters: dict[str, DataExporter] = field(default_factory=dict)
    data_erasers: list[DataEraser] = field(default_factory=list)
    # A member's personal overview ("home"): each feature adds its parts (my ideas, my calls...).
    home_providers: list[HomeProvider] = field(default_factory=list)
    # Run before the first event of each network this process handles (again after a failure, and
    # when the network's time zone changes): a feature plans what every network needs (its digest).
    network_hooks: list[NetworkHook] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    # Set when the worker begins to shut down: /readyz says so, and no new work is taken.
    stopping: bool = False
    # Events being handled now, by the task handling them (a stopping worker lets them finish).
    _handling: dict[asyncio.Task[Any], int] = field(default_factory=dict, init=False, repr=False)
    _idle: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    # What every event passes through, in order, before its handler.
    middleware: list[Middleware] = field(init=False, repr=False)
    _prepared: set[tuple[int, str]] = field(default_factory=set, init=False, repr=False)
    _preparing: dict[tuple[int, str], asyncio.Future[None]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._idle.set()
        self.middleware = [
            self._log_and_contain_errors,
            self._ignore_bots,
            self._resolve_network_and_member,
            self._prepare_network,
            self._clean_text,
            self._guard_student_data,
        ]

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    # -- language and identity helpers for features ----------------------------------------
    def translator_for(self, member: Member | None = None, network: Network | None = None) -> Translator:
        language = (member.language if member else None) or (network.language if network else None)
        return translator(normalise_language(language) or normalise_language(self.config.language) or DEFAULT_LANGUAGE)

    @staticmethod
    def user_of(member: Member) -> User:
        return User(member.platform, member.workspace_id, member.user_id, member.display_name)

    # -- what features do on the platforms, without knowing which ---------------------------------
    def _adapter_for(self, platform: str) -> Adapter:
        adapter = self.adapters.get(platform)
        if adapter is None:  # a platform this worker does not run (any more)
            raise DeliveryError("no_adapter", retryable=False, detail=platform)
        return adapter

    async def update(self, sent: SentMessage, message: Message) -> None:
        """Change a message the bot sent earlier (DeliveryError when its platform cannot)."""
        await self._adapter_for(sent.conversation.platform).update(sent, message)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        """A private conversation with these members (group DM or private thread) on their platform."""
        return await self._adapter_for(users[0].platform).open_group(users, topic)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        """The thread under a message the bot sent (created where the platform needs it)."""
        return await self._adapter_for(sent.conversation.platform).start_thread(sent, name)

    async def announce_channel(self, network: Network) -> Conversation | None:
        """Where the network hears of what happened elsewhere (an idea from a direct message, a
        meeting reminder): its first linked channel; None before one is linked."""
        async with self.db.read() as s:
            channels = await Networks(s).channels(network.id)
        if not channels:
            return None
        first = channels[0]
        return Conversation(first.platform, first.workspace_id, first.channel_id)

    # -- settings ----------------------------------------------------------------------------
    async def set_member_option(self, member: Member, name: str, value: Any) -> None:
        """Store one of the member's options (declared with `settings.declare_member`), and let a
        feature whose network-wide plans follow it (samsnakk's opt-in) follow (`on_change`)."""
        spec = self.settings.member.get(name)
        follow, network = spec.on_change if spec is not None else None, None
        async with self.db.session() as s:
            row = await Members(s).get(member.id)
            if row is None:
                raise UserError(NOT_MEMBER)
            row.opt_ins = {**(row.opt_ins or {}), name: value}
            member.opt_ins = row.opt_ins
            if follow is not None:
                network = await Networks(s).get(member.network_id)
        if follow is not None and network is not None:
            await follow(network)

    async def set_network_setting(self, network: Network, actor: Member, name: str, value: Any) -> None:
        """Store a network setting, note who changed it, and let its feature follow (`on_change`)."""
        async with self.db.session() as s:
            row = await Networks(s).get(network.id)
            if row is None:
                raise UserError(NO_NETWORK)
            if name in ("language", "timezone", "name"):
                setattr(row, name, value)
            else:
                row.settings = {**(row.settings or {}), name: value}
            await Audit(s).record(network.id, actor.id, "set_setting", {"name": name, "value": value}, self.clock.now())
            network.settings, network.language, network.timezone, network.name = (
                row.settings,
                row.language,
                row.timezone,
                row.name,
            )
        spec = self.settings.network.get(name)
        if spec is not None and spec.on_change is not None:
            await spec.on_change(network)

    async def send_dm(self, member: Member, message: Message, *, key: str) -> None:
        """Send a direct message through the outbox (once per key, retried on platform errors)."""
        await self.outbox.deliver(key, Destination.dm(self.user_of(member)), message, notify_member_id=None)

    async def home(self, member: Member) -> Message:
        """The member's overview: what every feature has for them (Slack's App Home, /samskap hjem)."""
        async with self.db.read() as s:
            network = await Networks(s).get(member.network_id)
        t = self.translator_for(member, network)
        parts: list[Part] = [Section(t.t("Hi {name}! This is your samskap.", name=member.display_name))]
        for provider in self.home_providers:
            parts.extend(await provider(member, t))
        return Message(tuple(parts), t.t("Your samskap"))

    # -- dispatch ---------------------------------------------------------------------------
    async def dispatch(self, event: Event, adapter: Adapter) -> None:
        await self._through_middleware(event, adapter, self._route)

    async def screen(self, event: Event, adapter: Adapter) -> Event | None:
        """Put an event through the middleware without handling it, for text an adapter must keep
        before the event is complete (the earlier steps of a Discord form). Returns the cleaned
        event, or None when it was refused (the member has been told why)."""
        passed: list[Event] = []

        async def keep(ctx: Context) -> None:
            passed.append(ctx.event)

        await self._through_middleware(event, adapter, keep)
        return passed[0] if passed else None

    async def _through_middleware(self, event: Event, adapter: Adapter, end: Handler) -> None:
        ctx = Context(self, adapter, event, translator(self.config.language))
        task = self._start_handling()
        try:
            await self._middleware_from(0, ctx, end)
        finally:
            self._stop_handling(task)

    @contextlib.contextmanager
    def handling(self) -> Iterator[None]:
        """The current task is handling an event until the block ends: `finish_handling` waits for it
        (for an adapter's work before and around `dispatch`)."""
        task = self._start_handling()
        try:
            yield
        finally:
            self._stop_handling(task)

    def _start_handling(self) -> asyncio.Task[Any]:
        task = asyncio.current_task()
        assert task is not None
        self._handling[task] = self._handling.get(task, 0) + 1
        self._idle.clear()
        return task

    def _stop_handling(self, task: asyncio.Task[Any]) -> None:
        self._handling[task] -= 1
        if not self._handling[task]:
            del self._handling[task]
        if not self._handling:
            self._idle.set()

    async def _middleware_from(self, index: int, ctx: Context, end: Handler) -> None:
        # A method, not a closure that calls itself: such a closure is a reference cycle, and every
        # event's context would wait for the garbage collector instead of being freed at once.
        if index < len(self.middleware):
            await self.middleware[index](ctx, lambda: self._middleware_from(index + 1, ctx, end))
        else:
            await end(ctx)

    async def finish_handling(self, grace_seconds: float) -> int:
        """Let the events being handled finish, for at most `grace_seconds`; then cancel the
        rest (their outbox deliveries are handed back). Returns how many were cancelled."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
            return 0
        except TimeoutError:
            pending = list(self._handling)
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=1.0)
        log.warning("stopped %d event handler(s) that did not finish in time", len(pending))
        return len(pending)

    async def _log_and_contain_errors(self, ctx: Context, nxt: Next) -> None:
        started = time.perf_counter()
        kind = type(ctx.event).__name__
        name = (
            getattr(ctx.event, "name", None)
            or getattr(ctx.event, "action_id", None)
            or getattr(ctx.event, "form_id", "")
        )
        outcome = "ok"
        try:
            await nxt()
        except UserError as err:
            outcome = "user_error"
            await ctx.reply(ctx.t(err.msgid, **err.kwargs) + _given_back(ctx, always=ctx.writing))
        except Exception as exc:
            outcome = "error"
            reference = secrets.token_hex(4)
            log.exception("error %s handling %s %s on %s", reference, kind, name, ctx.event.conversation.platform)
            if isinstance(exc, DeliveryError):
                return
            try:
                await ctx.reply(ctx.t(APOLOGY, ref=reference) + _given_back(ctx, always=True))
            except Exception:
                log.warning("could not report error %s to the user", reference)
        finally:
            # Content is never logged: only the kind of event, its name and how long it took.
            seconds = time.perf_counter() - started
            self.metrics.event_handled(kind, ctx.feature, outcome, seconds)
            log.debug("%s %s handled in %.1f ms", kind, name, seconds * 1000)

    async def _ignore_bots(self, ctx: Context, nxt: Next) -> None:
        if ctx.event.user.is_bot:
            return
        await nxt()

    async def _resolve_network_and_member(self, ctx: Context, nxt: Next) -> None:
        event = ctx.event
        conv, user = event.conversation, event.user
        found = None if conv.is_direct else await self.db.lookups.find(conv, user)
        if found is None:
            # A direct message, or a channel not linked to the network (on Discord, most of a
            # server's channels): found through the workspace, and remembered the same way.
            where = "direct" if conv.is_direct else f"unlinked:{conv.id}"
            key = (where, conv.platform, conv.workspace_id, user.platform, user.workspace_id, user.id)
            found = await self.db.lookups.remembered(
                key, lambda: self._find_or_set_up(user, conv, ctx.adapter.auto_setup)
            )
        network, member = found if found is not None else (None, None)
        ctx.network, ctx.member = network, member
        ctx.translator = self.translator_for(member, network)
        await nxt()

    async def _prepare_network(self, ctx: Context, nxt: Next) -> None:
        network = ctx.network
        if network is not None and (network.id, network.timezone) not in self._prepared and self.network_hooks:
            await self.prepare(network)
        await nxt()

    async def prepare(self, network: Network) -> None:
        """Run the network hooks for `network`; the many events of its first minute share one run."""
        key = (network.id, network.timezone)
        running = self._preparing.get(key)
        if running is None:
            running = self._preparing[key] = asyncio.ensure_future(self._run_network_hooks(network, key))
            running.add_done_callback(lambda _: self._preparing.pop(key, None))
        await asyncio.shield(running)

    async def _run_network_hooks(self, network: Network, key: tuple[int, str]) -> None:
        done = True
        for hook in self.network_hooks:
            try:
                await hook(network)
            except Exception:  # planning must never spoil the member's answer; the next event tries again
                done = False
                log.exception("could not prepare network %s (%s)", network.id, feature_of(hook))
        if done:
            self._prepared.add(key)

    async def _find_or_set_up(
        self, user: User, conv: Conversation, auto_setup: bool
    ) -> tuple[Network | None, Member | None]:
        try:
            return await self._find_or_set_up_once(user, conv, auto_setup)
        except IntegrityError:  # another worker set up the same workspace at the same moment
            return await self._find_or_set_up_once(user, conv, auto_setup)

    async def _find_or_set_up_once(
        self, user: User, conv: Conversation, auto_setup: bool
    ) -> tuple[Network | None, Member | None]:
        async with self.db.session() as s:
            networks, members = Networks(s), Members(s)
            network = await networks.by_workspace(f"{conv.platform}:{conv.workspace_id}")
            if network is None and auto_setup:
                network = await self.create_network(networks, conv.platform, conv.workspace_id)
            if network is not None and not conv.is_direct and auto_setup:
                await networks.link_channel(network, conv, "", self.clock.now())
            if network is None and conv.is_direct:
                first = await members.first_membership(user)
                if first is not None:
                    network = await networks.get(first.network_id)
            member = await members.by_user(network.id, user) if network else None
        return network, member

    async def create_network(self, networks: Networks, platform: str, workspace_id: str, name: str = "") -> Network:
        """A new network for a workspace, with the configured defaults (first use, or /samskap oppsett)."""
        return await networks.create(
            name=name or self.config.network_name,
            language=normalise_language(self.config.language) or DEFAULT_LANGUAGE,
            timezone=self.config.timezone,
            workspace_key=f"{platform}:{workspace_id}",
            now=self.clock.now(),
        )

    async def _clean_text(self, ctx: Context, nxt: Next) -> None:
        """The one place text is cleaned (bot/text.py): before the guard, before any handler stores it."""
        cleaned = clean_event(ctx.event)
        ctx.event = cleaned.event
        addressed = _addressed_to_bot(ctx.event)
        if cleaned.invisible:
            if addressed:  # a passing channel message stays on the platform; nothing to say or keep
                characters = "; ".join(code_points(text) for text in cleaned.invisible)
                await ctx.reply(ctx.t(
                    "I did not save this: what you wrote has only invisible characters or control codes "
                    "({characters}). Write it again with visible text.", characters=characters)
                    + _given_back(ctx, always=True))  # fmt: skip
            return
        try:
            await nxt()
        except UserError:
            await self._tell_what_was_removed(ctx, cleaned.removed if addressed else frozenset())
            raise
        await self._tell_what_was_removed(ctx, cleaned.removed if addressed else frozenset())

    async def _tell_what_was_removed(self, ctx: Context, removed: frozenset[str]) -> None:
        """Nothing is changed without a word: name what was taken out of the member's text."""
        if not removed:
            return
        names = {
            "control": ctx.t("control characters"),
            "ansi": ctx.t("terminal colour codes"),
            "bidi": ctx.t("characters that reverse the text direction"),
        }
        found = [names[kind] for kind in REMOVED_KINDS if kind in removed]
        what = found[0] if len(found) == 1 else ctx.t("{first} and {last}", first=", ".join(found[:-1]), last=found[-1])
        await ctx.reply(ctx.t("I removed {what} from what you wrote: they cannot be stored or shown safely.",
                              what=what))  # fmt: skip

    async def _guard_student_data(self, ctx: Context, nxt: Next) -> None:
        texts = [t for t in ctx.event.texts() if t]
        if texts and contains_identity_number(*texts):
            log.info("privacy guard refused a text with an identity number")
            await ctx.reply(
                Message.text(
                    ctx.t(
                        "I did not save or post this: it looks like it contains a national identity number "
                        "(fødselsnummer, D-number or H-number). Please leave out anything that can identify a student, "
                        "and send it again. Your text, so you can edit it:"
                    )
                    + "\n\n"
                    + "\n".join(mask_identity_numbers(t) for t in texts)
                )
            )
            return
        await nxt()

    async def _route(self, ctx: Context) -> None:
        event = ctx.event
        match event:
            case CommandEvent(name=name, args=args):
                found = self.router.match_command(name, args)
                if found is None:
                    await ctx.reply(ctx.t("I don't know the command /{name}. Try /samskap for help.", name=name))
                    return
                ctx.args, ctx.subcommand = found.args, found.subcommand
                check_length(args)
                await self._call(found.route, ctx)
            case ActionEvent(action_id=action_id):
                route = self.router.match_action(action_id)
                if route is None:
                    log.warning("no handler for action %s", action_id)
                    await ctx.reply(ctx.t("This button no longer works. Try the command instead."))
                    return
                await self._call(route, ctx)
            case FormSubmitted(form_id=form_id):
                route = self.router.forms.get(form_id)
                if route is None:
                    log.warning("no handler for form %s", form_id)
                    await ctx.reply(ctx.t("This form no longer works. Try the command instead."))
                    return
                check_form(event.values, route.limits)
                await self._call(route, ctx)
            case MessageEvent():
                for route in self.router.message_listeners:
                    if self._allowed(route, ctx):
                        await _handle(route, ctx)
            case ReactionEvent():
                for route in self.router.reaction_listeners:
                    if self._allowed(route, ctx):
                        await _handle(route, ctx)
            case MemberJoinedEvent():
                for route in self.router.join_listeners:
                    await _handle(route, ctx)

    def _allowed(self, route: Route, ctx: Context) -> bool:
        if route.access == "anyone":
            return True
        if route.access == "admin":
            return ctx.event.user.is_workspace_admin
        if ctx.member is None:
            return False
        return route.access == "member" or ctx.member.role == Role.NETWORK_LEADER

    async def _call(self, route: Route, ctx: Context) -> None:
        ctx.feature, ctx.writing = feature_of(route.handler), route.writing
        if not self._allowed(route, ctx):
            await ctx.reply(self._refusal(route, ctx))
            return
        if isinstance(ctx.event, ActionEvent) and route.takes_value != bool(ctx.event.value):
            # Not a button we made: ours carry a value exactly when their action takes one.
            log.warning("action %s came back with a value of the wrong shape", ctx.event.action_id)
            await ctx.reply(ctx.t(NOT_YOURS))
            return
        await _handle(route, ctx)

    def _refusal(self, route: Route, ctx: Context) -> str:
        if route.access == "admin" and ctx.event.conversation.is_direct:
            return ctx.t(SET_UP_IN_A_CHANNEL)
        if ctx.network is None:
            return no_network_message(ctx)
        if route.access == "admin":
            return ctx.t("Only someone who can manage this workspace or server can do that.")
        if ctx.member is None:
            return ctx.t(NOT_MEMBER)
        return ctx.t("Only network leaders can do that.")

    # -- failures -----------------------------------------------------------------------------
    async def tell_about_failed_delivery(self, delivery: Delivery, error: DeliveryError) -> None:
        """Tell someone who can act when a message finally could not be delivered."""
        dest = Destination.from_dict(delivery.destination)
        if dest.kind == "dm" or delivery.notify_member_id is None:
            log.warning("delivery %s failed for good (%s); nobody to tell", delivery.key, error.code)
            return
        async with self.db.session() as s:
            member = await Members(s).get(delivery.notify_member_id)
            network = await Networks(s).get(member.network_id) if member else None
        if member is None:
            return
        t = self.translator_for(member, network)
        text = t.t(
            "I could not post a message in a channel ({reason}). Check that I am invited to the channel "
            "and allowed to post there; the message is kept and can be sent again.",
            reason=error_reason(t, error.code),
        )
        await self.outbox.deliver(
            f"failed-notice:{delivery.key}", Destination.dm(self.user_of(member)), Message.text(text)
        )


# Texts longer than this are given back with an error, so that nothing a user wrote is lost.
GIVE_BACK_FROM = 40


async def _handle(route: Route, ctx: Context) -> None:
    """Call an allowed route's handler; a member-only one gets the member and network for certain."""
    await route.handler(MemberContext.of(ctx) if route.access in MEMBER_ONLY else ctx)


def _given_back(ctx: Context, *, always: bool = False) -> str:
    """The member's text for an error reply: always after an unexpected error, so nothing is lost."""
    # A piece of writing is given back without the command's own words (`bidra 9` is not the member's):
    # nothing, when the member wrote only the number.
    written = (
        [leading_number(ctx.args)[1]] if ctx.writing and isinstance(ctx.event, CommandEvent) else ctx.event.texts()
    )
    texts = [t for t in written if t and t.strip()]
    short = not isinstance(ctx.event, FormSubmitted) and sum(map(len, texts)) < GIVE_BACK_FROM
    if not texts or (short and not always):
        return ""
    return "\n\n" + ctx.t("Your text, so you have it:") + "\n" + "\n".join(texts)


def _addressed_to_bot(event: Event) -> bool:
    """Commands, clicks and forms are; a message only in a direct conversation or when it mentions the bot."""
    if isinstance(event, MessageEvent):
        return event.conversation.is_direct or event.mentions_bot
    return True


def no_network_message(ctx: Context) -> str:
    if ctx.event.conversation.is_direct:
        return ctx.t(DIRECT_BEFORE_JOINING)
    return ctx.t("This channel is not linked to a network yet. A server admin can run /samskap oppsett.")


def error_reason(t: Translator, code: str) -> str:
    reasons = {
        "not_in_channel": t.t("I am not a member of the channel"),
        "channel_not_found": t.t("the channel was not found"),
        "archived": t.t("the channel is archived"),
        "forbidden": t.t("I am not allowed to post there"),
        "invalid_auth": t.t("my access to the workspace is no longer valid"),
        "gone": t.t("the conversation has been deleted"),
        "rate_limited": t.t("the platform asked me to slow down"),
        "server_error": t.t("the platform had an error"),
    }
    return reasons.get(code, t.t("an unknown error"))
