"""What the samsnakk handlers share: answering with an error, reading and showing times, lines."""

from __future__ import annotations

from datetime import datetime

from bot.context import Context, MemberContext
from bot.features.samsnakk.calls import CallService, CallView
from bot.features.samsnakk.common import TIME_LIMIT, SamsnakkError, is_opted_in, is_paused, member_tz, network_tz
from bot.features.samsnakk.rounds import RoundService
from bot.messages import ContextLine, Form, FormField, Message, Section, Text
from bot.times import TimeParseError, format_when, parse_when


async def fail(ctx: Context, err: SamsnakkError) -> None:
    await ctx.reply(ctx.t(err.msgid, **err.kwargs))


async def next_round_text(ctx: MemberContext, rounds: RoundService) -> str:
    start = await rounds.next_start(ctx.network)
    if start is None:
        return ctx.t("when a leader starts one")
    return format_when(
        start, member_tz(ctx.bot, ctx.member, ctx.network) if ctx.member else network_tz(ctx.network), ctx.language
    )


async def overview(ctx: MemberContext, rounds: RoundService, calls: CallService) -> Message:
    taking_part = is_opted_in(ctx.bot, ctx.member)
    fields = [
        (
            ctx.t("Pairing rounds"),
            ctx.t("paused")
            if is_paused(ctx.bot, ctx.member)
            else ctx.t("you take part")
            if taking_part
            else ctx.t("you don't take part"),
        ),
        (ctx.t("Next round"), await next_round_text(ctx, rounds)),
    ]
    views = await calls.my_calls(ctx.member)
    fields.extend(call_line(ctx, v) for v in views)
    parts: list = [Section(ctx.t("Samsnakk to-og-to"), tuple(fields))]
    if not taking_part and not is_paused(ctx.bot, ctx.member):
        parts.append(
            Text(
                ctx.t(
                    "Take part in the rounds with /samsnakk på: every round pairs you with a "
                    "colleague from another school for 15 minutes."
                )
            )
        )
    parts.append(
        ContextLine(
            ctx.t(
                "Book: /samsnakk @name [time] · Now: /samsnakk nå [topic] · "
                "Pause: /samsnakk pause · Not with: /samsnakk unngå @name"
            )
        )
    )
    return Message.of(*parts)


def call_line(ctx: MemberContext, view: CallView) -> tuple[str, str]:
    other = view.other(ctx.member.id)
    status = {
        "open": ctx.t("waiting for someone"),
        "proposed": ctx.t("waiting for an answer"),
        "guest": ctx.t("waiting for an answer"),
        "confirmed": ctx.t("booked"),
    }.get(view.call.status, view.call.status)
    name = view.names_for(ctx.member.id, ctx.translator) if other else "–"
    return (f"#{view.call.id} {when(ctx, view.call.starts_at)}", f"{name} · {status}")


def when(ctx: MemberContext, moment: datetime) -> str:
    return format_when(moment, member_tz(ctx.bot, ctx.member, ctx.network), ctx.language, ctx.bot.clock.now())


def read_time(ctx: MemberContext, text: str) -> datetime:
    tz = member_tz(ctx.bot, ctx.member, ctx.network)
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


def suggested(ctx: MemberContext, view: CallView) -> str:
    other = view.other(ctx.member.id)
    return ctx.t(
        "I have suggested {when} to {name}.",
        when=when(ctx, view.call.starts_at),
        name=other.display_name if other else "",
    )


def moved(ctx: MemberContext, view: CallView) -> str:
    if view.call.status == "proposed":
        return suggested(ctx, view)
    if len(view.people()) > 2:
        return ctx.t("Call #{id} is moved to {when}. You all get a new invitation.", id=view.call.id,
                     when=when(ctx, view.call.starts_at))  # fmt: skip
    return ctx.t(
        "Call #{id} is moved to {when}. You both get a new invitation.",
        id=view.call.id,
        when=when(ctx, view.call.starts_at),
    )


def time_form(ctx: Context, form_id: str, title: str, state: str) -> Form:
    return Form(
        form_id,
        title,
        (
            FormField(
                "time",
                ctx.t("New time"),
                max_length=TIME_LIMIT,
                hint=ctx.t("e.g. 15:00, i morgen 14, fre 8:30, tomorrow 3pm"),
            ),
        ),
        submit_label=ctx.t("Send"),
        state=state,
    )
