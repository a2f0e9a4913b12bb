"""Scheduled work after the bot was down, or the clock jumped, across its time.

Each kind of job declares a grace and what it does past it; these tests stop the bot, move the
clock and start it again, by less and by more than the grace. The test clock starts on Monday
7 September 2026 at 08:00 UTC (10:00 in Oslo).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.memory import Chat, Sent
from bot.app import build_bot, shutdown
from bot.clock import FakeClock
from bot.config import Config
from bot.scheduler import JobRun, Late
from storage.models.runtime import ScheduledJob
from storage.repositories.samsnakk import Rounds
from tests.support import channel_posts, group_posts, texts

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# Every job kind the features register, with its grace and what it does past it. A kind missing
# here fails the test below: declare its lateness, and add it here and to docs/operations.md.
POLICIES: dict[str, tuple[timedelta, Late]] = {
    "ideas.follow_up": (DAY, Late.RUN),
    "kritisk_venn.deadline": (15 * MINUTE, Late.REWORD),
    "kritisk_venn.remind": (HOUR, Late.SKIP),
    "kritisk_venn.invitation_expired": (HOUR, Late.RUN),
    "kritisk_venn.begin": (5 * MINUTE, Late.RUN),
    "kritisk_venn.stuck": (HOUR, Late.RUN),
    "kritisk_venn.presenter_left": (HOUR, Late.RUN),
    "kritisk_venn.friend_left": (HOUR, Late.RUN),
    "samsnakk.round": (DAY, Late.SKIP),
    "samsnakk.round_retry": (5 * MINUTE, Late.RUN),
    "samsnakk.checkin": (2 * DAY, Late.SKIP),
    "samsnakk.end": (DAY, Late.RUN),
    "samsnakk.expire": (5 * MINUTE, Late.RUN),
    "samsnakk.remind": (10 * MINUTE, Late.SKIP),
    "samsnakk.after": (DAY, Late.RUN),
    "samsnakk.partner_left": (HOUR, Late.RUN),
    "digest.weekly": (2 * DAY, Late.SKIP),
    "digest.redeliver": (HOUR, Late.RUN),
    "digest.fetch": (HOUR, Late.RUN),
    "digest.poll_feed": (HOUR, Late.RUN),
    "samlinger.reminder": (DAY, Late.RUN),
    "samlinger.after": (12 * HOUR, Late.REWORD),
    "samlinger.midway": (2 * DAY, Late.SKIP),
}


async def down_for(chat: Chat, delta: timedelta, *, catch_up: bool = True) -> None:
    """The bot stops, the clock moves on by `delta` meanwhile, and the bot starts and catches up."""
    await shutdown(chat.bot)
    chat.clock.advance(delta)
    chat.bot = await build_bot(chat.bot.config, clock=chat.clock, adapters=[chat.adapter])
    if catch_up:
        await chat.tick()


# -- every kind, by the table ----------------------------------------------------------------------
def test_every_registered_job_kind_has_its_lateness_in_the_table(chat: Chat) -> None:
    declared = {kind: (k.lateness.grace, k.lateness.late) for kind, k in chat.bot.scheduler.kinds.items()}
    assert sorted(set(declared) - set(POLICIES)) == [], "job kinds without a lateness policy in the table"
    assert sorted(set(POLICIES) - set(declared)) == [], "the table names job kinds nobody registers"
    assert declared == POLICIES


@pytest.mark.parametrize("kind", sorted(POLICIES))
async def test_a_job_down_across_its_time_runs_within_its_grace_and_past_it_as_declared(chat: Chat, kind: str) -> None:
    grace, late = POLICIES[kind]
    runs: list[JobRun] = []

    async def record(payload: dict[str, Any], run: JobRun) -> None:
        runs.append(run)

    def with_recorder() -> None:
        # The kind keeps its declared lateness; only what it does is recorded.
        scheduler = chat.bot.scheduler
        scheduler.kinds[kind] = replace(scheduler.kinds[kind], handler=record, on_skip=None)

    planned = chat.clock.now() + HOUR
    with_recorder()
    await chat.bot.scheduler.schedule(kind, planned, {}, key="within")
    await down_for(chat, HOUR + grace / 2, catch_up=False)
    with_recorder()
    await chat.tick()
    assert [(r.planned, r.late) for r in runs] == [(planned, False)]

    planned = chat.clock.now() + HOUR
    await chat.bot.scheduler.schedule(kind, planned, {}, key="past")
    await down_for(chat, HOUR + 2 * grace + MINUTE, catch_up=False)
    with_recorder()
    await chat.tick()
    job = await chat.bot.scheduler.get("past")
    assert job is not None
    if late is Late.SKIP:
        assert len(runs) == 1 and job.status == "skipped"
    else:
        assert [(r.planned, r.late) for r in runs[1:]] == [(planned, True)] and job.status == "done"


# -- the scheduler -----------------------------------------------------------------------------------
async def test_a_weekly_job_down_for_weeks_runs_once_for_the_latest_time_and_keeps_its_day(chat: Chat) -> None:
    runs: list[datetime] = []

    async def weekly(payload: dict[str, Any], run: JobRun) -> None:
        runs.append(run.planned)

    chat.bot.scheduler.handler("test.weekly", grace=DAY, late=Late.SKIP)(weekly)
    await chat.bot.scheduler.every("test.weekly", "0 8 * * 1", "Europe/Oslo", {}, key="weekly")
    # Down from Monday the 7th until Monday 28 September, 22:00: three Mondays missed.
    chat.clock.set(datetime(2026, 9, 28, 20, 0, tzinfo=UTC))
    await chat.tick()
    assert runs == [datetime(2026, 9, 28, 6, 0, tzinfo=UTC)]  # once, as Monday the 28th, 08:00 in Oslo
    job = await chat.bot.scheduler.get("weekly")
    assert job is not None and job.run_at == datetime(2026, 10, 5, 6, 0, tzinfo=UTC)  # the next Monday, 08:00

    chat.clock.set(datetime(2026, 10, 8, 8, 0, tzinfo=UTC))  # down across Monday the 5th by three days
    await chat.tick()
    assert len(runs) == 1, "past its grace, the missed time is skipped"
    job = await chat.bot.scheduler.get("weekly")
    assert job is not None and job.run_at == datetime(2026, 10, 12, 6, 0, tzinfo=UTC)  # still a Monday, 08:00


async def test_a_failed_job_is_retried_as_planned_even_after_downtime(any_database_url: str) -> None:
    clock = FakeClock()
    bot = await build_bot(Config(database_url=any_database_url), clock=clock)
    runs: list[JobRun] = []

    async def flaky(payload: dict[str, Any], run: JobRun) -> None:
        runs.append(run)
        if len(runs) == 1:
            raise RuntimeError("a passing fault")

    bot.scheduler.handler("test.flaky", grace=10 * MINUTE, late=Late.SKIP)(flaky)
    planned = clock.now() + HOUR
    await bot.scheduler.schedule("test.flaky", planned, {}, key="flaky")
    clock.advance(HOUR)
    await bot.scheduler.run_due()  # on time, and it fails
    clock.advance(DAY)  # the bot was down before the retry
    await bot.scheduler.run_due()
    job = await bot.scheduler.get("flaky")
    # The retry carries on what began in time; the plan it reports is still the first one.
    assert job is not None and job.status == "done" and job.planned_at == planned
    assert [r.planned for r in runs] == [planned, planned] and runs[1].late
    await bot.db.dispose()


async def test_a_clock_set_back_runs_nothing_early_and_nothing_twice(chat: Chat) -> None:
    runs: list[datetime] = []

    async def job(payload: dict[str, Any], run: JobRun) -> None:
        runs.append(run.planned)

    chat.bot.scheduler.handler("test.once", grace=HOUR, late=Late.SKIP)(job)
    planned = chat.clock.now() + HOUR
    await chat.bot.scheduler.schedule("test.once", planned, {}, key="once")
    await chat.advance(2 * HOUR)
    chat.clock.advance(-3 * HOUR)  # the clock jumps back, before the job's time
    await chat.advance(2 * HOUR)
    assert runs == [planned]


# -- each feature ------------------------------------------------------------------------------------
async def test_a_late_follow_up_is_still_asked(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("per", "/ide Vennskapsbenk i friminuttet")
    await chat.say("ola", "/ide prøv 1")
    await down_for(chat, 24 * DAY)  # due after 14 days; the bot was down from day 0 to day 24
    asked = texts(chat.adapter.to_user("ola"), "Hvordan gikk det")
    assert len(asked) == 1


async def test_a_call_reminder_counts_the_real_minutes_and_is_never_sent_after_the_call(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @ola i morgen 14")  # Tuesday 8 September, 14:00 in Oslo
    await chat.click("ola", "Godta")
    await down_for(chat, DAY + 3 * HOUR + 55 * MINUTE)  # back at 13:55, five minutes late
    assert len(texts(chat.adapter.to_user("kari"), "Om 5 minutter: samsnakk med ola")) == 1
    assert not texts(chat.adapter.to_user("kari"), "Om 10 minutter")

    await chat.say("kari", "/samsnakk @ola i morgen 14")  # Wednesday 9 September, 14:00
    await chat.click("ola", "Godta")
    await down_for(chat, DAY + 15 * MINUTE)  # back at 14:10, after the call began
    reminders = texts(chat.adapter.to_user("kari"), "minutter: samsnakk med ola")
    assert len(reminders) == 1, "no reminder of a call that has begun"
    assert len(texts(chat.adapter.to_user("kari"), "Hvordan var praten med ola?")) == 1  # but the after-talk comes


async def test_a_meeting_reminder_after_the_meeting_is_not_sent(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samling ny 14.09 12:00 Rådhuset")  # reminder Saturday the 12th, 09:00
    await down_for(chat, 4 * DAY)  # back on Friday the 11th: nothing due yet
    await down_for(chat, 3 * DAY + 4 * HOUR)  # back Monday the 14th, 14:00 in Oslo: after the meeting
    assert not channel_posts(chat, "Ta med en praksisfortelling")


async def test_a_meeting_reminder_a_day_late_still_comes_before_the_meeting(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samling ny 14.09 12:00 Rådhuset")  # reminder Saturday the 12th, 09:00
    await down_for(chat, 6 * DAY)  # back on Sunday the 13th, 10:00
    assert len(channel_posts(chat, "Ta med en praksisfortelling")) == 1


async def test_thanks_for_a_meeting_fit_the_days_since_it_or_are_left_out(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samling ny 08.09 12:00 Rådhuset")  # Tuesday the 8th
    await chat.say("kari", "/samling ny 26.10.2026 12:00 Biblioteket")
    await down_for(chat, 3 * DAY)  # back on Thursday the 10th: the day-after prompt is a day late
    assert len(channel_posts(chat, "Takk for samlingen på tirsdag! Hva tok du med deg?")) == 1
    assert not channel_posts(chat, "i går")

    await chat.say("kari", "/samling ny 15.09 12:00 Rådhuset")  # Tuesday the 15th
    await down_for(chat, 12 * DAY)  # back on Tuesday the 22nd: a week after it
    assert len(channel_posts(chat, "Takk for samlingen")) == 1, "no thanks a week on"
    halfway = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)  # but the prompt halfway to 26 October still comes
    chat.clock.set(halfway)
    await chat.tick()
    assert channel_posts(chat, "Halvveis til neste samling")


async def four_in_samsnakk(chat: Chat) -> None:
    await chat.say("lise", "/samskap bli-med Nordby skole")
    for name in ("kari", "ola", "per", "lise"):
        await chat.say(name, "/samsnakk på")  # the plan: every other Monday, 09:00 in Oslo


async def round_starts(chat: Chat) -> list[tuple[datetime, str]]:
    async with chat.bot.db.session() as s:
        return sorted((r.starts_at, r.status) for r in await Rounds(s).recent(1, 10))


def round_intros(chat: Chat) -> list[Sent]:
    return group_posts(chat, "Samsnakk to-og-to, runde")


async def test_a_round_a_little_late_starts_on_its_plan_and_the_series_keeps_its_mondays(network_chat: Chat) -> None:
    chat = network_chat
    await four_in_samsnakk(chat)
    await down_for(chat, 7 * DAY + 2 * HOUR)  # back Monday the 14th at 12:00, three hours after 09:00
    assert len(round_intros(chat)) == 2
    monday_9 = datetime(2026, 9, 14, 7, 0, tzinfo=UTC)
    assert await round_starts(chat) == [(monday_9, "open")]
    jobs = [j for j in await pending_round_jobs(chat)]
    assert [j.run_at for j in jobs] == [monday_9 + timedelta(weeks=2)]


async def test_a_round_missed_by_days_is_skipped_and_the_next_is_on_the_plan(network_chat: Chat) -> None:
    chat = network_chat
    await four_in_samsnakk(chat)
    await down_for(chat, 10 * DAY)  # back Thursday the 17th: round 1 was due on Monday the 14th
    assert round_intros(chat) == [], "no round starts on a Thursday"
    jobs = await pending_round_jobs(chat)
    # The plan's next: Monday the 28th, two weeks after the missed one (not the 21st, not a Thursday).
    assert [j.run_at for j in jobs] == [datetime(2026, 9, 28, 7, 0, tzinfo=UTC)]
    chat.clock.set(datetime(2026, 9, 28, 7, 1, tzinfo=UTC))
    await chat.tick()
    assert len(round_intros(chat)) == 2
    missed, held = datetime(2026, 9, 14, 7, 0, tzinfo=UTC), datetime(2026, 9, 28, 7, 0, tzinfo=UTC)
    assert await round_starts(chat) == [(missed, "skipped"), (held, "open")]


async def pending_round_jobs(chat: Chat) -> list[ScheduledJob]:
    from sqlalchemy import select

    async with chat.bot.db.session() as s:
        rows = await s.scalars(
            select(ScheduledJob).where(ScheduledJob.kind == "samsnakk.round", ScheduledJob.status == "pending")
        )
        return list(rows.all())


async def test_a_round_down_across_its_end_gets_no_halfway_question(network_chat: Chat) -> None:
    chat = network_chat
    await four_in_samsnakk(chat)
    await chat.say("kari", "/samsnakk runde kjør")
    await down_for(chat, 20 * DAY)  # halfway and the end both passed while the bot was down
    assert not group_posts(chat, "Har dere fått snakket?")
    assert texts(chat.adapter.to_user("ola"), "Runde 1 av samsnakk to-og-to er over")


def digests(chat: Chat) -> list[Sent]:
    return [s for s in chat.sent if s.message.summary.startswith("Nettverksbrev")]


async def first_digest_on_monday_the_14th(chat: Chat) -> None:
    await chat.say("per", "/ide Vennskapsbenk i friminuttet")
    chat.clock.set(datetime(2026, 9, 14, 6, 1, tzinfo=UTC))  # 08:01 in Oslo
    await chat.tick()
    assert len(digests(chat)) == 1 and "uke 37" in digests(chat)[0].text
    chat.clock.advance(HOUR)
    await chat.say("ola", "/ide Lesekvarter med eldre elever")


async def test_the_digest_is_labelled_with_the_week_it_covers_also_when_late(network_chat: Chat) -> None:
    chat = network_chat
    await first_digest_on_monday_the_14th(chat)
    await down_for(chat, 8 * DAY)  # back on Tuesday the 22nd (week 39), a day late
    [_, digest] = digests(chat)
    assert "uke 38" in digest.text and "Lesekvarter" in digest.text


async def test_a_digest_missed_by_days_rolls_into_the_next_one(network_chat: Chat) -> None:
    chat = network_chat
    await first_digest_on_monday_the_14th(chat)
    await down_for(chat, 10 * DAY)  # back on Thursday the 24th: Monday's digest is three days late
    assert len(digests(chat)) == 1
    job = await chat.bot.scheduler.get("digest.weekly:1")
    assert job is not None and job.run_at == datetime(2026, 9, 28, 6, 0, tzinfo=UTC)  # the plan's next Monday
    chat.clock.set(job.run_at + MINUTE)
    await chat.tick()
    [_, digest] = digests(chat)
    assert "uke 38–39" in digest.text and "Lesekvarter" in digest.text


async def test_a_live_round_whose_phase_ended_while_the_bot_was_away_goes_on_over_days(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("lise", "/samskap bli-med Østby skole")
    await chat.say("kari", "/kritiskvenn")
    await chat.submit("kari", {"kind": "practice", "practice": "Trygghetsvandring i friminuttene.",
                               "focus": "Hvordan oppsøker de voksne elevene?", "friends": "3", "pace": "live",
                               "venue": "thread", "names": ""})  # fmt: skip
    for name in ("ola", "per", "lise"):
        await chat.click(name, "Ja, jeg blir med")
    await chat.click("kari", "Neste fase")  # phase 2, four minutes live; a reminder at 2:40
    await down_for(chat, DAY)  # back Tuesday: the reminder and the deadline came while the bot was down
    assert not [s for s in chat.adapter.sent if "påminnelse" in s.text.lower()], "no reminder of a phase that is over"
    posts = [s.text for s in chat.sent if s.destination.kind == "channel" and s.conversation
             and s.conversation.thread_id]  # fmt: skip
    assert "fortsetter den over dager" in posts[-2] and "Fase 3 av 6" in posts[-1]
    await chat.advance(HOUR)
    posts = texts(channel_posts(chat))
    assert "Fase 3 av 6" in posts[-1], "the round is not rushed through its phases in minutes"


async def test_a_round_missed_while_down_stays_skipped_when_someone_writes_before_the_catch_up(
    network_chat: Chat,
) -> None:
    chat = network_chat
    await four_in_samsnakk(chat)
    await down_for(chat, 10 * DAY, catch_up=False)  # back Thursday the 17th
    await chat.say("ola", "/samsnakk")  # the first event arms rounds before the scheduler ticks
    await chat.tick()
    assert round_intros(chat) == []
    jobs = await pending_round_jobs(chat)
    assert [j.run_at for j in jobs] == [datetime(2026, 9, 28, 7, 0, tzinfo=UTC)], "the series keeps its weeks"


async def test_rounds_resumed_after_a_pause_keep_to_the_series(network_chat: Chat) -> None:
    chat = network_chat
    await four_in_samsnakk(chat)
    chat.clock.set(datetime(2026, 9, 14, 7, 1, tzinfo=UTC))
    await chat.tick()  # round 1 on Monday the 14th
    await chat.say("kari", "/samsnakk runde innstill av")
    chat.clock.set(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))  # Thursday 1 October
    await chat.say("kari", "/samsnakk runde innstill annenhver uke mandag 09:00")
    jobs = await pending_round_jobs(chat)
    assert [j.run_at for j in jobs] == [datetime(2026, 10, 12, 7, 0, tzinfo=UTC)]  # four weeks on, a Monday


async def test_a_digest_sunday_evening_that_comes_on_monday_is_still_last_weeks(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/digest tid søndag 18:00")
    await chat.say("per", "/ide Vennskapsbenk i friminuttet")
    await down_for(chat, datetime(2026, 9, 14, 8, 0, tzinfo=UTC) - chat.clock.now())  # Monday, 16 hours late
    assert len(digests(chat)) == 1
    chat.clock.advance(HOUR)
    await chat.say("ola", "/ide Lesekvarter med eldre elever")
    chat.clock.set(datetime(2026, 9, 20, 16, 1, tzinfo=UTC))  # Sunday the 20th, 18:01 in Oslo
    await chat.tick()
    assert len(digests(chat)) == 2, "the late digest took its own week, not the next one's"


async def test_a_live_round_back_within_minutes_sends_no_reminder_after_the_phase(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("lise", "/samskap bli-med Østby skole")
    await chat.say("kari", "/kritiskvenn")
    await chat.submit("kari", {"kind": "practice", "practice": "Trygghetsvandring i friminuttene.",
                               "focus": "Hvordan oppsøker de voksne elevene?", "friends": "3", "pace": "live",
                               "venue": "thread", "names": ""})  # fmt: skip
    for name in ("ola", "per", "lise"):
        await chat.click(name, "Ja, jeg blir med")
    await chat.click("kari", "Neste fase")  # phase 2: a reminder at 2:40, the deadline at 4:00
    await down_for(chat, 10 * MINUTE)  # back after both, within the reminder's grace
    assert not [s for s in chat.adapter.sent if "påminnelse" in s.text.lower()], "no reminder of a phase that is over"
    posts = texts(channel_posts(chat))
    assert "Fase 3 av 6" in posts[-1] and not [p for p in posts if "over dager" in p]  # still live
