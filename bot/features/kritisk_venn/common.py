"""Kritisk venn: the values, rules and helpers the invitation and protocol code share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.adapter import Destination
from bot.errors import UserError
from bot.events import Conversation
from bot.features.kritisk_venn import cards
from bot.features.kritisk_venn.phases import (
    LAST_PHASE,
    PHASES,
    classify_cool,
)
from bot.i18n import N_
from bot.limits import check_length
from bot.mentions import MENTION
from bot.messages import Message, Text
from storage.models.core import Member, Network
from storage.models.kritisk_venn import KvSession
from storage.repositories.core import Members, Networks
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core_api import CoreApi

OPTION = "kritiskvenn"
MAX_FRIENDS = cards.MAX_FRIENDS
MIN_FRIENDS = cards.MIN_FRIENDS
LATE_PHASE = LAST_PHASE + 1  # contributions that came after the round ended
BEGIN_RETRY = timedelta(minutes=1)

JOB_DEADLINE = "kritisk_venn.deadline"
JOB_REMIND = "kritisk_venn.remind"
JOB_INVITE = "kritisk_venn.invitation_expired"
JOB_BEGIN = "kritisk_venn.begin"
JOB_STUCK = "kritisk_venn.stuck"  # a round short of friends that the presenter has not decided on


class KvError(UserError):
    """Something the user can fix; `msgid` is an English text translated by the handler."""


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
    named_self: bool = False  # the presenter named herself among the friends


@dataclass(frozen=True)
class Contributed:
    """What happened to a text: `outcome` is stored, late, late_own, listen, listen_friend,
    too_early, not_started, cancelled or not_participant."""

    outcome: str
    session: KvSession
    phase: int = -1


def conversation_key(conv: Conversation) -> str:
    return f"{conv.platform}:{conv.workspace_id}:{conv.id}/{conv.thread_id or ''}"


def parse_request(values: dict[str, str]) -> Request:
    practice = check_length((values.get("practice") or "").strip(), cards.TEXT_LIMIT)
    focus = check_length((values.get("focus") or "").strip(), cards.FOCUS_LIMIT)
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


class Rounds:
    """Loading a round and reaching its people: what the invitations and the protocol share."""

    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    def now(self) -> datetime:
        return self.bot.clock.now()

    async def load(self, session_id: int) -> tuple[KvSession, Member, Network] | None:
        async with self.bot.db.session() as s:
            session = await KritiskVennRepo(s).get(session_id)
            if session is None:
                return None
            presenter = await Members(s).get(session.presenter_id)
            network = await Networks(s).get(session.network_id)
        assert presenter is not None and network is not None
        return session, presenter, network

    async def accepted(self, session_id: int) -> list[Member]:
        async with self.bot.db.session() as s:
            return [m for _f, m in await KritiskVennRepo(s).friends(session_id, ("accepted",))]

    def when(self, member: Member | None, network: Network, moment: datetime) -> str:
        return cards.when(self.bot.translator_for(member, network), moment, network.timezone, self.now())

    async def dm(self, key: str, member: Member, message: Message) -> None:
        await self.bot.outbox.deliver(key, Destination.dm(self.bot.user_of(member)), message)

    async def get(self, session_id: int) -> KvSession | None:
        async with self.bot.db.session() as s:
            return await KritiskVennRepo(s).get(session_id)

    async def friend_counts(self, session_id: int) -> tuple[int, int]:
        """(said yes, not answered yet)."""
        async with self.bot.db.session() as s:
            friends = await KritiskVennRepo(s).friends(session_id, ("accepted", "invited"))
        return sum(f.status == "accepted" for f, _ in friends), sum(f.status == "invited" for f, _ in friends)

    async def presenter_only(self, session_id: int, member: Member) -> tuple[KvSession, Member, Network]:
        loaded = await self.load(session_id)
        if loaded is None or loaded[0].network_id != member.network_id:
            raise KvError(N_("There is no kritisk venn round #{id}."), id=session_id)
        if loaded[1].id != member.id:
            raise KvError(N_("Only the presenter of round #{id} can do that."), id=session_id)
        return loaded

    async def channel_for(self, session: KvSession, network: Network) -> Conversation | None:
        origin = Conversation.from_dict(session.origin)
        if not origin.is_direct:
            return origin
        async with self.bot.db.session() as s:
            channels = [c for c in await Networks(s).channels(network.id) if c.platform == origin.platform]
        if not channels:
            return None
        return Conversation(channels[0].platform, channels[0].workspace_id, channels[0].channel_id)

    async def post(self, session: KvSession, presenter: Member, network: Network, name: str, message: Message) -> None:
        """Post in the round's thread or group; if the platform says it is gone, go on in DMs."""
        key = f"kv:{session.token}:{name}"
        if session.conversation and not session.conversation_gone:
            conv = Conversation.from_dict(session.conversation)
            # A thread is a place in a channel (on some platforms a channel of its own); a group is a group.
            dest = Destination.channel(conv) if session.venue == "thread" else Destination.group(conv)
            result = await self.bot.outbox.deliver(key, dest, message)
            if result.status != "failed":
                return
            async with self.bot.db.session() as s:
                row = await KritiskVennRepo(s).get(session.id)
                if row is None:
                    return
                row.conversation_gone = True
            session.conversation_gone = True
            await self.tell_presenter_gone(session, presenter, network, opened=True)
        for member in [presenter, *await self.accepted(session.id)]:
            await self.dm(f"{key}:dm:{member.id}", member, message)

    async def tell_presenter_gone(self, session: KvSession, presenter: Member, network: Network, opened: bool) -> None:
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
        await self.dm(f"kv:{session.token}:gone", presenter, Message.of(
            Text(first),
            Text(t.t("Everything written so far is kept, and you still get the summary. The round goes on in "
                     "direct messages: each phase comes to you and the friends, who contribute with the button or "
                     "/kritiskvenn bidra {id} <text>.", id=session.id)),
        ))  # fmt: skip
