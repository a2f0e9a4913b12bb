"""When a member deletes their data (`/samskap slett-meg`).

Their rounds, friendships and contributions cascade away with them. Before that, a round they
present that is still open is cancelled, and its friends (and its thread or group) are told; a
round that was waiting for their answer asks someone else. Both happen in jobs queued in the
erasure's transaction, so they follow exactly when the erasure commits, and name nobody. The
round's own jobs stay and find nothing to do; a job naming the member goes with the core erasure.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapter import Destination
from bot.events import Conversation
from bot.messages import Message
from bot.scheduler import JobRun, Late
from storage.models.core import Member
from storage.repositories.core import Members, Networks
from storage.repositories.kritisk_venn import KritiskVennRepo

if TYPE_CHECKING:
    from bot.core_api import CoreApi
    from bot.features.kritisk_venn.service import KritiskVennService

JOB_PRESENTER_LEFT = "kritisk_venn.presenter_left"
JOB_FRIEND_LEFT = "kritisk_venn.friend_left"
OPEN = ("inviting", "running")


def register(bot: CoreApi, service: KritiskVennService) -> None:
    async def erase_member(s: AsyncSession, member: Member) -> None:
        repo, now = KritiskVennRepo(s), bot.clock.now()
        for session in await repo.presented_by(member.id, OPEN):
            friends = [m.id for _f, m in await repo.friends(session.id, ("invited", "accepted"))]
            opened = session.phase >= 0 and session.conversation and not session.conversation_gone
            payload = {
                "network_id": session.network_id, "round": session.id, "token": session.token, "friends": friends,
                "conversation": session.conversation if opened else None, "venue": session.venue,
            }  # fmt: skip
            await bot.scheduler.schedule(JOB_PRESENTER_LEFT, now, payload, key=f"kv-left:{session.token}", session=s)
        for session in await repo.asked_as_friend(member.id, ("inviting",)):
            # Keyed without the member's id, which must not outlive the erasure.
            key = f"kv-friend-left:{session.token}:{secrets.token_hex(6)}"
            await bot.scheduler.schedule(
                JOB_FRIEND_LEFT, now, {"round": session.id, "token": session.token}, key=key, session=s
            )

    # Telling the friends is right however late; the round is gone either way.
    @bot.scheduler.handler(JOB_PRESENTER_LEFT, grace=timedelta(hours=1), late=Late.RUN)
    async def presenter_left(payload: dict[str, Any], run: JobRun) -> None:
        async with bot.db.read() as s:
            network = await Networks(s).get(int(payload["network_id"]))
            friends = [m for m in [await Members(s).get(int(i)) for i in payload["friends"]] if m is not None]
        if network is None:
            return
        token, round_id = payload["token"], payload["round"]
        for friend in friends:
            t = bot.translator_for(friend, network)
            text = t.t("Kritisk venn #{id} is cancelled: the presenter has left the network. Thank you all the same!",
                       id=round_id)  # fmt: skip
            await bot.send_dm(friend, Message.text(text), key=f"kv-left:{token}:dm:{friend.id}")
        if payload.get("conversation"):
            conv = Conversation.from_dict(payload["conversation"])
            where = Destination.channel(conv) if payload["venue"] == "thread" else Destination.group(conv)
            t = bot.translator_for(None, network)
            text = t.t("This round is cancelled: the presenter has left the network. Thank you all.")
            await bot.outbox.deliver(f"kv-left:{token}:post", where, Message.text(text))

    # The round still needs its friends, however late.
    @bot.scheduler.handler(JOB_FRIEND_LEFT, grace=timedelta(hours=1), late=Late.RUN)
    async def friend_left(payload: dict[str, Any], run: JobRun) -> None:
        session = await service.rounds.get(int(payload["round"]))
        if session is not None and session.token == payload["token"]:
            await service.invitations.after_no(session.id)

    bot.data_erasers.append(erase_member)
