"""Slack installations, used OAuth states, and requests already handled."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.slack import SlackInstallation, SlackOAuthState, SlackSeenRequest


def installation_key(enterprise_id: str | None, team_id: str | None) -> str:
    return f"{enterprise_id or ''}:{team_id or ''}"


class SlackInstallations:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def find(self, enterprise_id: str | None, team_id: str | None) -> SlackInstallation | None:
        return await self.s.scalar(
            select(SlackInstallation).where(
                SlackInstallation.installation_key == installation_key(enterprise_id, team_id)
            )
        )

    async def by_team(self, team_id: str) -> SlackInstallation | None:
        return await self.s.scalar(
            select(SlackInstallation).where(SlackInstallation.team_id == team_id).order_by(SlackInstallation.id)
        )

    async def save(self, row: SlackInstallation) -> SlackInstallation:
        """Insert, or replace the earlier installation of the same workspace (a reinstall)."""
        existing = await self.find(row.enterprise_id, row.team_id)
        if existing is None:
            row.installation_key = installation_key(row.enterprise_id, row.team_id)
            self.s.add(row)
            await self.s.flush()
            return row
        for column in (
            "team_name", "app_id", "bot_token", "bot_id", "bot_user_id", "bot_scopes",
            "installer_user_id", "is_enterprise_install", "installed_at",
        ):  # fmt: skip
            setattr(existing, column, getattr(row, column))
        await self.s.flush()
        return existing

    async def all_for_update(self) -> list[SlackInstallation]:
        return list((await self.s.scalars(select(SlackInstallation).with_for_update())).all())

    async def delete(self, enterprise_id: str | None, team_id: str | None) -> bool:
        result = await self.s.execute(
            delete(SlackInstallation).where(
                SlackInstallation.installation_key == installation_key(enterprise_id, team_id)
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def installed_by(self, team_id: str, user_id: str) -> list[SlackInstallation]:
        return list(
            (
                await self.s.scalars(
                    select(SlackInstallation).where(
                        SlackInstallation.team_id == team_id, SlackInstallation.installer_user_id == user_id
                    )
                )
            ).all()
        )


class SlackOAuthStates:
    """OAuth `state` values that have come back once: a state is signed, not stored, when issued
    (so the install page writes nothing), and recorded here when used, so it works only once."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def use(self, state: str, expires_at: datetime, now: datetime) -> None:
        """Record `state` as used; raises IntegrityError when it was used before."""
        await self.s.execute(delete(SlackOAuthState).where(SlackOAuthState.expires_at < now))
        self.s.add(SlackOAuthState(state=state, expires_at=expires_at))
        await self.s.flush()

    async def count(self) -> int:
        return int(await self.s.scalar(select(func.count()).select_from(SlackOAuthState)) or 0)


class SlackSeenRequests:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add_new(self, keys: Collection[str], expires_at: datetime) -> set[str]:
        """Record handled requests, many in one statement; returns the keys not recorded before."""
        insert = postgresql.insert if self.s.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(SlackSeenRequest.__table__)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(SlackSeenRequest.__table__.c.key)
        )
        rows = [{"key": key, "expires_at": expires_at} for key in keys]
        return set(await self.s.scalars(statement, rows))

    async def purge(self, now: datetime) -> None:
        await self.s.execute(delete(SlackSeenRequest).where(SlackSeenRequest.expires_at < now))
