"""Membership logic, free of any chat platform."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.errors import UserError
from bot.events import Conversation, User
from storage.models.core import Member, Network, Role
from storage.personal import words_of
from storage.repositories.core import Audit, Members, Networks, Notes
from storage.repositories.personal import PersonalData, Traces

if TYPE_CHECKING:
    from bot.core_api import CoreApi

MAX_SCHOOL_LENGTH = 120


class MembershipError(UserError):
    """A mistake the user can fix."""


class MembershipService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    async def join(self, network: Network, user: User, school: str) -> tuple[Member, bool]:
        """Join `network` with `school`; a member who joined already changes school. -> (member, new)"""
        school = " ".join(school.split())
        if not school:
            raise MembershipError("Tell me your school: /samskap bli-med <school>")
        if len(school) > MAX_SCHOOL_LENGTH:
            raise MembershipError("The school name is too long (at most {n} characters).", n=MAX_SCHOOL_LENGTH)
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            members = Members(s)
            member = await members.by_user(network.id, user)
            if member is not None:
                member.school = school
                if user.display_name:
                    member.display_name = user.display_name
                return member, False
            # The first member of a network leads it, so somebody can always manage it.
            role = Role.NETWORK_LEADER if await members.count(network.id) == 0 else Role.PARTICIPANT
            return await members.add(network, user, school, role, now), True

    async def set_role(self, network: Network, actor: Member, target: Member, role: Role) -> None:
        async with self.bot.db.session() as s:
            row = await Members(s).get(target.id)
            if row is None:
                raise MembershipError("That person has not joined the network.")
            if role != Role.NETWORK_LEADER and row.role == Role.NETWORK_LEADER:
                if len(await Members(s).leaders(network.id)) <= 1:
                    raise MembershipError("A network needs at least one leader; promote someone else first.")
            row.role = role
            await Audit(s).record(
                network.id, actor.id, "set_role", {"member_id": row.id, "role": role.value}, self.bot.clock.now()
            )

    async def set_language(self, member: Member, language: str) -> None:
        async with self.bot.db.session() as s:
            row = await Members(s).get(member.id)
            assert row is not None
            row.language = language
            member.language = language

    async def export(self, member: Member) -> str:
        """Everything stored about `member`, as JSON."""
        async with self.bot.db.session() as s:
            row = await Members(s).get(member.id)
            assert row is not None
            data: dict[str, Any] = {
                "member": {
                    "platform": row.platform,
                    "user_id": row.user_id,
                    "display_name": row.display_name,
                    "school": row.school,
                    "role": row.role.value,
                    "language": row.language,
                    "options": row.opt_ins,
                    "joined_at": row.joined_at.isoformat(),
                },
                "learning_notes": [
                    {"source": n.source, "text": n.text, "created_at": n.created_at.isoformat()}
                    for n in await Notes(s).of_member(row.id)
                ],
                "leader_actions": [
                    {"action": e.action, "details": e.details, "at": e.created_at.isoformat()}
                    for e in await Audit(s).by_actor(row.network_id, row.id)
                ],
            }
            for name, exporter in self.bot.data_exporters.items():
                data[name] = await exporter(s, row)
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)

    async def check_can_leave(self, member: Member) -> None:
        """A network must keep a leader: its only leader names another before leaving."""
        async with self.bot.db.read() as s:
            await self._check_can_leave(Members(s), member, lock=False)

    @staticmethod
    async def _check_can_leave(members: Members, member: Member, *, lock: bool) -> None:
        if member.role != Role.NETWORK_LEADER:
            return
        leaders = await members.leaders(member.network_id, lock=lock)
        if [m.id for m in leaders] == [member.id] and await members.count(member.network_id) > 1:
            raise MembershipError(
                "You are the only leader of this network, and it cannot be without one. Make someone else "
                "a leader first with /samskap leder rolle @name nettverksleder; then you can delete your data."
            )

    async def erase(self, member: Member) -> None:
        """Delete the member, everything they wrote, and their name and words where the bot copied
        them (the outbox, the audit log, planned jobs). The database cascades the rest."""
        async with self.bot.db.read() as s:
            row = await Members(s).get(member.id)
            if row is None:
                return
            await self._check_can_leave(Members(s), row, lock=False)
            words = await words_of(s, row.id, row.user_id)
            traces = Traces.of(row.platform, row.workspace_id, row.user_id, [row.display_name], words)
            found = await PersonalData(s).find(traces, row.id)
        async with self.bot.db.session() as s:
            members, personal = Members(s), PersonalData(s)
            row = await members.get(member.id)
            if row is None:
                return
            await self._check_can_leave(members, row, lock=True)
            for eraser in self.bot.data_erasers:
                await eraser(s, row)
            await personal.erase_found(await personal.find(traces, row.id, since=found))
            await personal.anonymise_audit(row.network_id, row.id)
            await personal.forget_member_id(row.id)
            await Audit(s).record(row.network_id, None, "member_erased", {}, self.bot.clock.now())
            await members.delete(row)

    async def setup_network(self, user: User, conv: Conversation, name: str) -> tuple[Network, bool]:
        """Make this workspace a network (or link this channel to the existing one). -> (network, new)"""
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            networks = Networks(s)
            key = f"{conv.platform}:{conv.workspace_id}"
            network = await networks.by_workspace(key)
            created = network is None
            if network is None:
                network = await self.bot.create_network(networks, conv.platform, conv.workspace_id, name)
            if not conv.is_direct:
                await networks.link_channel(network, conv, "", now)
            return network, created
