"""Thin chat handlers for calls: /samsnakk @person [tid], the answers, cancel, move, "nå"; every
button has a command beside it, and both are served by the same handler."""

from __future__ import annotations

import re
from datetime import datetime

from bot.context import MemberContext, NotYours, pointer_id
from bot.events import ActionEvent, FormSubmitted
from bot.features.samsnakk import cards
from bot.features.samsnakk.call_view import CallView
from bot.features.samsnakk.common import SamsnakkError, is_opted_in, is_paused, member_tz
from bot.features.samsnakk.service import Samsnakk
from bot.mentions import split_mention
from bot.messages import Message
from bot.numbers import MAX_DIGITS, parse_id
from bot.times import TimeParseError, format_when, parse_when
from storage.models.core import Member

_CALL_ID = re.compile(r"^#?(\d{1,9})$")
_MINUTES = re.compile(r"\s+(\d{1,3})\s*(?:min|minutt|minutter|minutes?)$")
# The statuses a call may have for each answer.
ANSWERABLE = ("proposed", "guest")
COUNTERABLE = ("proposed",)
MOVABLE = ("proposed", "confirmed")
CANCELLABLE = ("open", "proposed", "guest", "confirmed")


def call_version(text: str) -> int | None:
    """The version of a call a button showed (`id:version`), so a stale answer is refused."""
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    raise NotYours()


def read_time(ctx: MemberContext, text: str) -> datetime:
    """The moment the member's words name, in their time zone; a clear error when it cannot be read."""
    tz = member_tz(ctx.member, ctx.network)
    try:
        return parse_when(text, ctx.bot.clock.now(), tz)
    except TimeParseError as err:
        if err.kind == "past":
            if err.suggestion is not None:
                raise SamsnakkError(
                    "{text} has already passed today. Did you mean tomorrow, {suggestion}?",
                    text=text.strip(),
                    suggestion=format_when(err.suggestion, tz, ctx.language),
                ) from None
            raise SamsnakkError("{text} has already passed. Choose a time in the future.", text=text.strip()) from None
        raise SamsnakkError(
            'I did not understand the time "{text}". Write it like 15:00, i morgen 14, fre 8:30 or tomorrow 3pm.',
            text=text.strip(),
        ) from None


def split_minutes(rest: str) -> tuple[int, str]:
    """ "fre 9 30 min" → (30, "fre 9"): a call's length at the end of the time, 15 minutes when none."""
    found = _MINUTES.search(" " + rest)
    if found is None or re.search(r"\b(om|in)\s+\d", rest):  # "om 30 min" is a time, not a length
        return 15, rest
    return max(5, min(120, int(found.group(1)))), rest[: len(rest) - len(found.group(0)) + 1].strip()


class CallHandlers:
    """Each reads what the member sent, asks the booking (or quick calls), and answers with a card."""

    def __init__(self, samsnakk: Samsnakk) -> None:
        self.calls = samsnakk.calls
        self.booking = samsnakk.booking
        self.quick = samsnakk.quick_calls
        self.rounds = samsnakk.rounds

    # -- /samsnakk, /samsnakk @person [@person] [tid] ------------------------------------------------
    async def samsnakk(self, ctx: MemberContext) -> None:
        mention, rest = split_mention(ctx.args)
        if mention is None:
            if ctx.args.strip():
                raise SamsnakkError(
                    "Mention the colleague you want to talk to: /samsnakk @name [time], e.g. /samsnakk @ola fre 14:00."
                )
            await ctx.reply(await self._overview(ctx))
            return
        # A second mention invites a third colleague (as a round's trio does).
        second, rest = split_mention(rest)
        partner = await self.booking.colleague(ctx.network, mention)
        guest = await self.booking.colleague(ctx.network, second) if second else None
        if guest is not None and guest.id in (partner.id, ctx.member.id):
            guest = None
        if not rest:
            await self._offer(ctx, partner, guest)
            return
        minutes, rest = split_minutes(rest)
        starts_at = read_time(ctx, rest)
        view = await self.booking.propose(ctx.network, ctx.member, partner, starts_at, minutes, guest=guest)
        await ctx.reply(cards.asked(ctx.translator, view, ctx.member, ctx.bot.clock.now()))

    async def _overview(self, ctx: MemberContext) -> Message:
        start = await self.rounds.next_start(ctx.network)
        tz = member_tz(ctx.member, ctx.network)
        return cards.overview(
            ctx.translator,
            ctx.member,
            await self.calls.my_calls(ctx.member),
            paused=is_paused(ctx.bot, ctx.member),
            taking_part=is_opted_in(ctx.bot, ctx.member),
            next_round=cards.next_round(ctx.translator, start, tz),
            now=ctx.bot.clock.now(),
        )

    async def _offer(self, ctx: MemberContext, partner: Member, guest: Member | None = None) -> None:
        slots = await self.booking.free_times(ctx.network, ctx.member, partner, guest)
        tz = member_tz(ctx.member, ctx.network)
        await ctx.reply(cards.free_times(ctx.translator, slots, partner, guest, tz))

    async def pick(self, ctx: MemberContext[ActionEvent]) -> None:
        """A free-time button: `partner|time[|guest]`, both colleagues from the clicker's network."""
        parts = ctx.event.value.split("|")
        if len(parts) not in (2, 3):
            raise NotYours()
        try:
            starts_at = datetime.fromisoformat(parts[1])
        except ValueError:
            raise NotYours() from None
        if starts_at.tzinfo is None:
            raise NotYours()
        partner = await ctx.network_member(parts[0])
        guest = await ctx.network_member(parts[2]) if len(parts) == 3 else None
        view = await self.booking.propose(ctx.network, ctx.member, partner, starts_at, guest=guest)
        await ctx.reply(cards.asked(ctx.translator, view, ctx.member, ctx.bot.clock.now()))

    async def book_group(self, ctx: MemberContext[ActionEvent]) -> None:
        """ "Book en tid" in a round's group: free times of the whole group (a trio books together)."""
        partners = await self.booking.group_partners(ctx.member, pointer_id(ctx.event.value))
        await self._offer(ctx, partners[0], partners[1] if len(partners) > 1 else None)

    # -- answering a proposal ------------------------------------------------------------------------
    async def _call_from(self, ctx: MemberContext, statuses: tuple[str, ...]) -> tuple[CallView, int | None, str]:
        """The call a button (`id:version`) or command (`[#id] [rest]`) is about, the version the
        button showed, and the rest of the command's words."""
        if isinstance(ctx.event, ActionEvent):
            call_id, _, version = ctx.event.value.partition(":")
            view = await self.calls.find_for(ctx.member, pointer_id(call_id), statuses)
            return view, call_version(version), ""
        first, _, rest = ctx.args.strip().partition(" ")
        if match := _CALL_ID.match(first):
            return await self.calls.find_for(ctx.member, int(match.group(1)), statuses), None, rest.strip()
        return await self.calls.find_for(ctx.member, None, statuses), None, ctx.args.strip()

    async def accept(self, ctx: MemberContext) -> None:
        view, version, _ = await self._call_from(ctx, ANSWERABLE)
        fresh = await self.booking.accept(view, ctx.member, version)
        await ctx.reply(cards.accepted(ctx.translator, fresh))

    async def decline(self, ctx: MemberContext) -> None:
        view, _version, _ = await self._call_from(ctx, ANSWERABLE)
        await self.booking.decline(view, ctx.member)
        await ctx.reply(ctx.t("Declined. I have told them."))

    async def counter(self, ctx: MemberContext) -> None:
        view, _version, rest = await self._call_from(ctx, COUNTERABLE)
        if not rest:
            raise SamsnakkError("Write the time you suggest: /samsnakk foreslå {id} <time>.", id=view.call.id)
        fresh = await self.booking.counter(view, ctx.member, None, read_time(ctx, rest))
        await ctx.reply(cards.suggested(ctx.translator, fresh, ctx.member, ctx.bot.clock.now()))

    async def counter_button(self, ctx: MemberContext[ActionEvent]) -> None:
        await self._call_from(ctx, COUNTERABLE)  # only the people in the call get the form
        title = ctx.t("Suggest another time")
        await ctx.open_form(cards.time_form(ctx.translator, cards.COUNTER, title, ctx.event.value))

    async def counter_submitted(self, ctx: MemberContext[FormSubmitted]) -> None:
        call_id, _, shown = ctx.event.state.partition(":")
        view = await self.calls.find_for(ctx.member, pointer_id(call_id), COUNTERABLE)
        version = call_version(shown)
        fresh = await self.booking.counter(view, ctx.member, version, read_time(ctx, ctx.event.values.get("time", "")))
        await ctx.reply(cards.suggested(ctx.translator, fresh, ctx.member, ctx.bot.clock.now()))

    # -- cancel and move -----------------------------------------------------------------------------
    async def cancel(self, ctx: MemberContext) -> None:
        view, _version, _ = await self._call_from(ctx, CANCELLABLE)
        await self.booking.cancel(view, ctx.member)
        await ctx.reply(ctx.t("Call #{id} is cancelled.", id=view.call.id))

    async def move(self, ctx: MemberContext) -> None:
        view, _version, rest = await self._call_from(ctx, MOVABLE)
        if not rest:
            raise SamsnakkError("Write the new time: /samsnakk flytt {id} <time>.", id=view.call.id)
        fresh = await self.booking.move(view, ctx.member, read_time(ctx, rest))
        await ctx.reply(cards.moved(ctx.translator, fresh, ctx.member, ctx.bot.clock.now()))

    async def move_button(self, ctx: MemberContext[ActionEvent]) -> None:
        await self._call_from(ctx, MOVABLE)  # only the people in the call get the form
        await ctx.open_form(cards.time_form(ctx.translator, cards.MOVE, ctx.t("Move the call"), ctx.event.value))

    async def move_submitted(self, ctx: MemberContext[FormSubmitted]) -> None:
        view = await self.calls.find_for(ctx.member, pointer_id(ctx.event.state.partition(":")[0]), MOVABLE)
        fresh = await self.booking.move(view, ctx.member, read_time(ctx, ctx.event.values.get("time", "")))
        await ctx.reply(cards.moved(ctx.translator, fresh, ctx.member, ctx.bot.clock.now()))

    async def mine(self, ctx: MemberContext) -> None:
        views = await self.calls.my_calls(ctx.member)
        await ctx.reply(cards.my_calls(ctx.translator, views, ctx.member, ctx.bot.clock.now()))

    # -- "who has 15 minutes now?" -------------------------------------------------------------------
    async def now(self, ctx: MemberContext) -> None:
        if ctx.event.conversation.is_direct:
            raise SamsnakkError("Ask in a channel of the network, so the others can see it: /samsnakk nå [topic].")
        call = await self.quick.open_now(ctx.network, ctx.member, ctx.args.strip())
        # The request is public: it speaks the network's language, not the asker's.
        t = ctx.bot.translator_for(None, ctx.network)
        sent = await ctx.reply(cards.now_request(t, ctx.member, call.id, call.topic), visibility="channel")
        await self.quick.remember_post(call.id, sent)

    async def take(self, ctx: MemberContext) -> None:
        call_id = pointer_id(ctx.event.value) if isinstance(ctx.event, ActionEvent) else parse_id(ctx.args)
        view = await self.quick.take(call_id, ctx.network, ctx.member)
        await ctx.reply(
            ctx.t(
                "You have a talk with {name} now. The video link is in your direct messages.",
                name=view.requester.display_name,
            )
        )
