"""Sessions whose statements built once run on the driver's connection (see `storage.compiled`).

Reads (`Database.read()`) run so on SQLite on a connection of their own (`storage.reads`), on
PostgreSQL on the session's own asyncpg connection (reads need no transaction: each is in autocommit).
Units of work on SQLite's writer run reads and writes so on the writer's connection, in the unit's
savepoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from sqlalchemy.engine import IteratorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from storage.compiled import AsyncpgRunner, CompiledStatements, DirectReader, DirectRunner, Plan, Written
from storage.lookups import changes_watched


class DirectSession(AsyncSession):
    """A session whose `built_once` statements run on the driver's connection (`direct`), the rest
    through SQLAlchemy. Changes the session holds are flushed first, as SQLAlchemy's autoflush would.
    Writes run directly only in a session that may write (`writes`); never to networks, channels
    and members, whose changes the session's listeners must see (`storage.lookups`)."""

    statements: CompiledStatements | None = None  # their plans (None: nothing runs directly)
    direct: DirectReader | None = None  # where they run; None: on the session's own asyncpg connection
    writes: ClassVar[bool] = False

    async def execute(self, statement: Executable, params: Any = None, **kw: Any) -> Result[Any]:
        if not kw and (plan := self._plan(statement, params)) is not None:
            return await self._run(plan, params)
        return await super().execute(statement, params, **kw)

    async def scalar(self, statement: Executable, params: Any = None, **kw: Any) -> Any:
        if not kw and (plan := self._plan(statement, params)) is not None and plan.columns is not None:
            return (await self._run(plan, params)).scalar()
        return await super().scalar(statement, params, **kw)

    async def scalars(self, statement: Executable, params: Any = None, **kw: Any) -> Any:
        if not kw and (plan := self._plan(statement, params)) is not None and plan.columns is not None:
            return (await self._run(plan, params)).scalars()
        return await super().scalars(statement, params, **kw)

    def _plan(self, statement: Executable, params: Any) -> Plan | None:
        statements = self.statements
        if statements is None or not (params is None or isinstance(params, Mapping)):
            return None
        plan = statements.plan(statement, params)
        if plan is None or not (plan.reads or (self.writes and not changes_watched(statement))):
            return None
        return plan

    async def _run(self, plan: Plan, params: Mapping[str, Any] | None) -> Result[Any]:
        session = self.sync_session
        if self.writes and session.autoflush and (session.new or session.dirty or session.deleted):
            await self.flush()  # a read session holds no changes
        if self.direct is None:
            self.direct = await AsyncpgRunner.on(cast(CompiledStatements, self.statements), await self.connection())
        direct = cast(DirectRunner, self.direct)
        if plan.columns is None:
            return cast(Result[Any], Written(await direct.rowcount(plan, params)))
        return IteratorResult(plan.columns, iter(await direct.rows(plan, params)))

    async def close(self) -> None:
        # A session that ran only direct statements holds nothing to give back.
        if self.sync_session.in_transaction() or self.sync_session.identity_map:
            await super().close()
