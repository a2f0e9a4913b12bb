"""Kritisk venn: running a round — phases, contributions, deadlines, the summary.

A round moves inviting → running (phase 0..6) → done (or cancelled). All state is in the
database and every deadline is a scheduler job keyed by the round's token, so a restart in the
middle of a round loses nothing. Shared posts (announcement, phases) go through the outbox.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.adapter import DeliveryError, Destination
from bot.events import Conversation
from bot.features.kritisk_venn import cards
from bot.features.kritisk_venn.common import (
    BEGIN_RETRY,
    JOB_BEGIN,
    JOB_DEADLINE,
    JOB_REMIND,
    LATE_PHASE,
    Contributed,
    KvError,
    Rounds,
    conversation_key,
    kind_for,
)
from bot.features.kritisk_venn.phases import (
    LAST_PHASE,
    PHASES,
    phase_times,
)
from bot.i18n import N_
from bot.limits import check_length
from bot.messages import ContextLine, Message, Text
from storage.models.core import Member, Network
from storage.models.kritisk_venn import KvSession
from storage.repositories.core import Members, Notes
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core_api import CoreApi

log = logging.getLogger(__name__)


class RoundProtocol:
    """A round's phases: opening its thread or group, moving it on, collecting what is written, ending it."""

    def __init__(self, bot: CoreApi, rounds: Rounds) -> None:
        self.bot, self.rounds = bot, rounds

    async def begin(self, session_id: int, *, by_presenter: bool = False) -> None:
        """Open the thread or group and start phase 1. Safe to call again (it is retried).

        The presenter was promised word when the round starts, unless she started it herself."""
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            session = await repo.get(session_id)
            if session is None or session.status not in ("inviting", "running") or session.phase >= 0:
                return
            closed: list[int] = []
            if session.status == "inviting":
                if not await repo.set_status(session.id, ("inviting",), "running", self.rounds.now()):
                    return  # another answer started it a moment ago
                closed = await repo.withdraw_open_invitations(session.id, self.rounds.now())
        for member_id in closed:
            await self.bot.scheduler.cancel(f"kv:{session.token}:invite-expiry:{member_id}")
        loaded = await self.rounds.load(session_id)
        assert loaded is not None
        session, presenter, network = loaded
        await self._tell_withdrawn(session, presenter, network, closed, N_(
            "Your invitation to be a critical friend for {name} in round #{id} is no longer open: the round has "
            "started with those who said yes. Thank you all the same!"))  # fmt: skip
        friends = await self.rounds.accepted(session.id)
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
            await self.rounds.dm(f"kv:{session.token}:started:{friend.id}", friend, Message.of(
                Text(t.t("Kritisk venn #{id} with {name} has started, {where}. I announce each phase there with "
                         "its purpose and sentence starters.", id=session.id, name=presenter.display_name,
                         where=where)),
                ContextLine(t.t("/kritiskvenn status shows where the round is.")),
            ))  # fmt: skip
        await self._enter_phase(session.id, -1, 0)
        if not by_presenter:
            await self._tell_presenter_started(session, presenter, network, friends)

    async def _tell_presenter_started(
        self, session: KvSession, presenter: Member, network: Network, friends: list[Member]
    ) -> None:
        t = self.bot.translator_for(presenter, network)
        where = (
            t.t("in the thread under the announcement in the channel")
            if session.venue == "thread" and not session.conversation_gone
            else t.t("in a group conversation with you and the critical friends")
            if not session.conversation_gone
            else t.t("in direct messages")
        )
        names = ", ".join(f.display_name for f in friends)
        await self.rounds.dm(f"kv:{session.token}:started:{presenter.id}", presenter, Message.of(
            Text(t.t("Your kritisk venn round #{id} has started with {names}, {where}.",
                     id=session.id, names=names, where=where)),
            ContextLine(t.t("/kritiskvenn status shows where the round is.")),
        ))  # fmt: skip

    async def _tell_withdrawn(
        self, session: KvSession, presenter: Member, network: Network, member_ids: list[int], msgid: str
    ) -> None:
        """Those still asked when their invitation closed hear why, rather than find it out from a button."""
        async with self.bot.db.session() as s:
            members = [m for m in [await Members(s).get(i) for i in member_ids] if m is not None]
        for member in members:
            t = self.bot.translator_for(member, network)
            await self.rounds.dm(f"kv:{session.token}:withdrawn:{member.id}", member,
                           Message.text(t.t(msgid, name=presenter.display_name, id=session.id)))  # fmt: skip

    async def _open_conversation(
        self, session: KvSession, presenter: Member, network: Network, friends: list[Member]
    ) -> Conversation | None:
        if session.conversation:
            return Conversation.from_dict(session.conversation)
        channel = await self.rounds.channel_for(session, network)
        conversation: Conversation | None = None
        gone = False
        t = self.bot.translator_for(None, network)
        if session.venue == "thread" and channel is None:
            # Started from a direct message in a network without a known channel: a group will do.
            session.venue = "group"
        try:
            if session.venue == "thread" and channel is not None:
                result = await self.bot.outbox.deliver(
                    f"kv:{session.token}:announce", Destination.channel(channel),
                    cards.announcement(t, session, presenter, friends),
                )  # fmt: skip
                if result.sent is None:
                    if result.status == "failed":
                        gone = True
                    else:
                        retry_at = self.rounds.now() + BEGIN_RETRY
                        payload = {"session": session.id, "token": session.token}
                        key = f"kv:{session.token}:begin:{retry_at.isoformat()}"
                        await self.bot.scheduler.schedule(JOB_BEGIN, retry_at, payload, key=key)
                        return None
                else:
                    conversation = await self.bot.start_thread(result.sent, t.t("Kritisk venn #{id}", id=session.id))
            else:
                users = [self.bot.user_of(m) for m in (presenter, *friends)]
                conversation = await self.bot.open_group(users, t.t("Kritisk venn #{id}", id=session.id))
        except DeliveryError as error:
            log.warning("kritisk venn: could not open the conversation for a round (%s)", error.code)
            gone = True
        async with self.bot.db.session() as s:
            row = await KritiskVennRepo(s).get(session.id)
            assert row is not None
            row.venue = session.venue
            if conversation is not None:
                row.conversation = conversation.to_dict()
                row.conversation_key = conversation_key(conversation)
            row.conversation_gone = gone
        session.conversation_gone = gone
        if conversation is not None:
            session.conversation = conversation.to_dict()
        if gone:
            await self.rounds.tell_presenter_gone(session, presenter, network, opened=False)
        return conversation

    async def _enter_phase(self, session_id: int, from_phase: int, to_phase: int) -> None:
        loaded = await self.rounds.load(session_id)
        if loaded is None:
            return
        session, presenter, network = loaded
        now = self.rounds.now()
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
        friends = await self.rounds.accepted(session.id)
        t = self.bot.translator_for(None, network)
        message = cards.phase_message(
            t, session, to_phase, presenter, self.rounds.when(None, network, deadline), friends
        )
        await self.rounds.post(session, presenter, network, f"phase:{to_phase}", message)

    async def advance(self, session_id: int, member: Member, expected_phase: int | None = None) -> int:
        """Move on when the presenter or a network leader says so; returns the phase that was left."""
        loaded = await self.rounds.load(session_id)
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

    async def deadline_reached(self, session_id: int, token: str, phase: int, *, late: bool = False) -> None:
        """The phase's time is up. Came it `late` (the bot was away), a live round goes on over days:
        its people have left, and rushing through the remaining phases in minutes would lose them."""
        session = await self.rounds.get(session_id)
        if session is None or session.token != token or session.status != "running" or session.phase != phase:
            return
        if late and session.pace == "live":
            await self._go_on_over_days(session)
        await self._leave_phase(session, phase)

    async def _go_on_over_days(self, session: KvSession) -> None:
        async with self.bot.db.session() as s:
            row = await KritiskVennRepo(s).get(session.id)
            assert row is not None
            row.pace = session.pace = "days"
        loaded = await self.rounds.load(session.id)
        assert loaded is not None
        _session, presenter, network = loaded
        t = self.bot.translator_for(None, network)
        note = t.t("I was away when this live round should have moved on, so it goes on over days from here: "
                   "each phase now has its time in working hours.")  # fmt: skip
        await self.rounds.post(session, presenter, network, f"over-days:{session.phase}", Message.text(note))

    async def remind(self, session_id: int, token: str, phase: int) -> None:
        loaded = await self.rounds.load(session_id)
        if loaded is None:
            return
        session, presenter, network = loaded
        if session.token != token or session.status != "running" or session.phase != phase:
            return
        assert session.phase_deadline is not None
        if session.phase_deadline <= self.rounds.now():
            return  # the phase is over (its deadline job comes next): no reminder of a time that has passed
        missing = await self._still_to_write(session, presenter)
        for member in missing:
            t = self.bot.translator_for(member, network)
            deadline = self.rounds.when(member, network, session.phase_deadline)
            message = (
                cards.answer_reminder(t, session, phase, deadline)
                if member.id == presenter.id and PHASES[phase].presenter_answers
                else cards.reminder(t, session, phase, deadline, presenter)
            )
            await self.rounds.dm(f"kv:{session.token}:remind:{phase}:{member.id}", member, message)

    async def _still_to_write(self, session: KvSession, presenter: Member) -> list[Member]:
        speakers = PHASES[session.phase].speakers
        expected: list[Member] = []
        if speakers in ("friends", "everyone"):
            expected += await self.rounds.accepted(session.id)
        if speakers in ("presenter", "everyone"):
            expected.append(presenter)
        async with self.bot.db.session() as s:
            in_phase = [c for c, _m in await KritiskVennRepo(s).contributions(session.id) if c.phase == session.phase]
        written = {c.member_id for c in in_phase}
        missing = [m for m in expected if m.id not in written]
        if (
            not missing
            and PHASES[session.phase].presenter_answers
            and in_phase[-1:]
            and (in_phase[-1].member_id != presenter.id)
        ):
            missing.append(presenter)  # the last question is still unanswered
        return missing

    async def contribute(self, session_id: int, member: Member, text: str, phase_hint: int | None = None,
                         kind_hint: str | None = None) -> Contributed:  # fmt: skip
        check_length(text, cards.TEXT_LIMIT)
        loaded = await self.rounds.load(session_id)
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
                await self.rounds.dm(f"kv:{session.token}:late:{late_id}", presenter,
                               Message.of(Text(t.t("A late contribution to your round #{id} from {name}:",
                                                   id=session.id, name=member.display_name)), Text(text)))  # fmt: skip
            return Contributed("late_own" if is_presenter else "late", session, LATE_PHASE)
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
            row = await KritiskVennRepo(s).contribute(session.id, member.id, phase, kind, text, self.rounds.now())
            return row.id

    async def _finish(self, session_id: int) -> None:
        async with self.bot.db.session() as s:
            finished = await KritiskVennRepo(s).set_status(session_id, ("running",), "done", self.rounds.now())
        loaded = await self.rounds.load(session_id)
        if not finished or loaded is None:
            return
        session, presenter, network = loaded
        async with self.bot.db.session() as s:
            contributions = [
                (c, m) for c, m in await KritiskVennRepo(s).contributions(session.id) if c.kind not in ("late",)
            ]
        t = self.bot.translator_for(None, network)
        tp = self.bot.translator_for(presenter, network)
        if not any(c.kind != "presentation" for c, _m in contributions):
            # A summary of empty headings helps nobody; say plainly that nothing was written.
            await self.rounds.post(
                session,
                presenter,
                network,
                "closing",
                Message.text(
                    t.t("Kritisk venn #{id} has ended without anyone writing, so there is no summary.", id=session.id)
                ),
            )
            await self.rounds.dm(f"kv:{session.token}:summary", presenter, Message.text(
                tp.t("Nobody wrote anything in your kritisk venn round #{id}, so there is no summary. "
                     "You can start a new round with /kritiskvenn.", id=session.id)))  # fmt: skip
            return
        closing = Message.of(
            Text(t.t("Kritisk venn #{id} is finished. Thank you for kind and honest questions and feedback! "
                     "{name} gets a summary.", id=session.id, name=presenter.display_name)),
            ContextLine(t.t("What is written here after the end is passed on to {name}.", name=presenter.display_name)),
        )  # fmt: skip
        await self.rounds.post(session, presenter, network, "closing", closing)
        await self.rounds.dm(f"kv:{session.token}:summary", presenter, cards.summary(tp, session, contributions))

    async def cancel(self, session_id: int, member: Member) -> None:
        session, presenter, network = await self.rounds.presenter_only(session_id, member)
        now = self.rounds.now()
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            if not await repo.set_status(session.id, ("inviting", "running"), "cancelled", now):
                raise KvError(N_("Round #{id} has already ended."), id=session.id)
            closed = await repo.withdraw_open_invitations(session.id, now)
        for member_id in closed:
            await self.bot.scheduler.cancel(f"kv:{session.token}:invite-expiry:{member_id}")
        await self._tell_withdrawn(session, presenter, network, closed, N_(
            "Your invitation to be a critical friend for {name} in round #{id} is no longer open: {name} has "
            "cancelled the round. Thank you all the same!"))  # fmt: skip
        await self.bot.scheduler.cancel(f"kv:{session.token}:deadline:{session.phase}")
        await self.bot.scheduler.cancel(f"kv:{session.token}:remind:{session.phase}")
        for friend in await self.rounds.accepted(session.id):
            t = self.bot.translator_for(friend, network)
            await self.rounds.dm(f"kv:{session.token}:cancelled:{friend.id}", friend, Message.text(
                t.t("{name} has cancelled kritisk venn #{id}. Thank you for saying yes!",
                    name=presenter.display_name, id=session.id)))  # fmt: skip
        if session.conversation and session.phase >= 0:
            t = self.bot.translator_for(None, network)
            await self.rounds.post(session, presenter, network, "cancelled", Message.text(
                t.t("{name} has cancelled this round. Thank you all.", name=presenter.display_name)))  # fmt: skip

    async def delete(self, session_id: int, member: Member, confirmed: bool) -> str:
        """The presenter deletes her ended round, with what the friends wrote (so she confirms first);
        a friend deletes her own contributions. Returns an English msgid for the reply."""
        loaded = await self.rounds.load(session_id)
        if loaded is None or loaded[0].network_id != member.network_id:
            raise KvError(N_("There is no kritisk venn round #{id}."), id=session_id)
        session, presenter, _network = loaded
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            if member.id != presenter.id:
                if not await repo.delete_contributions(session.id, member.id):
                    raise KvError(N_("You have written nothing in round #{id}."), id=session.id)
                return N_("What you wrote in round #{id} is deleted.")
            if session.status in ("inviting", "running"):
                raise KvError(N_("Round #{id} is still going on. Cancel it first: /kritiskvenn avbryt {id}"),
                              id=session.id)  # fmt: skip
            if not confirmed:
                return N_("This deletes round #{id} with everything in it, also what the critical friends wrote. "
                          "To delete it: /kritiskvenn slett {id} bekreft")  # fmt: skip
            await repo.delete_session(session.id)
        return N_("Round #{id} is deleted.")

    async def share_note(self, session_id: int, member: Member, text: str) -> None:
        session, _presenter, _network = await self.rounds.presenter_only(session_id, member)
        if session.status != "done":
            raise KvError(N_("You can share a learning note when round #{id} is finished."), id=session.id)
        if session.note_shared:
            raise KvError(N_("You have already shared a learning note from round #{id}."), id=session.id)
        text = text.strip()
        if not text:
            raise KvError(N_("Write the learning note: /kritiskvenn del {id} <text>"), id=session.id)
        check_length(text, cards.NOTE_LIMIT)
        async with self.bot.db.session() as s:
            await Notes(s).add(session.network_id, member.id, "kritisk_venn", text, self.rounds.now())
            row = await KritiskVennRepo(s).get(session.id)
            assert row is not None
            row.note_shared = True

    async def reflection_of(self, session_id: int) -> str:
        async with self.bot.db.session() as s:
            return "\n".join(c.text for c, _m in await KritiskVennRepo(s).contributions(session_id)
                             if c.kind == "reflection")  # fmt: skip
