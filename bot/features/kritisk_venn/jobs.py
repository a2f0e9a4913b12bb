"""What kritisk venn's scheduled jobs do: each payload names a round by id and the token it had when the
job was planned, so a job of a round that was deleted or started again finds nothing to do."""

from __future__ import annotations

from typing import Any

from bot.features.kritisk_venn.service import KritiskVennService
from bot.scheduler import JobRun


class RoundJobs:
    def __init__(self, service: KritiskVennService) -> None:
        self.service = service

    async def deadline(self, payload: dict[str, Any], run: JobRun) -> None:
        await self.service.protocol.deadline_reached(payload["session"], payload["token"], payload["phase"],
                                                     late=run.late)  # fmt: skip

    async def remind(self, payload: dict[str, Any], run: JobRun) -> None:
        await self.service.protocol.remind(payload["session"], payload["token"], payload["phase"])

    async def invitation_expired(self, payload: dict[str, Any], run: JobRun) -> None:
        await self.service.invitations.invitation_expired(payload["session"], payload["token"], payload["member"])

    async def stuck(self, payload: dict[str, Any], run: JobRun) -> None:
        await self.service.invitations.stuck_deadline_reached(payload["session"], payload["token"])

    async def begin(self, payload: dict[str, Any], run: JobRun) -> None:
        session = await self.service.rounds.get(payload["session"])
        if session is not None and session.token == payload["token"]:
            await self.service.protocol.begin(session.id)
