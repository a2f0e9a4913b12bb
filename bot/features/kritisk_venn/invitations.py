"""Kritisk venn: finding critical friends — fair rotation, named friends, volunteers, answers."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from bot.adapter import Destination
from bot.events import Conversation
from bot.features.kritisk_venn import cards
from bot.features.kritisk_venn.common import (
    JOB_INVITE,
    JOB_STUCK,
    MAX_FRIENDS,
    OPTION,
    Created,
    KvError,
    Request,
    Rounds,
)
from bot.features.kritisk_venn.phases import (
    DECLINE_REST,
    invitation_deadline,
)
from bot.features.kritisk_venn.protocol import RoundProtocol
from bot.features.kritisk_venn.selection import Candidate, choose_friends
from bot.i18n import N_
from bot.mentions import find_member
from bot.messages import Message
from storage.models.core import Member, Network
from storage.models.kritisk_venn import KvSession
from storage.repositories.core import Members
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core_api import CoreApi


class Invitations:
    """Asking colleagues to be critical friends, their answers, and starting the round when enough said yes."""

    def __init__(self, bot: CoreApi, rounds: Rounds, protocol: RoundProtocol) -> None:
        self.bot, self.rounds, self.protocol = bot, rounds, protocol

    async def create(self, network: Network, presenter: Member, origin: Conversation, request: Request) -> Created:
        now = self.rounds.now()
        not_found: list[str] = []
        named: list[Member] = []
        named_self = False
        async with self.bot.db.session() as s:
            for token in request.names:
                found = await find_member(s, network.id, token)
                if found is not None and found.id == presenter.id:
                    named_self = True
                elif found is None or not self.bot.settings.member_value(found, OPTION):
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
                origin=origin.without_thread().to_dict(),
                created_at=now,
            )  # fmt: skip
            for member in named:
                await KritiskVennRepo(s).add_friend(session.id, member.id, "named", "invited", now)
        for member in named:
            await self._send_invitation(session, presenter, network, member, "named")
        chosen = await self._invite_more(session, presenter, network)
        short = session.friends_wanted - len(named) - len(chosen)
        return Created(session, [m.display_name for m in named + chosen], not_found, max(0, short), named_self)

    async def _invite_more(self, session: KvSession, presenter: Member, network: Network) -> list[Member]:
        """Invite as many as the round still needs, chosen fairly; returns who was invited."""
        now = self.rounds.now()
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
            taken = [m.school for _f, m in taking_part]
            picked = choose_friends(presenter.id, presenter.school, candidates, needed, taken)
            chosen = [members[c.member_id] for c in picked]
            for member in chosen:
                await repo.add_friend(session.id, member.id, "chosen", "invited", now)
        for member in chosen:
            await self._send_invitation(session, presenter, network, member, "chosen")
        return chosen

    async def _send_invitation(
        self, session: KvSession, presenter: Member, network: Network, member: Member, source: str
    ) -> None:
        deadline = invitation_deadline(session.pace, self.rounds.now(), network.timezone)
        t = self.bot.translator_for(member, network)
        message = cards.invitation(t, session, presenter, self.rounds.when(member, network, deadline), source)
        await self.rounds.dm(f"kv:{session.token}:invite:{member.id}", member, message)
        await self.bot.scheduler.schedule(
            JOB_INVITE, deadline, {"session": session.id, "token": session.token, "member": member.id},
            key=f"kv:{session.token}:invite-expiry:{member.id}",
        )  # fmt: skip

    async def after_no(self, session_id: int) -> None:
        """Someone said no or did not answer: ask the next one, or tell the presenter we are stuck."""
        loaded = await self.rounds.load(session_id)
        if loaded is None:
            return
        session, presenter, network = loaded
        if session.status != "inviting":
            return
        await self._invite_more(session, presenter, network)
        accepted, pending = await self.rounds.friend_counts(session.id)
        if accepted >= session.friends_wanted:
            await self.protocol.begin(session.id)
            return
        if pending == 0:
            # Keyed by how many have been asked, so the presenter hears once per dead end.
            async with self.bot.db.session() as s:
                asked = len(await KritiskVennRepo(s).friends(session.id))
            t = self.bot.translator_for(presenter, network)
            decide_by = await self.decide_by(session, presenter, network, asked)
            await self.rounds.dm(f"kv:{session.token}:stuck:{asked}", presenter,
                           cards.shortfall(t, session, accepted, 0, decide_by))  # fmt: skip

    async def decide_by(self, session: KvSession, presenter: Member, network: Network, asked: int | str) -> str:
        """A round nobody more can be asked for does not wait forever: if the presenter has not chosen
        by the time another answer would be due, it starts with those who said yes, or is cancelled."""
        deadline = invitation_deadline(session.pace, self.rounds.now(), network.timezone)
        await self.bot.scheduler.schedule(
            JOB_STUCK, deadline, {"session": session.id, "token": session.token},
            key=f"kv:{session.token}:stuck-deadline:{asked}",
        )  # fmt: skip
        return self.rounds.when(presenter, network, deadline)

    async def stuck_deadline_reached(self, session_id: int, token: str) -> None:
        loaded = await self.rounds.load(session_id)
        if loaded is None or loaded[0].token != token or loaded[0].status != "inviting":
            return
        session, presenter, network = loaded
        accepted, pending = await self.rounds.friend_counts(session.id)
        if pending:
            return  # someone new was asked since: their answer (or silence) decides
        if accepted:
            await self.protocol.begin(session.id)
            return
        async with self.bot.db.session() as s:
            if not await KritiskVennRepo(s).set_status(session.id, ("inviting",), "cancelled", self.rounds.now()):
                return
        t = self.bot.translator_for(presenter, network)
        await self.rounds.dm(f"kv:{session.token}:stuck-cancelled", presenter, Message.text(
            t.t("Nobody could be found to be a critical friend in round #{id} in time, so I have cancelled it. "
                "You can try again later with /kritiskvenn.", id=session.id)))  # fmt: skip

    async def answer(self, session_id: int, member: Member, yes: bool) -> str:
        """A friend's (or volunteer's) answer; returns an English msgid for the reply."""
        loaded = await self.rounds.load(session_id)
        if loaded is None or loaded[0].network_id != member.network_id:
            raise KvError(N_("There is no kritisk venn round #{id}."), id=session_id)
        session, presenter, _network = loaded
        if member.id == presenter.id:
            raise KvError(N_("This is your own round; you are the presenter."))
        now = self.rounds.now()
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            friend = await repo.friend(session.id, member.id)
            if friend is not None and friend.status == "accepted" and (yes or session.status != "inviting"):
                return N_("You have already said yes to round #{id}. Thank you!")
            if session.status != "inviting":
                if session.status == "running":
                    return N_("Round #{id} has already started with the friends it needs; thank you all the same.")
                return N_("Round #{id} is over; thank you all the same.")
            if not yes:
                # A yes can still become a no until the round starts.
                if friend is None or friend.status not in ("invited", "accepted"):
                    return N_("Noted. You were not on the list for round #{id}.")
                await repo.answer(session.id, member.id, ("invited", "accepted"), "declined", now)
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
            await self.after_no(session.id)
            return N_("Thank you for answering. Maybe another time!")
        accepted, _pending = await self.rounds.friend_counts(session.id)
        if accepted >= session.friends_wanted:
            await self.protocol.begin(session.id)
            return N_("Thank you! Round #{id} starts now; you will find it in the thread or group I just opened.")
        return N_("Thank you! I will tell you when round #{id} starts.")

    async def invitation_expired(self, session_id: int, token: str, member_id: int) -> None:
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            session = await repo.get(session_id)
            if session is None or session.token != token:
                return
            expired = await repo.answer(session_id, member_id, ("invited",), "expired", self.rounds.now())
            member = await Members(s).get(member_id) if expired else None
        if member is not None:
            await self._tell_lapsed(session, member)
        if expired:
            await self.after_no(session_id)

    async def _tell_lapsed(self, session: KvSession, member: Member) -> None:
        """The invitation said "answer by"; whoever did not should not find its buttons working later."""
        loaded = await self.rounds.load(session.id)
        if loaded is None:
            return
        _session, presenter, network = loaded
        t = self.bot.translator_for(member, network)
        await self.rounds.dm(
            f"kv:{session.token}:lapsed:{member.id}",
            member,
            Message.text(
                t.t(
                    "Your invitation to be a critical friend for {name} in round #{id} is no longer open: the time to "
                    "answer has passed. Thank you all the same!",
                    name=presenter.display_name,
                    id=session.id,
                )
            ),
        )

    async def open_to_volunteers(self, session_id: int, member: Member) -> str:
        """Ask the channel; returns by when the round starts with those who said yes (or is cancelled)."""
        session, presenter, network = await self.rounds.presenter_only(session_id, member)
        if session.status != "inviting":
            raise KvError(N_("Round #{id} is not looking for critical friends any more."), id=session.id)
        channel = await self.rounds.channel_for(session, network)
        if channel is None:
            raise KvError(N_("I have no channel in this network to ask for volunteers in."))
        async with self.bot.db.session() as s:
            repo = KritiskVennRepo(s)
            row = await repo.get(session.id)
            assert row is not None
            row.open_to_volunteers = True
            asked = len(await repo.friends(session.id))
        t = self.bot.translator_for(None, network)
        await self.bot.outbox.deliver(
            f"kv:{session.token}:volunteers", Destination.channel(channel), cards.volunteer_call(t, session, presenter),
            notify_member_id=presenter.id,
        )  # fmt: skip
        # The volunteers get their own time to answer; the earlier decision waits for it.
        await self.bot.scheduler.cancel(f"kv:{session.token}:stuck-deadline:{asked}")
        return await self.decide_by(session, presenter, network, "volunteers")

    async def start_now(self, session_id: int, member: Member) -> None:
        session, _presenter, _network = await self.rounds.presenter_only(session_id, member)
        if session.status != "inviting":
            raise KvError(N_("Round #{id} has already started or ended."), id=session.id)
        accepted, _pending = await self.rounds.friend_counts(session.id)
        if accepted == 0:
            raise KvError(N_("Nobody has said yes yet, so there is nobody to start with."))
        await self.protocol.begin(session.id, by_presenter=True)
