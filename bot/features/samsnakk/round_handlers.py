"""Chat handlers for the pairing rounds: taking part, pausing, notes, check-ins, and the leaders' /samsnakk runde."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.context import Context, MemberContext, NotYours, pointer_id
from bot.events import ActionEvent, FormSubmitted
from bot.features.samsnakk.availability import parse_available_hours
from bot.features.samsnakk.calls import CallService
from bot.features.samsnakk.chat import (
    fail,
    next_round_text,
)
from bot.features.samsnakk.common import (
    EVERY_WEEKS,
    HOUR,
    HOURS,
    NOTE_LIMIT,
    OPT_IN,
    PAUSED,
    PROMPT,
    WEEKDAY,
    SamsnakkError,
    network_tz,
    parse_weekday,
)
from bot.features.samsnakk.rounds import RoundService, RoundStats
from bot.i18n import N_
from bot.mentions import find_member, split_mention
from bot.messages import Button, Buttons, ContextLine, Form, FormField, Message, Section, Text
from bot.numbers import parse_id
from bot.settings import SettingError, parse_clock_time
from bot.times import WEEKDAYS, format_when, weekday_name
from storage.repositories.core import Members
from storage.repositories.samsnakk import Avoids

if TYPE_CHECKING:
    from bot.core_api import CoreApi

MET_WORDS = {
    "ja": "met",
    "yes": "met",
    "ikke-ennå": "not_yet",
    "ikke-enna": "not_yet",
    "ikke": "not_yet",
    "ikkje-enno": "not_yet",
    "ikkje": "not_yet",
    "not-yet": "not_yet",
    "notyet": "not_yet",
    "hopp": "skipped",
    "hopp-over": "skipped",
    "skip": "skipped",
}


def round_line(ctx: Context, stats: RoundStats) -> str:
    """One past round in the leader's overview: "Runde 3: 6 satt sammen, 1 gruppe møttes, 2 notater delt"."""
    if stats.status == "skipped":
        return ctx.t("Round {n}: skipped", n=stats.number)
    counts = (
        ctx.t("{n} paired", n=stats.paired),
        ctx.tn("{n} group met", "{n} groups met", stats.met),
        ctx.tn("{n} note shared", "{n} notes shared", stats.notes),
    )
    return ctx.t("Round {n}: {counts}", n=stats.number, counts=", ".join(counts))


def register_rounds(bot: CoreApi, rounds: RoundService, calls: CallService) -> None:
    r = bot.router

    # -- learning notes -----------------------------------------------------------------------------
    @r.command(
        "samsnakk", sub=("notat", "note"), help=N_("Share a one-line learning note from a talk"), usage=N_("<one line>")
    )
    async def note_cmd(ctx: MemberContext) -> None:
        await save_note(ctx, None, ctx.args)

    @r.action("samsnakk.note")
    async def note_button(ctx: MemberContext[ActionEvent]) -> None:
        await rounds.note_target(ctx.member, ctx.event.value)
        await ctx.open_form(
            Form(
                "samsnakk.note",
                ctx.t("Share a learning note"),
                (
                    FormField(
                        "note",
                        ctx.t("What will you take back to your school?"),
                        max_length=NOTE_LIMIT,
                        hint=ctx.t("One line. Nothing that can identify a student."),
                    ),
                ),
                submit_label=ctx.t("Share"),
                state=ctx.event.value,  # type: ignore[attr-defined]
            )
        )

    @r.form("samsnakk.note", limits={"note": NOTE_LIMIT})
    async def note_form(ctx: MemberContext[FormSubmitted]) -> None:
        await save_note(ctx, ctx.event.state or None, ctx.event.values.get("note", ""))

    async def save_note(ctx: MemberContext, target: str | None, text: str) -> None:
        try:
            await rounds.share_note(ctx.network, ctx.member, target, text)
        except SamsnakkError as err:
            await fail(ctx, err)
            if text.strip():
                await ctx.reply(ctx.t("Your note, so you can shorten it: {text}", text=text))
            return
        await ctx.reply(ctx.t("Thank you! Your note is shared with the network in the next digest."))

    # -- rounds: the member's side ----------------------------------------------------------------------
    @r.command(
        "samsnakk",
        sub=("snakket", "met"),
        help=N_("Tell whether you have had this round's talk"),
        usage=N_("yes|not-yet|skip"),
    )
    async def met_cmd(ctx: MemberContext) -> None:
        status = MET_WORDS.get(ctx.args.strip().lower(), "")
        await answer_met(ctx, None, status)

    @r.action("samsnakk.met")
    async def met_button(ctx: MemberContext[ActionEvent]) -> None:
        group_id, _, status = ctx.event.value.partition(":")
        await answer_met(ctx, pointer_id(group_id), status)

    async def answer_met(ctx: MemberContext, group_id: int | None, status: str) -> None:
        await rounds.set_met(ctx.member, group_id, status)
        answers = {
            "met": ctx.t("Good to hear! At the end of the round I ask for a learning note to share."),
            "not_yet": ctx.t("There is still time. Book one with the Book a time button or /samsnakk @name."),
            "skipped": ctx.t("Fine, this round is skipped for you. See you in the next one."),
        }
        await ctx.reply(answers[status])

    @r.command("samsnakk", sub=("på", "pa", "on", "bli-med", "join"), help=N_("Take part in the pairing rounds"))
    async def opt_in(ctx: MemberContext) -> None:
        await set_option(ctx, OPT_IN, True)
        await ctx.reply(
            ctx.t("You take part in samsnakk to-og-to. Next round: {when}.", when=await next_round_text(ctx, rounds))
        )

    @r.command("samsnakk", sub=("av", "off", "meld-av"), help=N_("Stop taking part in the pairing rounds"))
    async def opt_out(ctx: MemberContext) -> None:
        await set_option(ctx, OPT_IN, False)
        await ctx.reply(
            ctx.t(
                "You no longer take part in the pairing rounds. Colleagues can still book a call "
                "with you; pause everything with /samsnakk pause."
            )
        )

    @r.command("samsnakk", sub=("pause",), help=N_("Pause samsnakk: no rounds and no bookings"))
    async def pause(ctx: MemberContext) -> None:
        await set_option(ctx, PAUSED, True)
        await ctx.reply(
            ctx.t("Samsnakk is paused for you: no rounds and no new bookings. Resume with /samsnakk fortsett.")
        )

    @r.command("samsnakk", sub=("fortsett", "resume"), help=N_("Resume samsnakk after a pause"))
    async def resume(ctx: MemberContext) -> None:
        await set_option(ctx, PAUSED, False)
        await ctx.reply(ctx.t("Welcome back! Samsnakk is on again for you."))

    @r.command("samsnakk", sub=("tider", "hours"), help=N_("When you are free for a quick talk"),
               usage=N_("mon-fri 14-16"))  # fmt: skip
    async def hours(ctx: MemberContext) -> None:
        if not ctx.args.strip():
            current = ctx.bot.settings.member_value(ctx.member, HOURS) or ctx.t("weekdays 08:00–16:00 (default)")
            await ctx.reply(
                ctx.t("Your free hours for calls: {hours}. Change with /samsnakk tider man-fre 14-16.", hours=current)
            )
            return
        try:
            value = parse_available_hours(ctx.args)
        except SettingError as err:
            await ctx.reply(ctx.t(err.msgid, **err.kwargs))
            return
        await set_option(ctx, HOURS, value)
        await ctx.reply(ctx.t("Saved: I offer times within {hours}.", hours=value))

    @r.command(
        "samsnakk",
        sub=("unngå", "unnga", "avoid"),
        help=N_("Don't pair me with someone in rounds"),
        usage=N_("@name | remove @name"),
    )
    async def avoid(ctx: MemberContext) -> None:
        words = ctx.args.strip()
        remove = False
        if words.split(" ", 1)[0].lower() in ("fjern", "remove"):
            remove, words = True, words.split(" ", 1)[1] if " " in words else ""
        mention, _ = split_mention(words)
        async with ctx.bot.db.session() as s:
            if mention is None:
                ids = await Avoids(s).of_member(ctx.member.id)
                names = [m.display_name for m in [await Members(s).get(i) for i in ids] if m]
                await ctx.reply(
                    ctx.t(
                        "You are not paired with: {names}. Add with /samsnakk unngå @name, remove with "
                        "/samsnakk unngå fjern @name.",
                        names=", ".join(names) or "–",
                    )
                )
                return
            other = await find_member(s, ctx.network.id, mention)
            if other is None:
                await ctx.reply(ctx.t("{who} has not joined the network.", who=mention))
                return
            if other.id == ctx.member.id:
                await ctx.reply(ctx.t("You are never paired with yourself."))
                return
            if remove:
                await Avoids(s).remove(ctx.member.id, other.id)
            else:
                await Avoids(s).add(ctx.member.id, other.id)
        if remove:
            await ctx.reply(ctx.t("You can be paired with {name} again.", name=other.display_name))
        else:
            # Only the one who asks knows: the other is never told.
            await ctx.reply(
                ctx.t("I won't pair you with {name} in rounds. Nobody else is told.", name=other.display_name)
            )

    async def set_option(ctx: MemberContext, name: str, value: object) -> None:
        await ctx.bot.set_member_option(ctx.member, name, value)
        await rounds.ensure_scheduled(ctx.network)

    # -- rounds: the leaders' side --------------------------------------------------------------------
    @r.command(
        "samsnakk",
        sub=("runde", "round"),
        access="leader",
        help=N_("For leaders: preview, run or skip the next pairing round; plan and stats"),
        usage=N_("[preview|run|skip|set every 2 weeks monday 09:00|prompt <text>]"),
    )
    async def round_cmd(ctx: MemberContext) -> None:
        action, _, rest = ctx.args.strip().partition(" ")
        action = action.lower()
        if action in ("vis", "preview", "forhåndsvis", "førehandsvis"):
            await show_preview(ctx)
        elif action in ("kjør", "kjor", "køyr", "koyr", "run", "start"):
            await run_round(ctx)
        elif action in ("hopp-over", "hopp", "skip"):
            await skip_round(ctx)
        elif action in ("innstill", "set", "plan"):
            await plan_rounds(ctx, rest)
        elif action in ("spørsmål", "sporsmal", "prompt", "refleksjon"):
            await set_prompt(ctx, rest)
        else:
            await ctx.reply(await round_overview(ctx))

    async def round_overview(ctx: MemberContext) -> Message:
        start = await rounds.ensure_scheduled(ctx.network)
        value = ctx.bot.settings.network_value
        weeks = int(value(ctx.network, EVERY_WEEKS))
        plan = (
            ctx.tn(
                "every week, {day} {hour}",
                "every {n} weeks, {day} {hour}",
                weeks,
                day=weekday_name(WEEKDAYS[str(value(ctx.network, WEEKDAY))], ctx.language),
                hour=value(ctx.network, HOUR),
            )
            if weeks
            else ctx.t("no automatic rounds")
        )
        fields = [
            (ctx.t("Plan"), plan),
            (ctx.t("Next round"), format_when(start, network_tz(ctx.network), ctx.language) if start else "–"),
            (ctx.t("Taking part"), str(await rounds.opted_in_count(ctx.network))),
        ]
        stats = await rounds.recent_stats(ctx.network)
        lines = [round_line(ctx, s) for s in stats]
        parts: list = [Section(ctx.t("Samsnakk rounds"), tuple(fields))]
        if lines:
            parts.append(Text("\n".join(lines)))
        parts.append(
            Buttons(
                (
                    Button(ctx.t("Preview pairs"), "samsnakk.round", "preview"),
                    Button(ctx.t("Run now"), "samsnakk.round", "run", "primary"),
                    Button(ctx.t("Skip next round"), "samsnakk.round", "skip"),
                )
            )
        )
        parts.append(
            ContextLine(
                ctx.t(
                    "Or write /samsnakk runde vis|kjør|hopp-over. Plan: /samsnakk runde innstill "
                    "hver 2 uker mandag 09:00. Prompt: /samsnakk runde spørsmål <text>."
                )
            )
        )
        return Message.of(*parts)

    @r.action("samsnakk.round", access="leader")
    async def round_button(ctx: MemberContext[ActionEvent]) -> None:
        action = ctx.event.value
        if action == "preview":
            await show_preview(ctx)
        elif action == "run":
            await run_round(ctx)
        elif action == "skip":
            await skip_round(ctx)
        else:
            raise NotYours()

    async def show_preview(ctx: MemberContext) -> None:
        preview = await rounds.preview(ctx.network)
        result = preview.result
        if not result.groups:
            await ctx.reply(ctx.t("Too few are taking part for a round: at least two are needed."))
            return
        names = preview.members
        lines = [" + ".join(f"{names[i].display_name} ({names[i].school})" for i in group) for group in result.groups]
        counts = (
            ctx.tn("{n} group", "{n} groups", len(result.groups)),
            ctx.tn("{n} group of three", "{n} groups of three", result.trios),
            ctx.tn("{n} pair from the same school", "{n} pairs from the same school", result.same_school),
            ctx.tn(
                "{n} pair who met in the last six rounds", "{n} pairs who met in the last six rounds", result.repeats
            ),
        )
        summary = ctx.t("Round {n}: {counts}.", n=preview.number, counts=", ".join(counts))
        if result.unpaired:
            summary += " " + ctx.t(
                "{n} could not be paired (asked not to be paired with each other).", n=len(result.unpaired)
            )
        await ctx.reply(
            Message.of(
                Section(summary),
                Text("\n".join(lines)),
                Buttons((Button(ctx.t("Run now"), "samsnakk.round", "run", "primary"),)),
            )
        )

    async def run_round(ctx: MemberContext) -> None:
        if (await rounds.preview(ctx.network)).result.groups == ():
            await ctx.reply(ctx.t("Too few are taking part for a round: at least two are needed."))
            return
        try:
            row = await rounds.run_now(ctx.network)
        except RuntimeError:
            await ctx.reply(
                ctx.t("The round has started, but some group conversations could not be opened yet. I keep trying.")
            )
            return
        stats = await rounds.stats_of(row)
        await ctx.reply(
            ctx.t(
                "Round {n} has started: {paired} paired. Each group has its own conversation.",
                n=row.number,
                paired=stats.paired,
            )
        )

    async def skip_round(ctx: MemberContext) -> None:
        number = await rounds.skip_next(ctx.network)
        await ctx.reply(
            ctx.t("Round {n} is skipped. The next one: {when}.", n=number, when=await next_round_text(ctx, rounds))
        )

    async def plan_rounds(ctx: MemberContext, text: str) -> None:
        words = text.lower().replace(",", " ").split()
        changes: dict[str, object] = {}
        try:
            for index, word in enumerate(words):
                weeks_ahead = index + 1 < len(words) and words[index + 1].startswith(("uke", "veke", "week"))
                if weeks_ahead and (number := parse_id(word)) is not None:
                    changes[EVERY_WEEKS] = number
                elif word in ("annenhver", "annakvar", "biweekly", "fortnightly"):
                    changes[EVERY_WEEKS] = 2
                elif word in ("ukentlig", "vekentleg", "weekly") or (
                    word.startswith(("uke", "veke", "week"))
                    and EVERY_WEEKS not in changes
                    and (index == 0 or parse_id(words[index - 1]) is None)
                ):
                    changes[EVERY_WEEKS] = 1
                elif word in ("av", "off", "aldri", "never"):
                    changes[EVERY_WEEKS] = 0
                elif word.rstrip(".") in WEEKDAYS:
                    changes[WEEKDAY] = parse_weekday(word)
                elif re.fullmatch(r"\d{1,2}[:.]\d{2}", word) or (
                    word.isascii() and word.isdigit() and index > 0 and words[index - 1] in ("kl", "kl.", "at")
                ):
                    changes[HOUR] = parse_clock_time(word.replace(".", ":"))
            weeks = changes.get(EVERY_WEEKS)
            if isinstance(weeks, int) and not 0 <= weeks <= 12:
                raise SettingError("Use a whole number from {low} to {high}.", low=0, high=12)
        except SettingError as err:
            await ctx.reply(ctx.t(err.msgid, **err.kwargs))
            return
        if not changes:
            await ctx.reply(
                ctx.t(
                    "Write the plan like: /samsnakk runde innstill hver 2 uker mandag 09:00 "
                    "(or: av, for no automatic rounds)."
                )
            )
            return
        for name, value in changes.items():
            await ctx.bot.set_network_setting(ctx.network, ctx.member, name, value)
        await ctx.reply(await round_overview(ctx))

    async def set_prompt(ctx: MemberContext, text: str) -> None:
        text = text.strip()
        if len(text) > 500:
            await ctx.reply(ctx.t("At most {n} characters.", n=500))
            return
        await ctx.bot.set_network_setting(ctx.network, ctx.member, PROMPT, text)
        if text:
            await ctx.reply(ctx.t("Saved. The next rounds ask: {prompt}", prompt=text))
        else:
            await ctx.reply(ctx.t("Saved. The next rounds use the default reflection prompt."))
