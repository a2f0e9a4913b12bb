"""Kritisk venn: the service handlers and jobs talk to, made of its parts (rounds, invitations, protocol)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.events import Conversation
from bot.features.kritisk_venn import cards
from bot.features.kritisk_venn.common import Rounds, conversation_key
from bot.features.kritisk_venn.invitations import Invitations
from bot.features.kritisk_venn.protocol import RoundProtocol
from bot.i18n import Translator
from bot.messages import Part
from storage.models.core import Member
from storage.models.kritisk_venn import KvSession
from storage.repositories.core import Members
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core_api import CoreApi


class KritiskVennService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot
        self.rounds = Rounds(bot)
        self.protocol = RoundProtocol(bot, self.rounds)
        self.invitations = Invitations(bot, self.rounds, self.protocol)

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

    async def running_for(self, member: Member) -> list[tuple[KvSession, Member, str | None]]:
        return [row for row in await self.sessions_of(member) if row[0].status in ("inviting", "running")]

    async def home(self, member: Member, t: Translator) -> list[Part]:
        return cards.home(t, await self.running_for(member))
