"""Whom a member asks not to be paired with in rounds. Only the one who asks knows: the other is never told."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.samsnakk.common import SamsnakkError
from bot.mentions import find_member
from storage.models.core import Member, Network
from storage.repositories.core import Members
from storage.repositories.samsnakk import Avoids

if TYPE_CHECKING:
    from bot.core_api import CoreApi


class AvoidList:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    async def names(self, member: Member) -> list[str]:
        async with self.bot.db.session() as s:
            ids = await Avoids(s).of_member(member.id)
            return [m.display_name for m in [await Members(s).get(i) for i in ids] if m]

    async def change(self, network: Network, member: Member, mention: str, *, remove: bool) -> Member:
        """Add (or remove) the colleague `mention` names; returns them."""
        async with self.bot.db.session() as s:
            other = await find_member(s, network.id, mention)
            if other is None:
                raise SamsnakkError("{who} has not joined the network.", who=mention)
            if other.id == member.id:
                raise SamsnakkError("You are never paired with yourself.")
            if remove:
                await Avoids(s).remove(member.id, other.id)
            else:
                await Avoids(s).add(member.id, other.id)
        return other
