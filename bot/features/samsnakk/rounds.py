"""Pairing rounds: plan, preview, run (open group conversations), check in halfway, ask for notes.

A round is held by a scheduler job keyed by the network, the round number and its start time,
so a changed plan leaves the old job a no-op. Holding a round is idempotent: the round and its
groups are written first, then each group gets its conversation and messages through the outbox
with stable keys, so a retry after a crash sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.adapter import DeliveryError, Destination
from bot.context import NotYours, pointer_id
from bot.events import Conversation
from bot.features.samsnakk import cards
from bot.features.samsnakk.common import (
    NOTE_LIMIT,
    OPT_IN,
    PAUSED,
    RECENT_ROUNDS,
    RoundPlan,
    SamsnakkError,
    is_opted_in,
    network_tz,
    prompt_text,
    round_plan,
)
from bot.features.samsnakk.pairing import Candidate, PairingResult, pair_members
from bot.scheduler import JobRun
from bot.times import at_local, format_when
from storage.models.core import Member, Network
from storage.models.samsnakk import SamsnakkRound
from storage.repositories.core import Members, Networks, Notes
from storage.repositories.samsnakk import Avoids, Calls, RoundJobs, Rounds

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)

STATUSES = {"met", "not_yet", "skipped"}
# A round may start this much after its planned time (the bot was down); later, it is skipped.
ROUND_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Preview:
    number: int
    starts_at: datetime | None
    result: PairingResult
    members: dict[int, Member]


@dataclass(frozen=True)
class RoundStats:
    number: int
    status: str
    starts_at: datetime
    paired: int
    met: int
    notes: int


def slot_after(plan: RoundPlan, moment: datetime) -> datetime:
    """The plan's first weekday and time strictly after `moment`, in the network's time zone."""
    local = moment.astimezone(plan.timezone)
    day = local.date() + timedelta(days=(plan.weekday - local.weekday()) % 7)
    slot = at_local(day, time(plan.hour, plan.minute), plan.timezone)
    return slot if slot > moment else at_local(day + timedelta(days=7), time(plan.hour, plan.minute), plan.timezone)


def next_round_start(plan: RoundPlan, last_start: datetime | None, now: datetime) -> datetime:
    """When the next round starts by the plan: `every_weeks` after the last one, on the plan's day and time.

    A round time missed by more than the grace is passed over in steps of the plan, so the series
    keeps its weekday and its weeks (a missed round is skipped, never shifts what follows). One
    missed by less is still "next": its job runs it now.
    """
    if last_start is None:
        return slot_after(plan, now)
    start = slot_after(plan, last_start + timedelta(weeks=plan.every_weeks, hours=-12))
    while start < now - ROUND_GRACE:
        day = start.astimezone(plan.timezone).date() + timedelta(weeks=plan.every_weeks)
        start = at_local(day, time(plan.hour, plan.minute), plan.timezone)
    return start


def takes_part(bot: CoreApi, options: dict[str, Any] | None) -> bool:
    """`is_opted_in` for a member's options read as values (`Rounds.member_options`)."""
    values, declared = options or {}, bot.settings.member
    return bool(values.get(OPT_IN, declared[OPT_IN].default)) and not values.get(PAUSED, declared[PAUSED].default)


def round_seed(network_id: int, number: int) -> int:
    """Deterministic per network and round, so a preview shows exactly the pairs the round gets."""
    return (network_id * 1_000_003 + number * 7_919) % 2**31


class RoundService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    def now(self) -> datetime:
        return self.bot.clock.now()

    # -- planning ----------------------------------------------------------------------------------
    def round_length(self, network: Network) -> timedelta:
        weeks = round_plan(self.bot, network).every_weeks or 2
        return timedelta(weeks=weeks)

    async def next_start(self, network: Network) -> datetime | None:
        """When the next round starts by the leaders' plan (None when automatic rounds are off)."""
        plan = round_plan(self.bot, network)
        if plan.every_weeks <= 0:
            return None
        async with self.bot.db.session() as s:
            last = next(iter(await Rounds(s).recent(network.id, 1)), None)
        return next_round_start(plan, last.starts_at if last is not None else None, self.now())

    async def ensure_scheduled(self, network: Network) -> None:
        """Arm the job for the next round by the current plan, and drop any job of an older plan.

        Nothing is armed while nobody has opted in, so networks that don't use samsnakk carry no jobs.
        Run for each network once per process, and whenever the plan or an opt-in changes.
        """
        start = await self.next_start(network)
        async with self.bot.db.session() as s:
            number = await Rounds(s).last_number(network.id) + 1
            pending = await RoundJobs(s).pending_keys(network.id)
            anyone = await RoundJobs(s).anyone_opted_in(network.id)
        key = f"samsnakk.round:{network.id}:{number}:{start:%Y%m%d%H%M}" if start and anyone else None
        if await self._one_is_due(pending):
            return  # the scheduler holds it, or skips it for being late and arms the next
        for stale in pending:
            if stale != key:
                await self.bot.scheduler.cancel(stale)
        if start is not None and key is not None and key not in pending:
            payload = {"network_id": network.id, "number": number, "at": start.isoformat()}
            await self.bot.scheduler.schedule("samsnakk.round", start, payload, key=key)

    async def _one_is_due(self, keys: list[str]) -> bool:
        """A round job whose time has come (the bot may just be back from downtime) is left to the
        scheduler's lateness policy; re-arming it here would move the missed round to the next slot."""
        for key in keys:
            job = await self.bot.scheduler.get(key)
            if job is not None and job.status == "pending" and job.run_at <= self.now():
                return True
        return False

    async def _due_by_plan(self, network: Network, payload: dict[str, Any]) -> bool:
        """False when the leaders changed the plan after this job was armed (it then re-arms instead)."""
        plan = round_plan(self.bot, network)
        if plan.every_weeks <= 0:
            return False
        if "at" not in payload:
            return True
        planned = datetime.fromisoformat(payload["at"]).astimezone(plan.timezone)
        if (planned.weekday(), planned.hour, planned.minute) != (plan.weekday, plan.hour, plan.minute):
            return False
        async with self.bot.db.session() as s:
            last = next(iter(await Rounds(s).recent(network.id, 1)), None)
        return last is None or last.starts_at + timedelta(weeks=plan.every_weeks, hours=-12) <= self.now()

    # -- pairing ----------------------------------------------------------------------------------
    async def preview(self, network: Network) -> Preview:
        async with self.bot.db.session() as s:
            number = await Rounds(s).last_number(network.id) + 1
        result = await self._pair(network, number)
        async with self.bot.db.read() as s:
            everyone = await Members(s).in_network(network.id)
        members = {m.id: m for m in everyone if is_opted_in(self.bot, m)}
        return Preview(number, await self.next_start(network), result, members)

    async def _pair(self, network: Network, number: int) -> PairingResult:
        # Values, not ORM objects, and outside the writer's turn (SQLite): a large network has
        # tens of thousands of members and places to read.
        async with self.bot.db.read() as s:
            options = await Rounds(s).member_options(network.id)
            recent = await Rounds(s).recent_pairs(network.id, RECENT_ROUNDS)
            avoid = await Avoids(s).in_network(network.id)
        candidates = [Candidate(i, school) for i, school, opts in options if takes_part(self.bot, opts)]
        return pair_members(candidates, recent=recent, avoid=avoid, seed=round_seed(network.id, number))

    # -- holding a round ----------------------------------------------------------------------------
    async def round_skipped(self, payload: dict[str, Any], run: JobRun) -> None:
        """A round that missed its time by more than the grace is kept as skipped at its planned
        time, so the plan counts on from it; then the plan's next round is armed."""
        network_id, number = int(payload["network_id"]), int(payload["number"])
        planned = datetime.fromisoformat(payload["at"]) if "at" in payload else run.planned
        async with self.bot.db.session() as s:
            network = await Networks(s).get(network_id)
            if network is not None and await Rounds(s).by_number(network_id, number) is None:
                await self._add_skipped(Rounds(s), network, number, planned)
        if network is not None:
            log.info("samsnakk round %s of network %s skipped: %s late", number, network_id, run.late_by)
            await self.ensure_scheduled(network)

    async def round_job(self, payload: dict[str, Any], run: JobRun) -> None:
        network_id, number = int(payload["network_id"]), int(payload["number"])
        manual = bool(payload.get("manual"))
        async with self.bot.db.session() as s:
            network = await Networks(s).get(network_id)
            existing = await Rounds(s).by_number(network_id, number)
        if network is None:
            return
        paired = None
        if existing is None and not manual:
            if not await self._due_by_plan(network, payload):
                log.info("samsnakk round job for network %s is stale (the plan changed); re-arming", network_id)
                await self.ensure_scheduled(network)
                return
            paired = await self._pair(network, number)
            if not paired.groups:
                log.info("samsnakk round for network %s not held: fewer than two taking part", network_id)
                await self.ensure_scheduled(network)
                return
        # A planned round starts at its planned time, even when it comes a little late: the plan's
        # next round is counted from it, so a late start never shifts the series.
        planned = datetime.fromisoformat(payload["at"]) if "at" in payload else run.planned
        await self.hold(network, number, starts_at=None if manual else planned, paired=paired)
        if not manual:
            await self.ensure_scheduled(network)

    async def run_now(self, network: Network) -> SamsnakkRound:
        async with self.bot.db.session() as s:
            number = await Rounds(s).last_number(network.id) + 1
        try:
            row = await self.hold(network, number)
        except RuntimeError:
            # Some group conversations could not be opened: the scheduler keeps trying.
            retry_at = self.now() + timedelta(minutes=1)
            await self.bot.scheduler.schedule(
                "samsnakk.round_retry",
                retry_at,
                {"network_id": network.id, "number": number, "manual": True},
                key=f"samsnakk.round-retry:{network.id}:{number}",
            )
            raise
        finally:
            await self.ensure_scheduled(network)
        return row

    async def skip_next(self, network: Network) -> int:
        """Record the next round as skipped; the plan continues with the one after."""
        start = await self.next_start(network) or self.now()
        async with self.bot.db.session() as s:
            rounds = Rounds(s)
            number = await rounds.last_number(network.id) + 1
            await self._add_skipped(rounds, network, number, start)
        await self.ensure_scheduled(network)
        log.info("samsnakk round %s of network %s skipped by a leader", number, network.id)
        return number

    async def _add_skipped(self, rounds: Rounds, network: Network, number: int, start: datetime) -> None:
        await rounds.add(
            network_id=network.id,
            number=number,
            status="skipped",
            seed=round_seed(network.id, number),
            prompt="",
            starts_at=start,
            ends_at=start,
            created_at=self.now(),
        )

    async def hold(
        self, network: Network, number: int, *, starts_at: datetime | None = None, paired: PairingResult | None = None
    ) -> SamsnakkRound:
        """Hold round `number`, starting at `starts_at` (its planned time) or now; with the groups
        `paired` already made for it (pairing a large network takes a while), or pairing now."""
        async with self.bot.db.session() as s:
            existing = await Rounds(s).by_number(network.id, number)
        if existing is None:
            existing = await self._create(network, number, starts_at or self.now(), paired)
        if existing.status == "open":
            await self._open_groups(network, existing)
        return existing

    async def _create(
        self, network: Network, number: int, start: datetime, paired: PairingResult | None = None
    ) -> SamsnakkRound:
        result = paired or await self._pair(network, number)
        now = self.now()
        t = self.bot.translator_for(None, network)
        length = self.round_length(network)
        status = "open" if result.groups else "skipped"
        async with self.bot.db.session() as s:
            rounds = Rounds(s)
            row = await rounds.add(
                network_id=network.id,
                number=number,
                status=status,
                seed=result.seed,
                prompt=prompt_text(self.bot, network, t),
                starts_at=start,
                ends_at=start + length - timedelta(days=1),
                created_at=now,
            )
            await rounds.add_groups(row.id, result.groups)
        # Counts and ids only: never names or schools in the log.
        log.info("samsnakk round network=%s round=%s %s", network.id, number, result.explain())
        if status == "open":
            half = start + (row.ends_at - start) / 2
            await self.bot.scheduler.schedule(
                "samsnakk.checkin", half, {"round_id": row.id}, key=f"samsnakk.checkin:{row.id}"
            )
            await self.bot.scheduler.schedule(
                "samsnakk.end", row.ends_at, {"round_id": row.id}, key=f"samsnakk.end:{row.id}"
            )
        return row

    async def _open_groups(self, network: Network, row: SamsnakkRound) -> None:
        t = self.bot.translator_for(None, network)
        failed = 0
        async with self.bot.db.session() as s:
            groups = await Rounds(s).groups(row.id)
            people = {m.id: m for m in await Members(s).in_network(network.id)}
        for group, member_ids in groups:
            members = [people[i] for i in member_ids if i in people]
            if len(members) < 2:
                continue
            conv = await self._conversation(group.id, group.conversation, members)
            if conv is None:
                failed += 1
                continue
            end = format_when(row.ends_at, network_tz(network), t.language)
            message = cards.round_intro(t, row, group.id, members, end)
            await self.bot.outbox.deliver(f"samsnakk:r{row.id}:g{group.id}:intro", Destination.group(conv), message)
        if failed:
            # The scheduler runs the job again later; groups already opened are not opened twice.
            raise RuntimeError(f"samsnakk round {row.id}: {failed} group conversation(s) could not be opened")

    async def _conversation(
        self, group_id: int, stored: dict[str, Any] | None, members: list[Member]
    ) -> Conversation | None:
        if stored:
            return Conversation.from_dict(stored)
        try:
            conv = await self.bot.open_group([self.bot.user_of(m) for m in members], "samsnakk to-og-to")
        except DeliveryError as error:
            log.warning("samsnakk: could not open group %s (%s)", group_id, error.code)
            return None
        async with self.bot.db.session() as s:
            found = await Rounds(s).get_group(group_id)
            if found is not None:
                found[0].conversation = conv.to_dict()
        return conv

    async def checkin_job(self, payload: dict[str, Any], run: JobRun) -> None:
        round_id = int(payload["round_id"])
        async with self.bot.db.session() as s:
            row = await Rounds(s).get(round_id)
            groups = await Rounds(s).groups(round_id) if row else []
            network = await Networks(s).get(row.network_id) if row else None
        if row is None or network is None or row.status != "open" or row.ends_at <= run.now:
            return
        t = self.bot.translator_for(None, network)
        for group, _ids in groups:
            if group.status != "pending" or not group.conversation:
                continue
            dest = Destination.group(Conversation.from_dict(group.conversation))
            await self.bot.outbox.deliver(f"samsnakk:r{round_id}:g{group.id}:checkin", dest, cards.checkin(t, group.id))

    async def end_job(self, payload: dict[str, Any], run: JobRun) -> None:
        round_id = int(payload["round_id"])
        async with self.bot.db.session() as s:
            row = await Rounds(s).get(round_id)
            if row is None or row.status != "open":
                return
            row.status = "closed"
            groups = await Rounds(s).groups(round_id)
            people = {m.id: m for m in await Members(s).in_network(row.network_id)}
            network = await Networks(s).get(row.network_id)
        for group, member_ids in groups:
            if group.status == "skipped":
                continue
            for member_id in member_ids:
                member = people.get(member_id)
                if member is None:
                    continue
                t = self.bot.translator_for(member, network)
                message = cards.round_over(t, row.number, group.id)
                await self.bot.send_dm(member, message, key=f"samsnakk:r{round_id}:note:{member_id}")
        stats = await self.stats_of(row)
        log.info("samsnakk round %s closed: paired=%s met=%s notes=%s", round_id, stats.paired, stats.met, stats.notes)

    # -- answers ------------------------------------------------------------------------------------
    async def set_met(self, member: Member, group_id: int | None, status: str) -> int:
        if status not in STATUSES:
            raise SamsnakkError("Answer ja, ikke-ennå or hopp (yes, not-yet or skip).")
        async with self.bot.db.session() as s:
            rounds = Rounds(s)
            if group_id is None:
                current = await rounds.current_group_of(member.id)
                if current is None:
                    raise SamsnakkError("You are not in a samsnakk round yet. Join with /samsnakk på.")
                group_id = current[1].id
            found = await rounds.get_group(group_id)
            if found is None or member.id not in found[1]:
                raise SamsnakkError("This samsnakk group is not yours.")
            found[0].status = status
            return group_id

    async def share_note(self, network: Network, member: Member, target: str | None, text: str) -> None:
        """Save a one-line learning note (core table, source "samsnakk") and count it for its round or call."""
        text = " ".join(text.split())
        if not text:
            raise SamsnakkError("Write your learning note after the command: /samsnakk notat <one line>.")
        if len(text) > NOTE_LIMIT:
            raise SamsnakkError(
                "Keep the note to one line (at most {max} characters); yours has {n}.", max=NOTE_LIMIT, n=len(text)
            )
        if target is not None:
            await self.note_target(member, target)
        now = self.now()
        async with self.bot.db.session() as s:
            await Notes(s).add(network.id, member.id, "samsnakk", text, now)
            rounds, calls = Rounds(s), Calls(s)
            if target is None:
                current = await rounds.current_group_of(member.id)
                target = f"g{current[1].id}" if current else None
            if target and target.startswith("g"):
                link = await rounds.membership(int(target[1:]), member.id)
                if link is not None:
                    link.note_shared = True
            elif target and target.startswith("c"):
                call = await calls.get(int(target[1:]))
                if call is not None and call.requester_id == member.id:
                    call.requester_noted = True
                elif call is not None and call.partner_id == member.id:
                    call.partner_noted = True

    async def note_target(self, member: Member, target: str) -> None:
        """A note button's `g<group>` or `c<call>`: one of the member's own groups or calls, or NotYours."""
        kind, object_id = target[:1], pointer_id(target[1:])
        async with self.bot.db.read() as s:
            if kind == "g" and await Rounds(s).membership(object_id, member.id) is not None:
                return
            call = await Calls(s).get(object_id) if kind == "c" else None
            if call is not None and member.id in (call.requester_id, call.partner_id, call.guest_id):
                return
        raise NotYours()

    # -- stats ---------------------------------------------------------------------------------------
    async def stats_of(self, row: SamsnakkRound) -> RoundStats:
        async with self.bot.db.session() as s:
            paired, met, notes = await Rounds(s).stats(row.id)
        return RoundStats(row.number, row.status, row.starts_at, paired, met, notes)

    async def recent_stats(self, network: Network, limit: int = 6) -> list[RoundStats]:
        async with self.bot.db.session() as s:
            rows = await Rounds(s).recent(network.id, limit)
        return [await self.stats_of(r) for r in rows]

    async def opted_in_count(self, network: Network) -> int:
        async with self.bot.db.session() as s:
            return sum(is_opted_in(self.bot, m) for m in await Members(s).in_network(network.id))
