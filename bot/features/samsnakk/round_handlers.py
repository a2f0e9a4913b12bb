"""Thin chat handlers for the pairing rounds: taking part, pausing, free hours, "don't pair me with",
check-ins and notes, and the leaders' /samsnakk runde."""

from __future__ import annotations

import re

from bot.context import MemberContext, NotYours, pointer_id
from bot.events import ActionEvent, FormSubmitted
from bot.features.samsnakk import cards
from bot.features.samsnakk.availability import parse_available_hours
from bot.features.samsnakk.common import (
    EVERY_WEEKS,
    HOUR,
    HOURS,
    NOTE_LIMIT,
    OPT_IN,
    PAUSED,
    PROMPT,
    PROMPT_LIMIT,
    WEEKDAY,
    SamsnakkError,
    member_tz,
    network_tz,
    parse_weekday,
)
from bot.features.samsnakk.service import Samsnakk
from bot.mentions import split_mention
from bot.messages import Message
from bot.numbers import parse_id
from bot.settings import SettingError, parse_clock_time
from bot.times import WEEKDAYS

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
# What a leader writes after /samsnakk runde (the buttons carry preview, run and skip).
PREVIEW_WORDS = ("vis", "preview", "forhåndsvis", "førehandsvis")
RUN_WORDS = ("kjør", "kjor", "køyr", "koyr", "run", "start")
SKIP_WORDS = ("hopp-over", "hopp", "skip")
PLAN_WORDS = ("innstill", "set", "plan")
PROMPT_WORDS = ("spørsmål", "sporsmal", "prompt", "refleksjon")
REMOVE_WORDS = ("fjern", "remove")


def read_plan(text: str) -> dict[str, object]:
    """The round plan in a leader's words: "hver 2 uker mandag 09:00", "annenhver uke fre kl 14",
    "av"; the settings it changes (none when nothing could be read)."""
    words = text.lower().replace(",", " ").split()
    changes: dict[str, object] = {}
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
    return changes


class RoundHandlers:
    """Each reads what the member sent, asks the rounds, and answers; what the member can fix is
    raised and answered by the core."""

    def __init__(self, samsnakk: Samsnakk) -> None:
        self.rounds = samsnakk.rounds
        self.avoids = samsnakk.avoids

    async def _next_round(self, ctx: MemberContext) -> str:
        start = await self.rounds.next_start(ctx.network)
        return cards.next_round(ctx.translator, start, member_tz(ctx.member, ctx.network))

    # -- learning notes ------------------------------------------------------------------------------
    async def note(self, ctx: MemberContext) -> None:
        await self._save_note(ctx, None, ctx.args)

    async def note_button(self, ctx: MemberContext[ActionEvent]) -> None:
        await self.rounds.note_target(ctx.member, ctx.event.value)
        await ctx.open_form(cards.note_form(ctx.translator, ctx.event.value, NOTE_LIMIT))

    async def note_submitted(self, ctx: MemberContext[FormSubmitted]) -> None:
        await self._save_note(ctx, ctx.event.state or None, ctx.event.values.get("note", ""))

    async def _save_note(self, ctx: MemberContext, target: str | None, text: str) -> None:
        await self.rounds.share_note(ctx.network, ctx.member, target, text)
        await ctx.reply(ctx.t("Thank you! Your note is shared with the network in the next digest."))

    # -- the member's part in the rounds -------------------------------------------------------------
    async def met(self, ctx: MemberContext) -> None:
        """Had this round's talk? A check-in button carries `group:status`; the command says it in words."""
        if isinstance(ctx.event, ActionEvent):
            group, _, status = ctx.event.value.partition(":")
            group_id: int | None = pointer_id(group)
        else:
            group_id, status = None, MET_WORDS.get(ctx.args.strip().lower(), "")
        await self.rounds.set_met(ctx.member, group_id, status)
        await ctx.reply(cards.met_answer(ctx.translator, status))

    async def opt_in(self, ctx: MemberContext) -> None:
        await ctx.bot.set_member_option(ctx.member, OPT_IN, True)  # arms the next round (on_change)
        await ctx.reply(
            ctx.t("You take part in samsnakk to-og-to. Next round: {when}.", when=await self._next_round(ctx))
        )

    async def opt_out(self, ctx: MemberContext) -> None:
        await ctx.bot.set_member_option(ctx.member, OPT_IN, False)
        await ctx.reply(
            ctx.t(
                "You no longer take part in the pairing rounds. Colleagues can still book a call "
                "with you; pause everything with /samsnakk pause."
            )
        )

    async def pause(self, ctx: MemberContext) -> None:
        await ctx.bot.set_member_option(ctx.member, PAUSED, True)
        await ctx.reply(
            ctx.t("Samsnakk is paused for you: no rounds and no new bookings. Resume with /samsnakk fortsett.")
        )

    async def resume(self, ctx: MemberContext) -> None:
        await ctx.bot.set_member_option(ctx.member, PAUSED, False)
        await ctx.reply(ctx.t("Welcome back! Samsnakk is on again for you."))

    async def hours(self, ctx: MemberContext) -> None:
        if not ctx.args.strip():
            current = ctx.bot.settings.member_value(ctx.member, HOURS) or ctx.t("weekdays 08:00–16:00 (default)")
            await ctx.reply(
                ctx.t("Your free hours for calls: {hours}. Change with /samsnakk tider man-fre 14-16.", hours=current)
            )
            return
        value = parse_available_hours(ctx.args)
        await ctx.bot.set_member_option(ctx.member, HOURS, value)
        await ctx.reply(ctx.t("Saved: I offer times within {hours}.", hours=value))

    async def avoid(self, ctx: MemberContext) -> None:
        words = ctx.args.strip()
        remove = words.split(" ", 1)[0].lower() in REMOVE_WORDS
        if remove:
            words = words.split(" ", 1)[1] if " " in words else ""
        mention, _ = split_mention(words)
        if mention is None:
            names = await self.avoids.names(ctx.member)
            await ctx.reply(
                ctx.t(
                    "You are not paired with: {names}. Add with /samsnakk unngå @name, remove with "
                    "/samsnakk unngå fjern @name.",
                    names=", ".join(names) or "–",
                )
            )
            return
        other = await self.avoids.change(ctx.network, ctx.member, mention, remove=remove)
        if remove:
            await ctx.reply(ctx.t("You can be paired with {name} again.", name=other.display_name))
        else:
            # Only the one who asks knows: the other is never told.
            await ctx.reply(
                ctx.t("I won't pair you with {name} in rounds. Nobody else is told.", name=other.display_name)
            )

    # -- the leaders' side ---------------------------------------------------------------------------
    async def round_command(self, ctx: MemberContext) -> None:
        action, _, rest = ctx.args.strip().partition(" ")
        action = action.lower()
        if action in PREVIEW_WORDS:
            await self._preview(ctx)
        elif action in RUN_WORDS:
            await self._run(ctx)
        elif action in SKIP_WORDS:
            await self._skip(ctx)
        elif action in PLAN_WORDS:
            await self._plan(ctx, rest)
        elif action in PROMPT_WORDS:
            await self._prompt(ctx, rest)
        else:
            await ctx.reply(await self._overview(ctx))

    async def round_button(self, ctx: MemberContext[ActionEvent]) -> None:
        action = ctx.event.value
        if action == "preview":
            await self._preview(ctx)
        elif action == "run":
            await self._run(ctx)
        elif action == "skip":
            await self._skip(ctx)
        else:
            raise NotYours()

    async def _overview(self, ctx: MemberContext) -> Message:
        value = ctx.bot.settings.network_value
        weekday = WEEKDAYS[str(value(ctx.network, WEEKDAY))]
        plan = cards.plan_text(ctx.translator, int(value(ctx.network, EVERY_WEEKS)), weekday, value(ctx.network, HOUR))
        return cards.round_overview(
            ctx.translator,
            plan,
            await self.rounds.next_start(ctx.network),
            network_tz(ctx.network),
            await self.rounds.opted_in_count(ctx.network),
            await self.rounds.recent_stats(ctx.network),
        )

    async def _preview(self, ctx: MemberContext) -> None:
        await ctx.reply(cards.preview(ctx.translator, await self.rounds.preview(ctx.network)))

    async def _run(self, ctx: MemberContext) -> None:
        if (await self.rounds.preview(ctx.network)).result.groups == ():
            await ctx.reply(cards.too_few(ctx.translator))
            return
        try:
            row = await self.rounds.run_now(ctx.network)
        except RuntimeError:  # the round is held; the scheduler opens the missing groups later
            await ctx.reply(
                ctx.t("The round has started, but some group conversations could not be opened yet. I keep trying.")
            )
            return
        stats = await self.rounds.stats_of(row)
        await ctx.reply(
            ctx.t(
                "Round {n} has started: {paired} paired. Each group has its own conversation.",
                n=row.number,
                paired=stats.paired,
            )
        )

    async def _skip(self, ctx: MemberContext) -> None:
        number = await self.rounds.skip_next(ctx.network)
        await ctx.reply(
            ctx.t("Round {n} is skipped. The next one: {when}.", n=number, when=await self._next_round(ctx))
        )

    async def _plan(self, ctx: MemberContext, text: str) -> None:
        changes = read_plan(text)
        if not changes:
            raise SamsnakkError(
                "Write the plan like: /samsnakk runde innstill hver 2 uker mandag 09:00 "
                "(or: av, for no automatic rounds)."
            )
        for name, value in changes.items():
            # Each setting re-arms the next round by the plan (its on_change).
            await ctx.bot.set_network_setting(ctx.network, ctx.member, name, value)
        await ctx.reply(await self._overview(ctx))

    async def _prompt(self, ctx: MemberContext, text: str) -> None:
        text = text.strip()
        if len(text) > PROMPT_LIMIT:
            raise SettingError("At most {n} characters.", n=PROMPT_LIMIT)
        await ctx.bot.set_network_setting(ctx.network, ctx.member, PROMPT, text)
        if text:
            await ctx.reply(ctx.t("Saved. The next rounds ask: {prompt}", prompt=text))
        else:
            await ctx.reply(ctx.t("Saved. The next rounds use the default reflection prompt."))
