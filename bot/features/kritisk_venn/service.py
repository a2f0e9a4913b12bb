"""Kritisk venn: running the protocol, free of any chat platform.

A round moves inviting → running (phase 0..6) → done (or cancelled). All state is in the
database and every deadline is a scheduler job keyed by the round's token, so a restart in the
middle of a round loses nothing. Shared posts (announcement, phases) go through the outbox.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.adapter import DeliveryError, Destination
from bot.events import Conversation
from bot.features.kritisk_venn import messages as msg
from bot.features.kritisk_venn.phases import (
    DECLINE_REST,
    LAST_PHASE,
    PHASES,
    classify_cool,
    invitation_deadline,
    phase_times,
)
from bot.features.kritisk_venn.selection import Candidate, choose_friends
from bot.i18n import N_
from bot.mentions import MENTION, find_member
from bot.messages import Context as ContextLine
from bot.messages import Message, Text
from storage.models.core import Member, Network
from storage.models.kritisk_venn import KvSession
from storage.repositories.core import Members, Networks, Notes
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core import Bot

log = logging.getLogger(__name__)

OPTION = "kritiskvenn"
MAX_FRIENDS = 4
MIN_FRIENDS = 2
LATE_PHASE = LAST_PHASE + 1  # contributions that came after the round ended
BEGIN_RETRY = timedelta(minutes=1)

JOB_DEADLINE = "kritisk_venn.deadline"
JOB_REMIND = "kritisk_venn.remind"
JOB_INVITE = "kritisk_venn.invitation_expired"
JOB_BEGIN = "kritisk_venn.begin"


class KvError(Exception):
    """Something the user can fix; `msgid` is an English text translated by the handler."""

    def __init__(self, msgid: str, **kwargs: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.kwargs = kwargs


@dataclass(frozen=True)
class Request:
    kind: str
    practice: str
    focus: str
    friends_wanted: int
    pace: str
    venue: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Created:
    session: KvSession
    invited: list[str]  # display names
    not_found: list[str]  # mentions that named nobody who can be asked
    short: int  # how many friends are missing even after asking everyone eligible


@dataclass(frozen=True)
class Contributed:
    """What happened to a text: `outcome` is stored, late, listen, too_early, not_started,
    cancelled or not_participant."""

    outcome: str
    session: KvSession
    phase: int = -1


def conversation_key(conv: Conversation) -> str:
    return f"{conv.platform}:{conv.workspace_id}:{conv.id}/{conv.thread_id or ''}"


def parse_request(values: dict[str, str]) -> Request:
    practice = (values.get("practice") or "").strip()
    focus = (values.get("focus") or "").strip()
    if not practice:
        raise KvError(N_("Describe your practice or dilemma, so the critical friends know what it is about."))
    if not focus:
        raise KvError(N_("Write a focus question: the one thing you most want help to think about."))
    raw = (values.get("friends") or "3").strip()
    try:
        wanted = int(raw)
    except ValueError:
        raise KvError(N_("The number of critical friends must be a whole number from 2 to 4.")) from None
    if not MIN_FRIENDS <= wanted <= MAX_FRIENDS:
        raise KvError(N_("The number of critical friends must be a whole number from 2 to 4."))
    pace = {"live": "live", "direkte": "live", "days": "days", "dager": "days", "": "days"}.get(
        (values.get("pace") or "").strip().lower()
    )
    venue = {"thread": "thread", "tråd": "thread", "group": "group", "gruppe": "group", "": "thread"}.get(
        (values.get("venue") or "").strip().lower()
    )
    kind = {"practice": "practice", "praksis": "practice", "dilemma": "dilemma", "": "practice"}.get(
        (values.get("kind") or "").strip().lower()
    )
    if pace is None or venue is None or kind is None:
        raise KvError(N_("Choose one of the options in the form."))
    names = tuple(dict.fromkeys(MENTION.findall(values.get("names") or "")))
    return Request(kind, practice, focus, wanted, pace, venue, names)


class KritiskVennService:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    # -- small helpers -------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.bot.clock.now()

    async def _network(self, network_id: int) -> Network:
        async with self.bot.db.session() as s:
            network = await Networks(s).get(network_id)
        assert network is not None
        return network

    async def _load(self, session_id: int) -> tuple[KvSession, Member, Network] | None:
        async with self.bot.db.session() as s:
            session = await KritiskVennRepo(s).get(session_id)
            if session is None:
                return None
            presenter = await Members(s).get(session.presenter_id)
            network = await Networks(s).get(session.network_id)
        assert presenter is not None and network is not None
        return session, presenter, network

    async def _accepted(self, session_id: int) -> list[Member]:
        async with self.bot.db.session() as s:
            return [m for _f, m in await KritiskVennRepo(s).friends(session_id, ("accepted",))]

    def _when(self, member: Member | None, network: Network, moment: datetime) -> str:
        return msg.when(self.bot.translator_for(member, network), moment, network.timezone, self._now())

    async def _dm(self, key: str, member: Member, message: Message) -> None:
        await self.bot.outbox.deliver(key, Destination.dm(self.bot.user_of(member)), message)

    async def get(self, session_id: int) -> KvSession | None:
        async with self.bot.db.session() as s:
            return await KritiskVennRepo(s).get(session_id)

    async def by_conversation(self, conv: Conversation) -> KvSession | None:
        async with self.bot.db.session() as s:
            return await KritiskVennRepo(s).by_conversation(conversation_key(conv))

    async def sessions_of(self, member: Member) -> list[tuple[KvSession, Member, str | None]]:
        """(round, presenter, my answer as a friend or None when I present), newest first."""
        async with self.bot.db.session() as s:
            repo, members = KritiskVennRepo(s), Members(s)
            result = []
            for session in await repo.of_member(member.id):
                presenter = await members.get(session.presenter_id)
                assert presenter is not None
                friend = None if session.presenter_id == member.id else await repo.friend(session.id, member.id)
                result.append((session, presenter, friend.status if friend else None))
            return result

    async def friend_counts(self, session_id: int) -> tuple[int, int]:
        """(said yes, not answered yet)."""
        async with self.bot.db.session() as s:
            friends = await KritiskVennRepo(s).friends(session_id, ("accepted", "invited"))
        return sum(f.status == "accepted" for f, _ in friends), sum(f.status == "invited" for f, _ in friends)

    # -- starting a round ----------------------------------------------------------------------
    async def create(self, network: Network, presenter: Member, origin: Conversation, request: Request) -> Created:
        now = self._now()
        not_found: list[str] = []
        named: list[Member] = []
        async with self.bot.db.session() as s:
            for token in request.names:
                found = await find_member(s, network.id, token)
                if found is None or found.id == presenter.id or not self.bot.settings.member_value(found, OPTION):
                    not_found.append(token)
                elif found.id not in {m.id for m in named}:
                    named.append(found)
            named = named[:MAX_FRIENDS]
            session = await KritiskVennRepo(s).add(
                token=secrets.token_hex(8),
                network_id=network.id,
                presenter_id=presenter.id,
                kind=request.kind,
                practice=request.practice,
                focus_question=request.focus,
                friends_wanted=max(request.friends_wanted, len(named)),
                pace=request.pace,
                venue=request.venue,
                status="inviting",
                phase=-1,
                origin={"platform": origin.platform, "workspace_id": origin.workspace_id, "id": origin.id,
                        "thread_id": None, "is_direct": origin.is_direct},
                created_at=now,
            )  # fmt: skip
            for member in named:
                await KritiskVennRepo(s).add_friend(session.id, member.id, "named", "invited", now)
        for member in named:
            await self._send_invitation(session, presenter, network, member, "named")
        chosen = await self._invite_more(session, presenter, network)
        short = session.friends_wanted - len(named) - len(chosen)
        return Created(session, [m.display_name for m in named + chosen], not_found, max(0, short))

    async def _invite_more(self, session: KvSession, presenter: Member, network: Network) -> list[Member]:
        """Invite as many as the round still needs, chosen fairly; returns who was invited."""
        now = self._now()
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            taking_part = await repo.friends(session.id, ("invited", "accepted"))
            needed = session.friends_wanted - len(taking_part)
            if needed <= 0:
                return []
            asked_here = {f.member_id for f, _ in await repo.friends(session.id)}
            history = await repo.rotation_history(network.id, now - DECLINE_REST)
            busy = await repo.busy_members(network.id)
            members = {m.id: m for m in await Members(s).in_network(network.id)}
            candidates = [
                Candidate(
                    member_id=m.id,
                    school=m.school,
                    turns=history.get(m.id, (0, None, False))[0],
                    last_asked=history.get(m.id, (0, None, False))[1],
                    opted_in=bool(self.bot.settings.member_value(m, OPTION)),
                    declined_recently=history.get(m.id, (0, None, False))[2],
                    unavailable=m.id in asked_here or m.id in busy,
                )
                for m in members.values()
            ]
            chosen = [members[c.member_id] for c in choose_friends(presenter.id, presenter.school, candidates, needed)]
            for member in chosen:
                await repo.add_friend(session.id, member.id, "chosen", "invited", now)
        for member in chosen:
            await self._send_invitation(session, presenter, network, member, "chosen")
        return chosen

    async def _send_invitation(
        self, session: KvSession, presenter: Member, network: Network, member: Member, source: str
    ) -> None:
        deadline = invitation_deadline(session.pace, self._now(), network.timezone)
        t = self.bot.translator_for(member, network)
        message = msg.invitation(t, session, presenter, self._when(member, network, deadline), source)
        await self._dm(f"kv:{session.token}:invite:{member.id}", member, message)
        await self.bot.scheduler.schedule(
            JOB_INVITE, deadline, {"session": session.id, "token": session.token, "member": member.id},
            key=f"kv:{session.token}:invite-expiry:{member.id}",
        )  # fmt: skip

    async def _after_no(self, session_id: int) -> None:
        """Someone said no or did not answer: ask the next one, or tell the presenter we are stuck."""
        loaded = await self._load(session_id)
        if loaded is None:
            return
        session, presenter, network = loaded
        if session.status != "inviting":
            return
        await self._invite_more(session, presenter, network)
        accepted, pending = await self.friend_counts(session.id)
        if accepted >= session.friends_wanted:
            await self.begin(session.id)
            return
        if pending == 0:
            # Keyed by how many have been asked, so the presenter hears once per dead end.
            async with self.bot.db.session() as s:
                asked = len(await KritiskVennRepo(s).friends(session.id))
            t = self.bot.translator_for(presenter, network)
            await self._dm(f"kv:{session.token}:stuck:{asked}", presenter, msg.shortfall(t, session, accepted, 0))

    async def answer(self, session_id: int, member: Member, yes: bool) -> str:
        """A friend's (or volunteer's) answer; returns an English msgid for the reply."""
        loaded = await self._load(session_id)
        if loaded is None or loaded[0].network_id != member.network_id:
            raise KvError(N_("There is no kritisk venn round #{id}."), id=session_id)
        session, presenter, _network = loaded
        if member.id == presenter.id:
            raise KvError(N_("This is your own round; you are the presenter."))
        now = self._now()
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            friend = await repo.friend(session.id, member.id)
            if friend is not None and friend.status == "accepted":
                return N_("You have already said yes to round #{id}. Thank you!")
            if session.status != "inviting":
                if session.status == "running":
                    return N_("Round #{id} has already started with the friends it needs; thank you all the same.")
                return N_("Round #{id} is over; thank you all the same.")
            if not yes:
                if friend is None or friend.status != "invited":
                    return N_("Noted. You were not on the list for round #{id}.")
                await repo.answer(session.id, member.id, ("invited",), "declined", now)
            elif friend is not None and friend.status == "invited":
                await repo.answer(session.id, member.id, ("invited",), "accepted", now)
            elif session.open_to_volunteers:
                if friend is None:
                    await repo.add_friend(session.id, member.id, "volunteer", "accepted", now)
                else:
                    await repo.answer(session.id, member.id, (friend.status,), "accepted", now)
            else:
                return N_("Your invitation to round #{id} is no longer open; thank you all the same.")
        await self.bot.scheduler.cancel(f"kv:{session.token}:invite-expiry:{member.id}")
        if not yes:
            await self._after_no(session.id)
            return N_("Thank you for answering. Maybe another time!")
        accepted, _pending = await self.friend_counts(session.id)
        if accepted >= session.friends_wanted:
            await self.begin(session.id)
            return N_("Thank you! Round #{id} starts now; you will find it in the thread or group I just opened.")
        return N_("Thank you! I will tell you when round #{id} starts.")

    async def invitation_expired(self, session_id: int, token: str, member_id: int) -> None:
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            session = await repo.get(session_id)
            if session is None or session.token != token:
                return
            expired = await repo.answer(session_id, member_id, ("invited",), "expired", self._now())
        if expired:
            await self._after_no(session_id)

    async def open_to_volunteers(self, session_id: int, member: Member) -> None:
        session, presenter, network = await self._presenter_only(session_id, member)
        if session.status != "inviting":
            raise KvError(N_("Round #{id} is not looking for critical friends any more."), id=session.id)
        async with self.bot.db.session() as s:
            row = await KritiskVennRepo(s).get(session.id)
            assert row is not None
            row.open_to_volunteers = True
        channel = await self._channel_for(session, network)
        if channel is None:
            raise KvError(N_("I have no channel in this network to ask for volunteers in."))
        t = self.bot.translator_for(None, network)
        await self.bot.outbox.deliver(
            f"kv:{session.token}:volunteers", Destination.channel(channel), msg.volunteer_call(t, session, presenter),
            notify_member_id=presenter.id,
        )  # fmt: skip

    async def start_now(self, session_id: int, member: Member) -> None:
        session, _presenter, _network = await self._presenter_only(session_id, member)
        if session.status != "inviting":
            raise KvError(N_("Round #{id} has already started or ended."), id=session.id)
        accepted, _pending = await self.friend_counts(session.id)
        if accepted == 0:
            raise KvError(N_("Nobody has said yes yet, so there is nobody to start with."))
        await self.begin(session.id)

    async def _presenter_only(self, session_id: int, member: Member) -> tuple[KvSession, Member, Network]:
        loaded = await self._load(session_id)
        if loaded is None or loaded[0].network_id != member.network_id:
            raise KvError(N_("There is no kritisk venn round #{id}."), id=session_id)
        if loaded[1].id != member.id:
            raise KvError(N_("Only the presenter of round #{id} can do that."), id=session_id)
        return loaded

    async def _channel_for(self, session: KvSession, network: Network) -> Conversation | None:
        origin = Conversation(**session.origin)
        if not origin.is_direct:
            return origin
        async with self.bot.db.session() as s:
            channels = [c for c in await Networks(s).channels(network.id) if c.platform == origin.platform]
        if not channels:
            return None
        return Conversation(channels[0].platform, channels[0].workspace_id, channels[0].channel_id)

    # -- running a round -----------------------------------------------------------------------
    async def begin(self, session_id: int) -> None:
        """Open the thread or group and start phase 1. Safe to call again (it is retried)."""
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            session = await repo.get(session_id)
            if session is None or session.status not in ("inviting", "running") or session.phase >= 0:
                return
            if session.status == "inviting":
                await repo.set_status(session.id, ("inviting",), "running", self._now())
                closed = await repo.withdraw_open_invitations(session.id, self._now())
            else:
                closed = []
        for member_id in closed:
            await self.bot.scheduler.cancel(f"kv:{session.token}:invite-expiry:{member_id}")
        loaded = await self._load(session_id)
        assert loaded is not None
        session, presenter, network = loaded
        friends = await self._accepted(session.id)
        conversation = (
            None if session.conversation_gone else await self._open_conversation(session, presenter, network, friends)
        )
        if conversation is None and not session.conversation_gone:
            return  # the announcement is still on its way; the begin job tries again
        for friend in friends:
            t = self.bot.translator_for(friend, network)
            where = (
                t.t("in the thread under the announcement in the channel")
                if session.venue == "thread"
                else t.t("in a group conversation with you, the presenter and the other friends")
            )
            await self._dm(f"kv:{session.token}:started:{friend.id}", friend, Message.of(
                Text(t.t("Kritisk venn #{id} with {name} has started, {where}. I announce each phase there with "
                         "its purpose and sentence starters.", id=session.id, name=presenter.display_name,
                         where=where)),
                ContextLine(t.t("/kritiskvenn status shows where the round is.")),
            ))  # fmt: skip
        await self._enter_phase(session.id, -1, 0)

    async def _open_conversation(
        self, session: KvSession, presenter: Member, network: Network, friends: list[Member]
    ) -> Conversation | None:
        if session.conversation:
            return Conversation(**session.conversation)
        adapter = self.bot.adapters.get(session.origin["platform"])
        channel = await self._channel_for(session, network)
        conversation: Conversation | None = None
        gone = False
        t = self.bot.translator_for(None, network)
        try:
            if session.venue == "thread" and channel is not None and adapter is not None:
                result = await self.bot.outbox.deliver(
                    f"kv:{session.token}:announce", Destination.channel(channel),
                    msg.announcement(t, session, presenter, friends),
                )  # fmt: skip
                if result.sent is None:
                    if result.status == "failed":
                        gone = True
                    else:
                        await self.bot.scheduler.schedule(JOB_BEGIN, self._now() + BEGIN_RETRY,
                                                          {"session": session.id, "token": session.token},
                                                          key=f"kv:{session.token}:begin")  # fmt: skip
                        return None
                else:
                    conversation = await adapter.start_thread(result.sent, t.t("Kritisk venn #{id}", id=session.id))
            elif adapter is not None:
                users = [self.bot.user_of(m) for m in (presenter, *friends)]
                conversation = await adapter.open_group(users, t.t("Kritisk venn #{id}", id=session.id))
            else:
                gone = True
        except DeliveryError as error:
            log.warning("kritisk venn: could not open the conversation for a round (%s)", error.code)
            gone = True
        async with self.bot.db.session() as s:
            row = await KritiskVennRepo(s).get(session.id)
            assert row is not None
            if conversation is not None:
                row.conversation = _conv_dict(conversation)
                row.conversation_key = conversation_key(conversation)
            row.conversation_gone = gone
        session.conversation_gone = gone
        if conversation is not None:
            session.conversation = _conv_dict(conversation)
        if gone:
            await self._tell_presenter_gone(session, presenter, network, opened=False)
        return conversation

    async def _enter_phase(self, session_id: int, from_phase: int, to_phase: int) -> None:
        loaded = await self._load(session_id)
        if loaded is None:
            return
        session, presenter, network = loaded
        now = self._now()
        remind_at, deadline = phase_times(session.pace, to_phase, now, network.timezone)
        async with self.bot.db.session() as s:
            moved = await KritiskVennRepo(s).move_phase(session.id, from_phase, to_phase, now, deadline)
        if not moved:
            return
        session.phase = to_phase
        payload = {"session": session.id, "token": session.token, "phase": to_phase}
        await self.bot.scheduler.schedule(
            JOB_DEADLINE, deadline, payload, key=f"kv:{session.token}:deadline:{to_phase}"
        )
        if PHASES[to_phase].speakers != "nobody":
            await self.bot.scheduler.schedule(
                JOB_REMIND, remind_at, payload, key=f"kv:{session.token}:remind:{to_phase}"
            )
        friends = await self._accepted(session.id)
        t = self.bot.translator_for(None, network)
        message = msg.phase_message(t, session, to_phase, presenter, self._when(None, network, deadline), friends)
        await self._post(session, presenter, network, f"phase:{to_phase}", message)

    async def advance(self, session_id: int, member: Member, expected_phase: int | None = None) -> int:
        """ "Neste fase" from the presenter or a network leader; returns the phase that was left."""
        loaded = await self._load(session_id)
        if loaded is None or loaded[0].network_id != member.network_id:
            raise KvError(N_("There is no kritisk venn round #{id}."), id=session_id)
        session, presenter, _network = loaded
        if member.id != presenter.id and not member.is_leader:
            raise KvError(N_("Only the presenter or a network leader can move the round on."))
        if session.status != "running" or session.phase < 0:
            raise KvError(N_("Round #{id} is not running."), id=session.id)
        if expected_phase is not None and expected_phase != session.phase:
            raise KvError(N_("The round has already moved on."))
        await self._leave_phase(session, session.phase)
        return session.phase

    async def _leave_phase(self, session: KvSession, phase: int) -> None:
        await self.bot.scheduler.cancel(f"kv:{session.token}:deadline:{phase}")
        await self.bot.scheduler.cancel(f"kv:{session.token}:remind:{phase}")
        if phase >= LAST_PHASE:
            await self._finish(session.id)
        else:
            await self._enter_phase(session.id, phase, phase + 1)

    async def deadline_reached(self, session_id: int, token: str, phase: int) -> None:
        session = await self.get(session_id)
        if session is None or session.token != token or session.status != "running" or session.phase != phase:
            return
        await self._leave_phase(session, phase)

    async def remind(self, session_id: int, token: str, phase: int) -> None:
        loaded = await self._load(session_id)
        if loaded is None:
            return
        session, presenter, network = loaded
        if session.token != token or session.status != "running" or session.phase != phase:
            return
        missing = await self._still_to_write(session, presenter)
        assert session.phase_deadline is not None
        for member in missing:
            t = self.bot.translator_for(member, network)
            deadline = self._when(member, network, session.phase_deadline)
            await self._dm(f"kv:{session.token}:remind:{phase}:{member.id}", member,
                           msg.reminder(t, session, phase, deadline, presenter))  # fmt: skip

    async def _still_to_write(self, session: KvSession, presenter: Member) -> list[Member]:
        speakers = PHASES[session.phase].speakers
        expected: list[Member] = []
        if speakers in ("friends", "everyone"):
            expected += await self._accepted(session.id)
        if speakers in ("presenter", "everyone"):
            expected.append(presenter)
        async with self.bot.db.session() as s:
            written = await KritiskVennRepo(s).contributors_in_phase(session.id, session.phase)
        return [m for m in expected if m.id not in written]

    async def contribute(self, session_id: int, member: Member, text: str, phase_hint: int | None = None,
                         kind_hint: str | None = None) -> Contributed:  # fmt: skip
        loaded = await self._load(session_id)
        if loaded is None or loaded[0].network_id != member.network_id:
            raise KvError(N_("There is no kritisk venn round #{id}."), id=session_id)
        session, presenter, network = loaded
        is_presenter = member.id == presenter.id
        async with self.bot.db.session() as s:
            friend = await KritiskVennRepo(s).friend(session.id, member.id)
        is_friend = friend is not None and friend.status == "accepted"
        if not is_presenter and not is_friend:
            return Contributed("not_participant", session)
        if session.status == "cancelled":
            return Contributed("cancelled", session)
        if session.status == "inviting" or session.phase < 0:
            return Contributed("not_started", session)
        if session.status == "done":
            late_id = await self._store(session, member, LATE_PHASE, "late", text)
            if not is_presenter:
                t = self.bot.translator_for(presenter, network)
                await self._dm(f"kv:{session.token}:late:{late_id}", presenter,
                               Message.of(Text(t.t("A late contribution to your round #{id} from {name}:",
                                                   id=session.id, name=member.display_name)), Text(text)))  # fmt: skip
            return Contributed("late", session, LATE_PHASE)
        phase_index = session.phase if phase_hint is None or phase_hint > session.phase else phase_hint
        outcome, kind = kind_for(phase_index, is_presenter, text, kind_hint)
        if outcome != "stored":
            return Contributed(outcome, session, phase_index)
        phase = PHASES[phase_index]
        await self._store(session, member, phase_index, kind, text)
        if phase_index == session.phase and not await self._still_to_write(session, presenter):
            if phase.speakers != "nobody":
                await self._leave_phase(session, phase_index)
        return Contributed("stored", session, phase_index)

    async def _store(self, session: KvSession, member: Member, phase: int, kind: str, text: str) -> int:
        async with self.bot.db.session() as s:
            row = await KritiskVennRepo(s).contribute(session.id, member.id, phase, kind, text, self._now())
            return row.id

    async def _finish(self, session_id: int) -> None:
        async with self.bot.db.session() as s:
            finished = await KritiskVennRepo(s).set_status(session_id, ("running",), "done", self._now())
        loaded = await self._load(session_id)
        if not finished or loaded is None:
            return
        session, presenter, network = loaded
        t = self.bot.translator_for(None, network)
        closing = Message.of(
            Text(t.t("Kritisk venn #{id} is finished. Thank you for kind and honest questions and feedback! "
                     "{name} gets a summary.", id=session.id, name=presenter.display_name)),
            ContextLine(t.t("What is written here after the end is passed on to {name}.", name=presenter.display_name)),
        )  # fmt: skip
        await self._post(session, presenter, network, "closing", closing)
        async with self.bot.db.session() as s:
            contributions = [
                (c, m) for c, m in await KritiskVennRepo(s).contributions(session.id) if c.kind not in ("late",)
            ]
        tp = self.bot.translator_for(presenter, network)
        await self._dm(f"kv:{session.token}:summary", presenter, msg.summary(tp, session, contributions))

    async def cancel(self, session_id: int, member: Member) -> None:
        session, presenter, network = await self._presenter_only(session_id, member)
        now = self._now()
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            if not await repo.set_status(session.id, ("inviting", "running"), "cancelled", now):
                raise KvError(N_("Round #{id} has already ended."), id=session.id)
            closed = await repo.withdraw_open_invitations(session.id, now)
        for member_id in closed:
            await self.bot.scheduler.cancel(f"kv:{session.token}:invite-expiry:{member_id}")
        await self.bot.scheduler.cancel(f"kv:{session.token}:deadline:{session.phase}")
        await self.bot.scheduler.cancel(f"kv:{session.token}:remind:{session.phase}")
        await self.bot.scheduler.cancel(f"kv:{session.token}:begin")
        for friend in await self._accepted(session.id):
            t = self.bot.translator_for(friend, network)
            await self._dm(f"kv:{session.token}:cancelled:{friend.id}", friend, Message.text(
                t.t("{name} has cancelled kritisk venn #{id}. Thank you for saying yes!",
                    name=presenter.display_name, id=session.id)))  # fmt: skip
        if session.conversation and session.phase >= 0:
            t = self.bot.translator_for(None, network)
            await self._post(session, presenter, network, "cancelled", Message.text(
                t.t("{name} has cancelled this round. Thank you all.", name=presenter.display_name)))  # fmt: skip

    async def share_note(self, session_id: int, member: Member, text: str) -> None:
        session, _presenter, _network = await self._presenter_only(session_id, member)
        if session.status != "done":
            raise KvError(N_("You can share a learning note when round #{id} is finished."), id=session.id)
        text = text.strip()
        if not text:
            raise KvError(N_("Write the learning note: /kritiskvenn del {id} <text>"), id=session.id)
        if len(text) > 500:
            raise KvError(N_("A learning note is at most 500 characters; yours has {n}."), n=len(text))
        async with self.bot.db.session() as s:
            await Notes(s).add(session.network_id, member.id, "kritisk_venn", text, self._now())
            row = await KritiskVennRepo(s).get(session.id)
            assert row is not None
            row.note_shared = True

    async def reflection_of(self, session_id: int) -> str:
        async with self.bot.db.session() as s:
            return "\n".join(c.text for c, _m in await KritiskVennRepo(s).contributions(session_id)
                             if c.kind == "reflection")  # fmt: skip

    # -- posting where the round runs ----------------------------------------------------------
    async def _post(self, session: KvSession, presenter: Member, network: Network, name: str, message: Message) -> None:
        """Post in the round's thread or group; if the platform says it is gone, go on in DMs."""
        key = f"kv:{session.token}:{name}"
        if session.conversation and not session.conversation_gone:
            conv = Conversation(**session.conversation)
            dest = (
                Destination.channel(conv) if session.venue == "thread" and conv.thread_id else Destination.group(conv)
            )
            result = await self.bot.outbox.deliver(key, dest, message)
            if result.status != "failed":
                return
            async with self.bot.db.session() as s:
                row = await KritiskVennRepo(s).get(session.id)
                if row is None:
                    return
                row.conversation_gone = True
            session.conversation_gone = True
            await self._tell_presenter_gone(session, presenter, network, opened=True)
        for member in [presenter, *await self._accepted(session.id)]:
            await self._dm(f"{key}:dm:{member.id}", member, message)

    async def _tell_presenter_gone(self, session: KvSession, presenter: Member, network: Network, opened: bool) -> None:
        t = self.bot.translator_for(presenter, network)
        first = (
            t.t(
                "The thread or group of your kritisk venn round #{id} has been deleted on the platform, "
                "or I can no longer post there.",
                id=session.id,
            )
            if opened
            else t.t("I could not open a thread or group for your kritisk venn round #{id}.", id=session.id)
        )
        await self._dm(f"kv:{session.token}:gone", presenter, Message.of(
            Text(first),
            Text(t.t("Everything written so far is kept, and you still get the summary. The round goes on in "
                     "direct messages: each phase comes to you and the friends, who contribute with the button or "
                     "/kritiskvenn bidra {id} <text>.", id=session.id)),
        ))  # fmt: skip

    # -- personal data -------------------------------------------------------------------------
    async def running_for(self, member: Member) -> list[tuple[KvSession, Member, str | None]]:
        return [row for row in await self.sessions_of(member) if row[0].status in ("inviting", "running")]


def kind_for(phase_index: int, is_presenter: bool, text: str = "", hint: str | None = None) -> tuple[str, str]:
    """How a text in this phase is kept: ("stored", kind), or why it is not ("listen", "")."""
    phase = PHASES[phase_index]
    if phase.key == "presentation":
        return ("stored", "presentation") if is_presenter else ("too_early", "")
    if phase.key in ("clarifying", "probing"):
        return "stored", "answer" if is_presenter else phase.contribution_kind
    if phase.key in ("warm", "cool"):
        if is_presenter:
            return "listen", ""
        return "stored", hint or (classify_cool(text) if phase.key == "cool" else "warm")
    if phase.key == "reflection":
        return ("stored", "reflection") if is_presenter else ("listen_friend", "")
    return "stored", "debrief"


def _conv_dict(conv: Conversation) -> dict[str, Any]:
    return {"platform": conv.platform, "workspace_id": conv.workspace_id, "id": conv.id,
            "thread_id": conv.thread_id, "is_direct": conv.is_direct}  # fmt: skip
